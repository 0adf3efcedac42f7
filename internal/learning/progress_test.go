package learning_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"saferspaces/internal/errs"
	"saferspaces/internal/learning"
)

// A double click and two tabs send the same completion at once; there must be one row and no error.
func TestCompleteLessonIsIdempotentUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := f.svc.CompleteLesson(ctx, f.user, "alpha", "one"); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n := f.count(t, `SELECT count(*) FROM lesson_completions WHERE user_id = ?`, f.user); n != 1 {
		t.Errorf("%d completion rows, want 1", n)
	}
	// Completing again later keeps the first time.
	f.clock.Advance(time.Hour)
	f.complete(t, "alpha", "one")
	if n := f.count(t, `SELECT count(*) FROM lesson_completions WHERE completed_at = ?`, f.clock.Now().Add(-time.Hour).Unix()); n != 1 {
		t.Errorf("completion time changed on a repeat")
	}
}

func TestUnknownIDsAreNotFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, ids := range [][2]string{{"alpha", "nope"}, {"nope", "one"}, {"beta", "one"}, {"", ""}} {
		if _, err := f.svc.CompleteLesson(ctx, f.user, ids[0], ids[1]); !errs.Is(err, errs.NotFound) {
			t.Errorf("CompleteLesson(%q, %q) = %v, want NotFound", ids[0], ids[1], err)
		}
		if err := f.svc.VisitLesson(ctx, f.user, ids[0], ids[1]); !errs.Is(err, errs.NotFound) {
			t.Errorf("VisitLesson(%q, %q) = %v, want NotFound", ids[0], ids[1], err)
		}
	}
	if _, err := f.svc.ModuleProgress(ctx, f.user, "nope"); !errs.Is(err, errs.NotFound) {
		t.Errorf("ModuleProgress(nope) = %v", err)
	}
	if _, err := f.svc.SubmitCheck(ctx, f.user, "nope", passing); !errs.Is(err, errs.NotFound) {
		t.Errorf("SubmitCheck(nope) = %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM lesson_completions`); n != 0 {
		t.Errorf("%d rows written for unknown ids", n)
	}
}

// Units: each lesson one, the passed check one. alpha has two lessons and a check: 3 units.
func TestModuleProgressUnitsPercentAndTimeLeft(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	steps := []struct {
		do               func()
		done, percent    int
		minutesLeft      int
		passed, complete bool
		cont             string
	}{
		{func() {}, 0, 0, 60, false, false, "/modules/alpha/lessons/one"},
		{func() { f.complete(t, "alpha", "one") }, 1, 33, 40, false, false, "/modules/alpha/lessons/two"},
		{func() { f.submit(t, "alpha", failing) }, 1, 33, 40, false, false, "/modules/alpha/lessons/two"},
		{func() { f.complete(t, "alpha", "two") }, 2, 66, 20, false, false, "/modules/alpha/check"},
		{func() { f.submit(t, "alpha", passing) }, 2, 100, 0, true, true, "/modules/alpha"},
	}
	for i, st := range steps {
		st.do()
		p, err := f.svc.ModuleProgress(ctx, f.user, "alpha")
		if err != nil {
			t.Fatal(err)
		}
		if p.LessonsDone != st.done || p.LessonsTotal != 2 || p.Percent != st.percent || p.MinutesLeft != st.minutesLeft ||
			p.Passed != st.passed || p.Complete != st.complete || p.Continue != st.cont {
			t.Errorf("step %d: done %d/%d, %d %%, %d min left, passed %v, complete %v, continue %s", i,
				p.LessonsDone, p.LessonsTotal, p.Percent, p.MinutesLeft, p.Passed, p.Complete, p.Continue)
		}
	}
}

