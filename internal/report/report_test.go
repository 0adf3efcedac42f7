package report_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/learning"
	"saferspaces/internal/report"
	"saferspaces/internal/testkit"
)

// world is a cohort "Nord" led by trainer T, a cohort "Süd" led by trainer U, and their learners.
type world struct {
	svc                       *report.Service
	nord, sued                int64
	trainerT, trainerU, admin int64
	anna, bernd, clara, frank int64
	disabled, erased, emil    int64
	clock                     *testkit.Clock // the injected clock; tests may move it
	f                         fixture
}

func newWorld(t *testing.T) world {
	t.Helper()
	db := testkit.OpenDB(t)
	f := fixture{t, db}
	w := world{clock: testkit.NewClock(day(20, 12)), f: f}
	var learn *learning.Service
	w.svc, learn = newService(t, db, w.clock.Now)
	defer func() {
		// The fixture writes records behind learning's back: its summaries are recomputed once.
		if _, err := learn.RebuildSummaries(context.Background()); err != nil {
			t.Fatal(err)
		}
	}()

	w.nord = f.cohort("Nord", day(1, 9))
	w.sued = f.cohort("Süd", time.Date(2025, time.December, 1, 9, 0, 0, 0, time.UTC))
	w.trainerT = f.user("Tanja Trainer", "t@example.org", "Land", "trainer", "approved")
	w.trainerU = f.user("Uwe Trainer", "u@example.org", "Land", "trainer", "approved")
	w.admin = f.user("Ada Admin", "admin@example.org", "Betrieb", "admin", "approved")
	f.leads(w.nord, w.trainerT)
	f.leads(w.sued, w.trainerU)

	// Anna finished alpha (lessons on the 2nd and 3rd, failed the check on the 3rd, passed on the
	// 4th and again on the 10th) and opened beta on the 18th.
	w.anna = f.user("Anna Arndt", "anna@example.org", "Ordnungsamt Köln", "learner", "approved")
	f.member(w.nord, w.anna, day(1, 10))
	f.lesson(w.anna, "alpha", "one", day(2, 10))
	f.lesson(w.anna, "alpha", "two", day(3, 10))
	f.lesson(w.anna, "alpha", "gone", day(3, 11)) // a lesson that left the content: not counted
	f.attempt(w.anna, "alpha", 0, day(3, 12))
	f.attempt(w.anna, "alpha", 100, day(4, 8))
	f.cert(w.anna, "alpha", day(4, 8))
	f.attempt(w.anna, "alpha", 100, day(10, 8))
	f.visit(w.anna, "beta", "only", day(18, 9))

	// Bernd did one lesson on the 2nd and nothing since: inactive.
	w.bernd = f.user("Bernd Bauer", "bernd@example.org", "Stadtplanung", "learner", "approved")
	f.member(w.nord, w.bernd, day(1, 10))
	f.lesson(w.bernd, "alpha", "one", day(2, 15))

	// Clara joined five days ago and has done nothing yet: not (yet) inactive.
	w.clara = f.user("Clara Christ", "clara@example.org", "Präventionsrat", "learner", "approved")
	f.member(w.nord, w.clara, day(15, 10))

	// Frank finished everything early in the month: finished learners are never inactive.
	w.frank = f.user("Frank Fink", "frank@example.org", "Veranstalter", "learner", "approved")
	f.member(w.nord, w.frank, day(1, 10))
	f.lesson(w.frank, "alpha", "one", day(1, 11))
	f.lesson(w.frank, "alpha", "two", day(1, 12))
	f.attempt(w.frank, "alpha", 50, day(2, 9))
	f.cert(w.frank, "alpha", day(2, 9))
	f.lesson(w.frank, "beta", "only", day(5, 9))
	f.attempt(w.frank, "beta", 100, day(4, 9)) // passed before the last lesson: done on the 5th
	f.cert(w.frank, "beta", day(5, 9))
	f.cert(w.frank, "*", day(5, 9)) // the programme: not a module completion

	// A disabled member is listed but never flagged; an erased one has left (and is not listed
	// even if a stale membership row were left behind).
	w.disabled = f.user("Dieter Dormant", "dieter@example.org", "", "learner", "disabled")
	f.member(w.nord, w.disabled, day(1, 10))
	w.erased = f.user("—", "erased-9@erased.invalid", "", "learner", "erased")
	f.member(w.nord, w.erased, day(1, 10))
	f.lesson(w.erased, "alpha", "one", day(6, 10))
	f.cert(w.erased, "beta", day(6, 10)) // an erased member's completion is not the cohort's
	// Applicants an admin put into the cohort before deciding never reach a trainer's view: they
	// have no access, and a rejected one never will.
	for _, st := range []string{"pending", "rejected"} {
		id := f.user("Anna "+st, st+"@example.org", "Bewerberin", "learner", st)
		f.member(w.nord, id, day(1, 10))
	}

	// Emil is in the other cohort.
	w.emil = f.user("Emil Ernst", "emil@example.org", "Polizei", "learner", "approved")
	f.member(w.sued, w.emil, time.Date(2025, time.December, 1, 10, 0, 0, 0, time.UTC))
	f.lesson(w.emil, "beta", "only", time.Date(2026, time.January, 14, 10, 0, 0, 0, time.UTC))
	f.attempt(w.emil, "beta", 100, time.Date(2026, time.January, 15, 10, 0, 0, 0, time.UTC))
	f.cert(w.emil, "beta", time.Date(2026, time.January, 15, 10, 0, 0, 0, time.UTC))
	return w
}

