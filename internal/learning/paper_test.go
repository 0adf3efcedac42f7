package learning_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/errs"
	"saferspaces/internal/learning"
	"saferspaces/internal/testkit"
)

func poolFixture(t *testing.T, n, draw int) *fixture {
	t.Helper()
	return checkFixture(t, testkit.PoolCheckYAML(n, draw, "one"))
}

// checkFixture is a learner and a module "pool" with one lesson and the self-check check.
func checkFixture(t *testing.T, check string) *fixture {
	t.Helper()
	db := testkit.OpenDB(t)
	c := testkit.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
	cat := testkit.Catalog(t, testkit.Module{ID: "pool", Lessons: []string{"one"}, Check: check})
	f := &fixture{db: db, clock: c, svc: learning.New(db, cat, c.Now)}
	f.user = addUser(t, db, "Jürgen Müßig", "juergen@example.org")
	return f
}

func sheetOrder(s *learning.Sheet) []string {
	var ids []string
	for _, q := range s.Questions {
		var cs []string
		for _, c := range q.Choices {
			cs = append(cs, c.ID)
		}
		ids = append(ids, q.ID+":"+strings.Join(cs, ""))
	}
	return ids
}

// all answers every question of the sheet: right for the first `right` of them, wrong after.
func answer(s *learning.Sheet, right int) map[string][]string {
	a := map[string][]string{}
	for i, q := range s.Questions {
		if i < right {
			a[q.ID] = []string{"a"}
		} else {
			a[q.ID] = []string{"b"}
		}
	}
	return a
}

// A pool of 12 with draw: 8 shows 8 questions; the attempt stores which ones in which order, is
// graded on those 8 only, and its review shows them again in that order. The form shows the same
// paper until an attempt is graded; the next attempt gets another order.
func TestPaperDrawsFromThePool(t *testing.T) {
	f := poolFixture(t, 12, 8)
	ctx := context.Background()
	sheet, err := f.svc.Sheet(ctx, f.user, "pool")
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet.Questions) != 8 {
		t.Fatalf("sheet has %d questions, want 8", len(sheet.Questions))
	}
	first := sheetOrder(sheet)
	again, _ := f.svc.Sheet(ctx, f.user, "pool")
	if !slices.Equal(first, sheetOrder(again)) {
		t.Errorf("the form changed on reload:\n%v\n%v", first, sheetOrder(again))
	}

	// 6 of the 8 right: 75 %, passed — a score over the drawn questions, not the pool of 12.
	res, err := f.svc.SubmitCheck(ctx, f.user, "pool", answer(sheet, 6))
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 8 || res.Right != 6 || res.Score != 75 || !res.Passed {
		t.Errorf("result %d/%d = %d %%, passed %v", res.Right, res.Total, res.Score, res.Passed)
	}
	a, err := f.svc.Attempt(ctx, f.user, "pool", res.AttemptID)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := f.svc.Review(a)
	if err != nil {
		t.Fatal(err)
	}
	var reviewed []string
	for _, q := range rev.Questions {
		var cs []string
		for _, c := range q.Choices {
			cs = append(cs, c.Choice.ID)
		}
		reviewed = append(reviewed, q.Question.ID+":"+strings.Join(cs, ""))
	}
	if !slices.Equal(first, reviewed) {
		t.Errorf("review order differs from the attempt:\n%v\n%v", first, reviewed)
	}

	// Every further attempt is a new paper.
	prev := first
	for i := range 5 {
		next, err := f.svc.Sheet(ctx, f.user, "pool")
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(prev, sheetOrder(next)) {
			t.Errorf("attempt %d shows the same paper as the one before", i+2)
		}
		prev = sheetOrder(next)
		if _, err := f.svc.SubmitCheck(ctx, f.user, "pool", answer(next, 0)); err != nil {
			t.Fatal(err)
		}
	}
}

// Even a pool with one order per question gets a new paper each attempt where one exists.
func TestSmallPoolStillChangesOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var prev []string
	for i := range 6 {
		s, err := f.svc.Sheet(ctx, f.user, "alpha")
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Questions) != 3 {
			t.Fatalf("no draw: %d questions, want the whole pool of 3", len(s.Questions))
		}
		if i > 0 && slices.Equal(prev, sheetOrder(s)) {
			t.Errorf("attempt %d repeats the order of the one before: %v", i+1, prev)
		}
		prev = sheetOrder(s)
		f.submit(t, "alpha", failing)
	}
}