// Minutes left round up: two thirds of 50 minutes are 33.3, shown as 34, never as less.
func TestMinutesLeftRoundUp(t *testing.T) {
	f := newFixture(t, module{"alpha", []string{"one", "two"}, 50})
	f.complete(t, "alpha", "one")
	p, err := f.svc.ModuleProgress(context.Background(), f.user, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if p.MinutesLeft != 34 || p.Percent != 33 {
		t.Errorf("minutes left %d, percent %d; want 34 and 33", p.MinutesLeft, p.Percent)
	}
}

func TestContinueFollowsTheLastVisit(t *testing.T) {
	f := newFixture(t, module{"alpha", []string{"one", "two", "three"}, 0})
	ctx := context.Background()
	visit := func(l string) {
		t.Helper()
		if err := f.svc.VisitLesson(ctx, f.user, "alpha", l); err != nil {
			t.Fatal(err)
		}
	}
	cont := func() string {
		t.Helper()
		p, err := f.svc.ModuleProgress(ctx, f.user, "alpha")
		if err != nil {
			t.Fatal(err)
		}
		return p.Continue
	}
	visit("two")
	if got := cont(); got != "/modules/alpha/lessons/two" {
		t.Errorf("after opening two: %s", got)
	}
	f.complete(t, "alpha", "two")
	if got := cont(); got != "/modules/alpha/lessons/three" {
		t.Errorf("after finishing two: %s, want the next one, not the skipped first", got)
	}
	f.complete(t, "alpha", "three")
	if got := cont(); got != "/modules/alpha/lessons/one" {
		t.Errorf("after finishing three: %s, want the skipped first", got)
	}
	f.complete(t, "alpha", "one")
	if got := cont(); got != "/modules/alpha/check" {
		t.Errorf("all lessons done: %s", got)
	}
}

func TestDashboardAndProgramme(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mods, pr, err := f.svc.Dashboard(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) != 2 || mods[0].Module.ID != "alpha" || mods[1].Module.ID != "beta" {
		t.Fatalf("modules not in content order: %v", mods)
	}
	if pr.UnitsTotal != 5 || pr.Percent != 0 || pr.MinutesLeft != 120 || pr.Resume == nil || pr.Resume.Module.ID != "alpha" {
		t.Errorf("fresh programme: %+v", pr)
	}
	// Working on beta makes it the module to resume.
	f.clock.Advance(time.Minute)
	f.complete(t, "beta", "three")
	_, pr, _ = f.svc.Dashboard(ctx, f.user)
	if pr.Resume == nil || pr.Resume.Module.ID != "beta" || pr.Resume.Continue != "/modules/beta/check" {
		t.Errorf("resume after beta work: %+v", pr.Resume)
	}
	if pr.UnitsDone != 1 || pr.Percent != 20 {
		t.Errorf("programme %d units, %d %%", pr.UnitsDone, pr.Percent)
	}
}

// Content changes: a lesson removed from the content must not break the dashboard or count,
// and its completion stays in the database in case it comes back.
func TestRemovedLessonIsIgnored(t *testing.T) {
	f := newFixture(t, module{"alpha", []string{"one", "two", "three"}, 0})
	ctx := context.Background()
	f.complete(t, "alpha", "one", "two")
	if err := f.svc.VisitLesson(ctx, f.user, "alpha", "two"); err != nil {
		t.Fatal(err)
	}

	// The new content drops lesson "two" and module alpha gains nothing else.
	edited := learning.New(f.db, loadCatalog(t, module{"alpha", []string{"one", "three"}, 0}), f.clock.Now)
	mods, pr, err := edited.Dashboard(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	p := mods[0]
	if p.LessonsDone != 1 || p.LessonsTotal != 2 || p.Percent != 33 || p.Done["two"] {
		t.Errorf("after removal: %d/%d, %d %%, done %v", p.LessonsDone, p.LessonsTotal, p.Percent, p.Done)
	}
	// The last visit points at the removed lesson: continue falls back to the first not done.
	if p.Continue != "/modules/alpha/lessons/three" {
		t.Errorf("continue = %s", p.Continue)
	}
	if pr.UnitsDone != 1 || pr.UnitsTotal != 3 {
		t.Errorf("programme %d/%d", pr.UnitsDone, pr.UnitsTotal)
	}
	// A whole module removed: its rows are ignored too.
	gone := learning.New(f.db, loadCatalog(t, module{"beta", []string{"x"}, 0}), f.clock.Now)
	mods, pr, err = gone.Dashboard(ctx, f.user)
	if err != nil || len(mods) != 1 || mods[0].LessonsDone != 0 || pr.UnitsDone != 0 {
		t.Errorf("module removed: %v %+v %v", mods, pr, err)
	}
}

func (f *fixture) submit(t *testing.T, moduleID string, answers map[string][]string) learning.Result {
	t.Helper()
	r, err := f.svc.SubmitCheck(context.Background(), f.user, moduleID, answers)
	if err != nil {
		t.Fatalf("submit %s: %v", moduleID, err)
	}
	return r
}

// Reloading a lesson within a minute writes nothing; another lesson, or later, does.
func TestVisitLessonSkipsRepeatWrites(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	visited := func() (string, int64) {
		t.Helper()
		var l string
		var at int64
		if err := f.db.R.QueryRow(`SELECT lesson_id, visited_at FROM lesson_visits WHERE user_id = ? AND module_id = 'alpha'`, f.user).Scan(&l, &at); err != nil {
			t.Fatal(err)
		}
		return l, at
	}
	start := f.clock.Now().Unix()
	steps := []struct {
		advance time.Duration
		lesson  string
		want    string
		wantAt  int64
	}{
		{0, "one", "one", start},
		{10 * time.Second, "one", "one", start},
		{10 * time.Second, "two", "two", start + 20},
		{50 * time.Second, "two", "two", start + 20},
		{70 * time.Second, "two", "two", start + 140},
	}
	for i, st := range steps {
		f.clock.Advance(st.advance)
		if err := f.svc.VisitLesson(ctx, f.user, "alpha", st.lesson); err != nil {
			t.Fatal(err)
		}
		if l, at := visited(); l != st.want || at != st.wantAt {
			t.Errorf("step %d: visit %s at +%d, want %s at +%d", i, l, at-start, st.want, st.wantAt-start)
		}
	}
}

// A learner's writes at once — several tabs submitting the self-check and completing lessons —
// are taken one after the other: every attempt counted, each graded on its own paper, and the
// summary that each write derives from the records read before it agrees with the records.
func TestOneLearnersWritesAtOnceKeepTheSummaryRight(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			if _, err := f.svc.SubmitCheck(ctx, f.user, "alpha", failing); err != nil {
				errc <- err
			}
		})
		wg.Go(func() {
			l := []string{"one", "two"}[i%2]
			if _, err := f.svc.CompleteLesson(ctx, f.user, "alpha", l); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n := f.count(t, `SELECT count(*) FROM check_attempts WHERE user_id = ?`, f.user); n != 20 {
		t.Errorf("%d attempts stored, want 20", n)
	}
	if n := f.count(t, `SELECT attempts FROM learner_progress WHERE user_id = ?`, f.user); n != 20 {
		t.Errorf("the summary counts %d attempts, want 20", n)
	}
	if n := f.count(t, `SELECT units_done FROM learner_progress WHERE user_id = ?`, f.user); n != 2 {
		t.Errorf("the summary counts %d units done, want the 2 lessons", n)
	}
}

// countingRecorder counts the events of each kind it is handed; it is safe for concurrent use.
type countingRecorder struct {
	mu    sync.Mutex
	kinds map[learning.EventKind]int
}

func (r *countingRecorder) Record(_ context.Context, _ *sql.Tx, events []learning.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range events {
		r.kinds[ev.Kind]++
	}
	return nil
}

// The outcome of a completion is worked out from the records read before its transaction; a
// writer that the learner's lock does not hold back (another process on the same database, here
// a second service) can complete the lesson in between. The transaction finds that out: one
// completion, one event, and a summary that agrees with the records.
func TestCompletionWrittenInBetweenIsRecordedOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rec := &countingRecorder{kinds: map[learning.EventKind]int{}}
	other := learning.New(f.db, f.svc.Catalog(), f.clock.Now)
	f.svc.RecordWith(rec)
	other.RecordWith(rec)
	var wg sync.WaitGroup
	errc := make(chan error, 40)
	for i := range 40 {
		svc := []*learning.Service{f.svc, other}[i%2]
		wg.Go(func() {
			if _, err := svc.CompleteLesson(ctx, f.user, "alpha", "one"); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n := rec.kinds[learning.LessonCompleted]; n != 1 {
		t.Errorf("%d lesson-completed events, want 1", n)
	}
	if n := rec.kinds[learning.ModuleProgressed]; n != 1 {
		t.Errorf("%d module-progressed events, want 1", n)
	}
	if n := f.count(t, `SELECT units_done FROM learner_progress WHERE user_id = ?`, f.user); n != 1 {
		t.Errorf("the summary counts %d units done, want 1", n)
	}
}