func TestReportMatrix(t *testing.T) {
	w := newWorld(t)
	r, err := w.svc.Report(context.Background(), w.nord, w.trainerT, "trainer", report.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range r.Learners {
		names = append(names, l.Name)
	}
	if want := []string{"Anna Arndt", "Bernd Bauer", "Clara Christ", "Dieter Dormant", "Frank Fink"}; !slices.Equal(names, want) {
		t.Fatalf("learners = %q, want %q", names, want)
	}
	if len(r.Modules) != 2 || r.Modules[0].ID != "alpha" || r.Modules[1].ID != "beta" {
		t.Fatalf("modules not in content order: %v", r.Modules)
	}
	byName := map[string]report.Learner{}
	for _, l := range r.Learners {
		byName[l.Name] = l
	}
	type cellWant struct {
		percent, best, attempts int
		passed, complete        bool
	}
	tests := []struct {
		name         string
		cells        [2]cellWant
		percent      int
		lastActivity time.Time
		inactive     bool
	}{
		{"Anna Arndt", [2]cellWant{{100, 100, 3, true, true}, {0, 0, 0, false, false}}, 60, day(18, 9), false},
		{"Bernd Bauer", [2]cellWant{{33, 0, 0, false, false}, {0, 0, 0, false, false}}, 20, day(2, 15), true},
		{"Clara Christ", [2]cellWant{{0, 0, 0, false, false}, {0, 0, 0, false, false}}, 0, time.Time{}, false},
		{"Dieter Dormant", [2]cellWant{}, 0, time.Time{}, false},
		{"Frank Fink", [2]cellWant{{100, 50, 1, true, true}, {100, 100, 1, true, true}}, 100, day(5, 9), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := byName[tt.name]
			for i, want := range tt.cells {
				c := l.Cells[i]
				got := cellWant{c.Percent, c.BestScore, c.Attempts, c.Passed, c.Complete}
				if got != want {
					t.Errorf("module %d: got %+v, want %+v", i, got, want)
				}
			}
			if l.Percent != tt.percent {
				t.Errorf("programme percent = %d, want %d", l.Percent, tt.percent)
			}
			if !l.LastActivity.Equal(tt.lastActivity) {
				t.Errorf("last activity = %v, want %v", l.LastActivity, tt.lastActivity)
			}
			if l.Inactive != tt.inactive {
				t.Errorf("inactive = %v, want %v", l.Inactive, tt.inactive)
			}
		})
	}
	if r.Inactive != 1 || r.Completed != 1 {
		t.Errorf("inactive = %d, completed = %d; want 1, 1", r.Inactive, r.Completed)
	}
	if want := (60 + 20 + 0 + 0 + 100) / 5; r.AvgPercent != want {
		t.Errorf("average = %d, want %d", r.AvgPercent, want)
	}
	if got := byName["Anna Arndt"].Cells[0].CompletedAt; !got.Equal(day(4, 8)) {
		t.Errorf("alpha completed at %v, want the first passing attempt %v", got, day(4, 8))
	}
	if got := byName["Frank Fink"].Cells[1].CompletedAt; !got.Equal(day(5, 9)) {
		t.Errorf("beta completed at %v, want the last lesson %v", got, day(5, 9))
	}
}

// The inactive flag follows the injected clock: Bernd's last activity was on the 2nd.
func TestInactiveThreshold(t *testing.T) {
	w := newWorld(t)
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{day(16, 14), false},
		{day(16, 15), true}, // exactly 14 days
		{day(30, 0), true},
	} {
		w.clock.Set(tt.now)
		r, err := w.svc.Report(context.Background(), w.nord, w.admin, "admin", report.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Learners[1].Inactive; got != tt.want {
			t.Errorf("at %v: Bernd inactive = %v, want %v", tt.now, got, tt.want)
		}
	}
}

