package learning_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"saferspaces/internal/learning"
	"saferspaces/internal/testkit"
)

// recorder keeps the events it is handed, or refuses them.
type recorder struct {
	events []learning.Event
	fail   bool
}

func (r *recorder) Record(_ context.Context, _ *sql.Tx, events []learning.Event) error {
	if r.fail {
		return errors.New("records full")
	}
	r.events = append(r.events, events...)
	return nil
}

// The events of a change are handed over in its transaction: a record that cannot be kept undoes
// the change (and its certificate), and a change that was already there hands over nothing.
func TestEventsInTheTransactionOfTheChange(t *testing.T) {
	f := newFixture(t, twoModules...)
	rec := &recorder{}
	f.svc.RecordWith(rec)
	ctx := context.Background()
	if _, err := f.svc.CompleteLesson(ctx, f.user, "alpha", "one"); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 2 || rec.events[0].Kind != learning.LessonCompleted || rec.events[1].Kind != learning.ModuleProgressed ||
		rec.events[1].Percent != 33 {
		t.Fatalf("events %+v", rec.events)
	}
	if _, err := f.svc.CompleteLesson(ctx, f.user, "alpha", "one"); err != nil || len(rec.events) != 2 {
		t.Errorf("a lesson done twice: %v, %d events", err, len(rec.events))
	}

	rec.fail = true
	if _, err := f.svc.CompleteLesson(ctx, f.user, "alpha", "two"); err == nil {
		t.Fatal("a change whose record failed was reported as done")
	}
	if _, err := f.svc.SubmitCheck(ctx, f.user, "beta", map[string][]string{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"x"}}); err == nil {
		t.Fatal("an attempt whose record failed was reported as done")
	}
	if n := testkit.Count(t, f.db, `SELECT count(*) FROM lesson_completions WHERE lesson_id = 'two'`); n != 0 {
		t.Error("the lesson was stored without its record")
	}
	if n := testkit.Count(t, f.db, `SELECT count(*) FROM check_attempts`) + testkit.Count(t, f.db, `SELECT count(*) FROM certificates`); n != 0 {
		t.Error("the attempt or a certificate was stored without its record")
	}
}
