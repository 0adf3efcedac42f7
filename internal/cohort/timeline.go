package cohort

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Units of the completions timeline.
const (
	Day   = "day"
	Week  = "week"  // ISO 8601 weeks, Monday to Sunday
	Month = "month" // for cohorts older than two years, where weekly bars would be hairlines
)

// Timeline counts module completions per day, ISO week or month, from the day the cohort was
// created (or the first completion, if a member finished a module before joining) to today.
// Periods are in UTC, like every time the platform stores.
type Timeline struct {
	Unit    string
	Buckets []Bucket // oldest first, without gaps
	Total   int
	Max     int // the largest Count, for scaling a chart
}

// Bucket is one period of the timeline: [Start, End).
type Bucket struct {
	Start      time.Time
	End        time.Time
	Unit       string
	Count      int // module completions in the period
	Cumulative int // module completions up to the end of the period
}

// Up to a month the timeline has a bar per day, up to two years one per week, beyond that one per
// month: enough bars to show a trend, few enough to stay readable.
const (
	maxDays  = 31
	maxWeeks = 104
)

// timeline buckets completion times. The range never ends before now or the last completion.
func timeline(events []time.Time, created, now time.Time) Timeline {
	events = slices.Clone(events)
	slices.SortFunc(events, func(a, b time.Time) int { return a.Compare(b) })
	from, to := created, now
	if created.IsZero() || len(events) > 0 && events[0].Before(from) {
		if len(events) > 0 {
			from = events[0]
		} else {
			from = now
		}
	}
	if len(events) > 0 && events[len(events)-1].After(to) {
		to = events[len(events)-1]
	}
	from, to = day(from), day(to)
	days := int(to.Sub(from)/(24*time.Hour)) + 1
	t := Timeline{Unit: Day}
	switch {
	case days > maxWeeks*7:
		t.Unit = Month
	case days > maxDays:
		t.Unit = Week
	}
	for start := periodStart(from, t.Unit); !start.After(to); start = nextPeriod(start, t.Unit) {
		t.Buckets = append(t.Buckets, Bucket{Start: start, End: nextPeriod(start, t.Unit), Unit: t.Unit})
	}
	for _, e := range events {
		i := sort.Search(len(t.Buckets), func(i int) bool { return t.Buckets[i].End.After(e) })
		t.Buckets[min(i, len(t.Buckets)-1)].Count++
	}
	for i := range t.Buckets {
		t.Total += t.Buckets[i].Count
		t.Buckets[i].Cumulative = t.Total
		t.Max = max(t.Max, t.Buckets[i].Count)
	}
	return t
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func periodStart(d time.Time, unit string) time.Time {
	switch unit {
	case Week:
		// Monday is day 0 of an ISO week; Go's Sunday is 0.
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case Month:
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return d
}

func nextPeriod(d time.Time, unit string) time.Time {
	switch unit {
	case Week:
		return d.AddDate(0, 0, 7)
	case Month:
		return d.AddDate(0, 1, 0)
	}
	return d.AddDate(0, 0, 1)
}

var (
	monthsDE = [...]string{"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."}
	monthsEN = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// Label names the period in full, for the table beside the chart: "KW 14/2026 (30.03.–05.04.)".
func (b Bucket) Label(lang string) string {
	last := b.End.AddDate(0, 0, -1)
	switch {
	case b.Unit == Week && lang == "en":
		y, w := b.Start.ISOWeek()
		return fmt.Sprintf("Week %d/%d (%s – %s)", w, y, b.Start.Format("2 Jan"), last.Format("2 Jan"))
	case b.Unit == Week:
		y, w := b.Start.ISOWeek()
		return fmt.Sprintf("KW %d/%d (%s–%s)", w, y, b.Start.Format("02.01."), last.Format("02.01."))
	case b.Unit == Month && lang == "en":
		return fmt.Sprintf("%s %d", monthsEN[b.Start.Month()-1], b.Start.Year())
	case b.Unit == Month:
		return fmt.Sprintf("%s %d", monthsDE[b.Start.Month()-1], b.Start.Year())
	case lang == "en":
		return b.Start.Format("Mon 2 Jan 2006")
	}
	return b.Start.Format("02.01.2006")
}

// Short is the axis label under a bar: "14/26", "02.04." or "Apr 26".
func (b Bucket) Short(lang string) string {
	switch b.Unit {
	case Week:
		y, w := b.Start.ISOWeek()
		if lang == "en" {
			return fmt.Sprintf("W%d/%02d", w, y%100)
		}
		return fmt.Sprintf("KW %d/%02d", w, y%100)
	case Month:
		if lang == "en" {
			return fmt.Sprintf("%s %02d", monthsEN[b.Start.Month()-1], b.Start.Year()%100)
		}
		return fmt.Sprintf("%s %02d", monthsDE[b.Start.Month()-1], b.Start.Year()%100)
	}
	if lang == "en" {
		return b.Start.Format("2 Jan")
	}
	return b.Start.Format("02.01.")
}