func TestTimelineDaily(t *testing.T) {
	w := newWorld(t)
	r, err := w.svc.Report(context.Background(), w.nord, w.trainerT, "trainer", report.Query{})
	if err != nil {
		t.Fatal(err)
	}
	tl := r.Timeline
	if tl.Unit != report.Day || len(tl.Buckets) != 20 {
		t.Fatalf("unit %s with %d buckets, want 20 days (1st to 20th)", tl.Unit, len(tl.Buckets))
	}
	counts := map[int]int{}
	for _, b := range tl.Buckets {
		if b.Count > 0 {
			counts[b.Start.Day()] = b.Count
		}
	}
	// Frank: alpha on the 2nd, beta on the 5th; Anna: alpha on the 4th. Erased users are gone.
	if want := map[int]int{2: 1, 4: 1, 5: 1}; !equalMaps(counts, want) {
		t.Errorf("completions per day = %v, want %v", counts, want)
	}
	if tl.Total != 3 || tl.Max != 1 || tl.Buckets[len(tl.Buckets)-1].Cumulative != 3 {
		t.Errorf("total %d, max %d, cumulative %d", tl.Total, tl.Max, tl.Buckets[len(tl.Buckets)-1].Cumulative)
	}
	if got := tl.Buckets[3].Label("de"); got != "04.03.2026" {
		t.Errorf("German label = %q", got)
	}
}

func TestTimelineWeekly(t *testing.T) {
	w := newWorld(t)
	r, err := w.svc.Report(context.Background(), w.sued, w.trainerU, "trainer", report.Query{})
	if err != nil {
		t.Fatal(err)
	}
	tl := r.Timeline
	if tl.Unit != report.Week {
		t.Fatalf("unit = %s, want week for a cohort of 16 weeks", tl.Unit)
	}
	// 1 Dec 2025 is a Monday (ISO week 49); 20 Mar 2026 is in week 12 of 2026.
	first, last := tl.Buckets[0], tl.Buckets[len(tl.Buckets)-1]
	if !first.Start.Equal(time.Date(2025, time.December, 1, 0, 0, 0, 0, time.UTC)) || first.Start.Weekday() != time.Monday {
		t.Errorf("first week starts %v", first.Start)
	}
	if y, wk := last.Start.ISOWeek(); y != 2026 || wk != 12 {
		t.Errorf("last week = %d/%d", wk, y)
	}
	var hit []string
	for _, b := range tl.Buckets {
		if b.Count > 0 {
			hit = append(hit, b.Label("de"))
		}
	}
	if want := []string{"KW 3/2026 (12.01.–18.01.)"}; !slices.Equal(hit, want) {
		t.Errorf("weeks with completions = %q, want %q", hit, want)
	}
}

func TestTrainersSeeOnlyTheirCohorts(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.svc.Report(ctx, w.sued, w.trainerT, "trainer", report.Query{}); !errs.Is(err, errs.NotFound) {
		t.Errorf("trainer T on Süd: err = %v, want not found", err)
	}
	if _, err := w.svc.Report(ctx, 999, w.admin, "admin", report.Query{}); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown cohort: err = %v, want not found", err)
	}
	if _, err := w.svc.Report(ctx, w.sued, w.admin, "admin", report.Query{}); err != nil {
		t.Errorf("admin on Süd: %v", err)
	}
	for _, tt := range []struct {
		viewer int64
		role   account.Role
		want   []string
	}{
		{w.trainerT, "trainer", []string{"Nord"}},
		{w.trainerU, "trainer", []string{"Süd"}},
		{w.admin, "admin", []string{"Nord", "Süd"}},
		{w.anna, "learner", nil},
	} {
		got, err := w.svc.Led(ctx, tt.viewer, tt.role, false)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range got {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("%s %d leads %q, want %q", tt.role, tt.viewer, names, tt.want)
		}
	}
	led, _ := w.svc.Led(ctx, w.trainerT, "trainer", false)
	if s := led[0]; s.Members != 5 || s.Inactive != 1 || s.Completed != 1 || s.AvgPercent != 36 {
		t.Errorf("summary = %+v", s)
	}
}

