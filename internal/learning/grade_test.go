package learning_test

import (
	"testing"

	"saferspaces/internal/learning"
)

// Grading is all-or-nothing per question; these cases are the ways a learner can be half right.
func TestGradeAllOrNothing(t *testing.T) {
	cat := loadCatalog(t, module{"alpha", []string{"one"}, 0})
	check := cat.Module("alpha").Check
	tests := []struct {
		name    string
		answers map[string][]string
		right   []bool // q1, q2, q3
		score   int
		passed  bool
	}{
		{"all right", perfect, []bool{true, true, true}, 100, true},
		{"order of ticks does not matter", map[string][]string{"q1": {"a"}, "q2": {"b", "a"}, "q3": {"x"}}, []bool{true, true, true}, 100, true},
		{"nothing ticked", map[string][]string{}, []bool{false, false, false}, 0, false},
		{"nil answers", nil, []bool{false, false, false}, 0, false},
		{"single: wrong choice", map[string][]string{"q1": {"b"}}, []bool{false, false, false}, 0, false},
		{"single: two values, one right", map[string][]string{"q1": {"a", "b"}}, []bool{false, false, false}, 0, false},
		{"single: right choice twice", map[string][]string{"q1": {"a", "a"}}, []bool{false, false, false}, 0, false},
		{"single: unknown id", map[string][]string{"q1": {"z"}}, []bool{false, false, false}, 0, false},
		{"single: right plus unknown id", map[string][]string{"q1": {"a", "z"}}, []bool{false, false, false}, 0, false},
		{"multiple: one of two correct", map[string][]string{"q2": {"a"}}, []bool{false, false, false}, 0, false},
		{"multiple: extra tick", map[string][]string{"q2": {"a", "b", "c"}}, []bool{false, false, false}, 0, false},
		{"multiple: right plus unknown id", map[string][]string{"q2": {"a", "b", "zz"}}, []bool{false, false, false}, 0, false},
		{"multiple: exactly right", map[string][]string{"q2": {"a", "b"}}, []bool{false, true, false}, 33, false},
		{"two of three passes 60", passing, []bool{true, true, false}, 66, true},
		{"one of three fails", failing, []bool{true, false, false}, 33, false},
		{"answers to unknown questions are ignored", map[string][]string{"q9": {"a"}, "q1": {"a"}}, []bool{true, false, false}, 33, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := learning.Grade(check, nil, tt.answers)
			if r.Score != tt.score || r.Passed != tt.passed {
				t.Errorf("score %d passed %v, want %d %v", r.Score, r.Passed, tt.score, tt.passed)
			}
			if r.Total != 3 || r.PassMark != 60 || len(r.Questions) != 3 {
				t.Fatalf("total %d pass mark %d questions %d", r.Total, r.PassMark, len(r.Questions))
			}
			for i, q := range r.Questions {
				if q.Right != tt.right[i] {
					t.Errorf("%s right = %v, want %v", q.Question.ID, q.Right, tt.right[i])
				}
			}
		})
	}
}

// The feedback lists every choice with whether it was ticked and whether it is correct, so the
// page can show every explanation.
func TestGradeFeedback(t *testing.T) {
	cat := loadCatalog(t, module{"alpha", []string{"one"}, 0})
	r := learning.Grade(cat.Module("alpha").Check, nil, map[string][]string{"q2": {"a", "c"}})
	q2 := r.Questions[1]
	if q2.Right || !q2.Answered {
		t.Fatalf("q2 right %v answered %v", q2.Right, q2.Answered)
	}
	want := []struct {
		id              string
		chosen, correct bool
		explanation     string
	}{{"a", true, true, "A belongs."}, {"b", false, true, "B belongs."}, {"c", true, false, "C does not belong."}}
	if len(q2.Choices) != len(want) {
		t.Fatalf("choices = %d", len(q2.Choices))
	}
	for i, w := range want {
		c := q2.Choices[i]
		if c.Choice.ID != w.id || c.Chosen != w.chosen || c.Correct != w.correct || c.Choice.Explanation.In("en") != w.explanation {
			t.Errorf("choice %d = %s chosen %v correct %v %q", i, c.Choice.ID, c.Chosen, c.Correct, c.Choice.Explanation.In("en"))
		}
	}
	if r.Questions[0].Answered {
		t.Error("q1 was not answered")
	}
}