// An attempt with unanswered questions is not graded or stored; the answers are kept as a draft
// that the next form shows, and the complete submission clears it.
func TestIncompleteSubmissionIsNotStored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.SubmitCheck(ctx, f.user, "alpha", map[string][]string{"q1": {"b"}, "q3": {""}})
	fields := errs.FieldsOf(err)
	if !errs.Is(err, errs.Invalid) || len(fields) != 2 || !fields.Has("q2") || !fields.Has("q3") || fields.Has("q1") {
		t.Fatalf("incomplete submission: %v (fields %v)", err, fields)
	}
	if n := f.count(t, `SELECT count(*) FROM check_attempts`); n != 0 {
		t.Errorf("%d attempts stored", n)
	}
	s, err := f.svc.Sheet(ctx, f.user, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if s.DraftAt.IsZero() || !s.Ticked("q1", "b") || s.Ticked("q1", "a") {
		t.Errorf("draft not restored: %+v", s.Answers)
	}
	// A draft saved by the sign-in path replaces it.
	if err := f.svc.SaveDraft(ctx, f.user, "alpha", map[string][]string{"q2": {"a"}, "nope": {"x"}}); err != nil {
		t.Fatal(err)
	}
	s, _ = f.svc.Sheet(ctx, f.user, "alpha")
	if !s.Ticked("q2", "a") || s.Ticked("q1", "b") || s.Answers["nope"] != nil {
		t.Errorf("draft after SaveDraft: %+v", s.Answers)
	}
	f.submit(t, "alpha", failing)
	if n := f.count(t, `SELECT count(*) FROM check_drafts`); n != 0 {
		t.Errorf("the draft survives a graded attempt")
	}
}

// Until the learner has passed, the feedback shows their own choices only: never which choice is
// correct, never the explanation of a choice they did not tick. With the key, everything.
func TestFeedbackHidesTheKeyUntilPassed(t *testing.T) {
	f := newFixture(t)
	res := f.submit(t, "alpha", map[string][]string{"q1": {"b"}, "q2": {"a", "c"}, "q3": {"x"}})
	fb := res.Feedback(false)
	if fb.Key || len(fb.Questions) != 3 {
		t.Fatalf("feedback: %+v", fb)
	}
	for _, q := range fb.Questions {
		for _, c := range q.Choices {
			if !c.Chosen || c.Correct {
				t.Errorf("%s/%s shown without the key (chosen %v, correct %v)", q.Question.ID, c.Choice.ID, c.Chosen, c.Correct)
			}
		}
		if q.Right != (q.Question.ID == "q3") {
			t.Errorf("%s right = %v", q.Question.ID, q.Right)
		}
	}
	full := res.Feedback(true)
	n := 0
	for _, q := range full.Questions {
		n += len(q.Choices)
	}
	if !full.Key || n != 7 {
		t.Errorf("the key shows %d choices, want all 7", n)
	}
}

// Answers to pool questions the paper did not show (a hand-made request sends them) are neither
// graded nor stored: the attempt keeps what the learner was asked.
func TestAnswersOffThePaperAreNotStored(t *testing.T) {
	f := poolFixture(t, 12, 8)
	ctx := context.Background()
	sheet, err := f.svc.Sheet(ctx, f.user, "pool")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][]string{}
	for i := range 12 {
		all[fmt.Sprintf("p%d", i+1)] = []string{"b"} // wrong: would lower the score if graded
	}
	for q, v := range answer(sheet, 8) {
		all[q] = v
	}
	res, err := f.svc.SubmitCheck(ctx, f.user, "pool", all)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.Attempt(ctx, f.user, "pool", res.AttemptID)
	if err != nil {
		t.Fatal(err)
	}
	var stored, shown []string
	for q := range a.Answers {
		stored = append(stored, q)
	}
	for _, q := range sheet.Questions {
		shown = append(shown, q.ID)
	}
	slices.Sort(stored)
	slices.Sort(shown)
	if !slices.Equal(stored, shown) {
		t.Errorf("stored answers to %v, want those to the paper's %v", stored, shown)
	}
	if res.Score != 100 {
		t.Errorf("score %d, want 100 (graded on the paper only)", res.Score)
	}
}

// The service remembers each learner's last paper (paperMemo); what it draws must be what a
// service that remembers nothing draws from the database — after every attempt, also when
// attempts are removed behind its back. One question with two choices makes two papers, so the
// next draw often repeats the last paper and must be drawn again.
func TestRememberedPaperAgreesWithTheDatabase(t *testing.T) {
	check := `pass_mark: 50
questions:
  - id: p1
    kind: single
    lesson: one
    text: {de: "Frage?", en: "Question?"}
    choices:
      - id: a
        text: {de: "Ja", en: "Yes"}
        correct: true
        explanation: {de: "Erklärung a.", en: "Explanation a."}
      - id: b
        text: {de: "Nein", en: "No"}
        explanation: {de: "Erklärung b.", en: "Explanation b."}
`
	f := checkFixture(t, check)
	ctx := context.Background()
	for i := range 30 {
		warm, err := f.svc.Sheet(ctx, f.user, "pool")
		if err != nil {
			t.Fatal(err)
		}
		cold, err := learning.New(f.db, f.svc.Catalog(), f.clock.Now).Sheet(ctx, f.user, "pool")
		if err != nil {
			t.Fatal(err)
		}
		if w, c := sheetOrder(warm), sheetOrder(cold); !slices.Equal(w, c) {
			t.Fatalf("attempt %d: the service draws %v, the database says %v", i+1, w, c)
		}
		switch {
		case i%7 == 6: // the newest attempt goes, out of band
			if _, err := f.db.W.Exec(`DELETE FROM check_attempts WHERE id = (SELECT max(id) FROM check_attempts)`); err != nil {
				t.Fatal(err)
			}
		default:
			if _, err := f.svc.SubmitCheck(ctx, f.user, "pool", answer(warm, i%3)); err != nil {
				t.Fatal(err)
			}
		}
		if i%5 == 0 {
			f.clock.Advance(time.Second)
		}
	}
}
