package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
)

// timeline counts the module completions of the (filtered) members since the cohort was created
// or started.
func (s *Service) timeline(ctx context.Context, c account.Cohort, rows []row, sinceStart bool, now time.Time) (Timeline, error) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.m.ID
	}
	counts, err := s.learn.Completions(ctx, ids, since(c, sinceStart))
	if err != nil {
		return Timeline{}, err
	}
	return timeline(counts, cycleStart(c), now, s.loc), nil
}

// Units of the completions timeline.
const (
	Day   = "day"
	Week  = "week"  // ISO 8601 weeks, Monday to Sunday
	Month = "month" // for cohorts older than two years, where weekly bars would be hairlines
)

// Timeline counts module completions per day, ISO week or month, from the day the cohort was
// created (or the first completion, if a member finished a module before joining) to today.
// Periods are days of the operator's time zone, the same days the matrix shows its dates in.
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
func timeline(events []learning.Count, created, now time.Time, loc *time.Location) Timeline {
	events = slices.Clone(events)
	slices.SortFunc(events, func(a, b learning.Count) int { return a.At.Compare(b.At) })
	from, to := created, now
	if created.IsZero() || len(events) > 0 && events[0].At.Before(from) {
		if len(events) > 0 {
			from = events[0].At
		} else {
			from = now
		}
	}
	if len(events) > 0 && events[len(events)-1].At.After(to) {
		to = events[len(events)-1].At
	}
	from, to = day(from, loc), day(to, loc)
	days := daysBetween(from, to) + 1
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
		i := sort.Search(len(t.Buckets), func(i int) bool { return t.Buckets[i].End.After(e.At) })
		t.Buckets[min(i, len(t.Buckets)-1)].Count += e.N
	}
	for i := range t.Buckets {
		t.Total += t.Buckets[i].Count
		t.Buckets[i].Cumulative = t.Total
		t.Max = max(t.Max, t.Buckets[i].Count)
	}
	return t
}

// day is the start of t's day in loc.
func day(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// daysBetween counts calendar days, which are not all 24 hours long where clocks change.
func daysBetween(from, to time.Time) int {
	y1, m1, d1 := from.Date()
	y2, m2, d2 := to.Date()
	return int(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

func periodStart(d time.Time, unit string) time.Time {
	switch unit {
	case Week:
		// Monday is day 0 of an ISO week; Go's Sunday is 0.
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case Month:
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, d.Location())
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

// Label names the period in full, for the table beside the chart: "KW 14/2026 (30.03.–05.04.)".
func (b Bucket) Label(lang i18n.Lang) string {
	last := b.End.AddDate(0, 0, -1)
	switch b.Unit {
	case Week:
		y, w := b.Start.ISOWeek()
		return i18n.T(lang, "trainer.timeline.week", "Week", w, "Year", y,
			"From", b.Start.Format(i18n.T(lang, "date.day_month")), "To", last.Format(i18n.T(lang, "date.day_month")))
	case Month:
		return i18n.MonthYear(lang, b.Start)
	}
	return i18n.NumericDate(lang, b.Start, b.Start.Location())
}

// Short is the axis label under a bar: "KW 14/26", "02.04." or "Apr. 26".
func (b Bucket) Short(lang i18n.Lang) string {
	switch b.Unit {
	case Week:
		y, w := b.Start.ISOWeek()
		return i18n.T(lang, "trainer.timeline.week_short", "Week", w, "Year", fmt.Sprintf("%02d", y%100))
	case Month:
		return i18n.T(lang, "date.month_short."+strconv.Itoa(int(b.Start.Month()))) + " " + fmt.Sprintf("%02d", b.Start.Year()%100)
	}
	return b.Start.Format(i18n.T(lang, "date.day_month"))
}