func equalMaps(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A cohort older than two years gets one bar per month; an empty cohort has an empty matrix.
func TestTimelineMonthly(t *testing.T) {
	db := testkit.OpenDB(t)
	f := fixture{t, db}
	id := f.cohort("Alt", time.Date(2023, time.January, 15, 9, 0, 0, 0, time.UTC))
	svc, _ := newService(t, db, func() time.Time { return day(20, 12) })
	r, err := svc.Report(context.Background(), id, 1, "admin", report.Query{})
	if err != nil {
		t.Fatal(err)
	}
	tl := r.Timeline
	if tl.Unit != report.Month || len(tl.Buckets) != 39 || tl.Total != 0 {
		t.Fatalf("unit %s, %d buckets, total %d; want 39 months (Jan 2023 to Mar 2026), none completed", tl.Unit, len(tl.Buckets), tl.Total)
	}
	if got := tl.Buckets[0].Label("de") + " / " + tl.Buckets[38].Label("en"); got != "Januar 2023 / March 2026" {
		t.Errorf("labels = %q", got)
	}
	if len(r.Learners) != 0 || r.AvgPercent != 0 {
		t.Errorf("empty cohort: %d learners, average %d", len(r.Learners), r.AvgPercent)
	}
}

// The page's SQL says "inactive", "overdue", "complete" and the percentage exactly as the rules
// in Go do, at every moment around the thresholds and with and without a due date.
func TestSQLAgreesWithRecords(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for _, due := range []any{nil, day(10, 0).Unix(), day(25, 0).Unix()} {
		w.f.exec(`UPDATE cohorts SET due_at = ? WHERE id = ?`, due, w.nord)
		for _, now := range []time.Time{day(16, 14), day(16, 15), day(20, 12), day(29, 10), day(30, 0)} {
			w.clock.Set(now)
			sqlWay, goWay, err := w.svc.BothWays(ctx, w.nord)
			if err != nil {
				t.Fatal(err)
			}
			if len(sqlWay) != 5 || len(goWay) != 5 {
				t.Fatalf("%d and %d members", len(sqlWay), len(goWay))
			}
			for id, want := range goWay {
				if got := sqlWay[id]; got != want {
					t.Errorf("due %v, at %v, user %d: SQL %+v, Go %+v", due, now, id, got, want)
				}
			}
		}
	}
}

// A module's column sorts by its percentage, then best score, then attempts — from the figures
// learning keeps per module, in SQL.
func TestSortByModule(t *testing.T) {
	w := newWorld(t)
	r, err := w.svc.Report(context.Background(), w.nord, w.trainerT, "trainer", report.Query{Sort: report.SortModule("alpha"), Desc: true})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range r.Learners {
		names = append(names, l.Name)
	}
	if want := []string{"Anna Arndt", "Frank Fink", "Bernd Bauer", "Dieter Dormant", "Clara Christ"}; !slices.Equal(names, want) {
		t.Errorf("by alpha, descending: %q, want %q", names, want)
	}
	if r.Query.Sort != "m.alpha" {
		t.Errorf("the sort was not kept: %q", r.Query.Sort)
	}
	r, err = w.svc.Report(context.Background(), w.nord, w.trainerT, "trainer", report.Query{Sort: "m.nonsense"})
	if err != nil || r.Query.Sort != report.SortName {
		t.Errorf("an unknown module falls back to the name: %q, %v", r.Query.Sort, err)
	}
}

// The cached completions chart notices a change of members even when their number and the sum of
// their ids stay the same (5 and 10 swapped for 7 and 8).
func TestTimelineFollowsASwapOfMembers(t *testing.T) {
	db := testkit.OpenDB(t)
	f := fixture{t, db}
	clock := testkit.NewClock(day(20, 12))
	svc, learn := newService(t, db, clock.Now)
	c := f.cohort("Nord", day(1, 9))
	trainer := f.exec(`INSERT INTO users(id, email, name, organisation, role, status, created_at) VALUES (100, 't@example.org', 'Tanja Trainer', 'Land', 'trainer', 'approved', ?)`, day(1, 8).Unix())
	f.leads(c, trainer)
	for _, id := range []int64{5, 7, 8, 10} {
		f.exec(`INSERT INTO users(id, email, name, organisation, role, status, created_at) VALUES (?, ?, ?, 'Amt', 'learner', 'approved', ?)`,
			id, fmt.Sprintf("l%d@example.org", id), fmt.Sprintf("Lernende %d", id), day(1, 8).Unix())
	}
	f.cert(7, "alpha", day(3, 10))
	f.member(c, 5, day(1, 10))
	f.member(c, 10, day(1, 10))
	if _, err := learn.RebuildSummaries(t.Context()); err != nil {
		t.Fatal(err)
	}
	total := func() int {
		t.Helper()
		r, err := svc.Report(t.Context(), c, trainer, "trainer", report.Query{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Timeline.Total
	}
	if got := total(); got != 0 {
		t.Fatalf("members 5 and 10: %d completions, want 0", got)
	}
	f.exec(`DELETE FROM cohort_members WHERE cohort_id = ? AND user_id IN (5, 10)`, c)
	f.member(c, 7, day(1, 10))
	f.member(c, 8, day(1, 10))
	if got := total(); got != 1 {
		t.Errorf("members 7 and 8 (7 with a certificate): %d completions, want 1 — the chart of the old members", got)
	}
}
