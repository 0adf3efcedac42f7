package learning

import (
	"slices"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
)

// Result is a graded self-check: the score and, per question of the paper, what was ticked and
// every choice with whether it is correct. It is the whole key; what a learner may see of it is
// decided by Feedback.
type Result struct {
	Score     int // percent of the paper's questions right, rounded down
	Passed    bool
	PassMark  int
	Right     int // questions answered right
	Total     int // questions on the paper
	Questions []QuestionResult

	Module *content.Module // filled by SubmitCheck and Review, for the lessons Feedback points to

	// Filled by SubmitCheck.
	AttemptID int64
	At        time.Time
	Issued    []Certificate // certificates this attempt issued
}

// QuestionResult is the feedback on one question.
type QuestionResult struct {
	Question *content.Question
	Chosen   []string // as sent
	Right    bool
	Answered bool // something was ticked
	Choices  []ChoiceResult
}

// ChoiceResult is one choice of a graded question.
type ChoiceResult struct {
	Choice  *content.Choice
	Chosen  bool
	Correct bool
}

// Grade grades answers (question id → ticked choice ids) on the questions of paper, in the
// paper's order; a nil paper is every question of check in content order. Every question is
// all-or-nothing: it counts as right only when exactly its correct choices are ticked, so a
// missing tick, an extra tick, an unknown choice id or two values for a single-choice question
// make it wrong. The score is the percentage of the paper's questions right, rounded down, and
// passing needs score ≥ pass mark. Answers to questions not on the paper are ignored.
func Grade(check *content.Check, paper Paper, answers map[string][]string) Result {
	if paper == nil {
		paper = contentOrder(check)
	}
	r := Result{PassMark: check.PassMark}
	for _, sq := range paper.lay(check) {
		q := sq.Question
		chosen := answers[q.ID]
		qr := QuestionResult{Question: q, Chosen: chosen, Answered: len(chosen) > 0, Right: q.Right(chosen)}
		for _, c := range sq.Choices {
			qr.Choices = append(qr.Choices, ChoiceResult{Choice: c, Chosen: slices.Contains(chosen, c.ID), Correct: c.Correct})
		}
		if qr.Right {
			r.Right++
		}
		r.Questions = append(r.Questions, qr)
	}
	r.Total = len(r.Questions)
	if r.Total > 0 {
		r.Score = r.Right * 100 / r.Total
	}
	r.Passed = r.Total > 0 && r.Score >= r.PassMark
	return r
}

// Unanswered checks that every question of the paper has an answer. An attempt with unanswered
// questions is not graded or counted: the error is errs.Invalid with one field per question left
// open (Name the question id, Code "required"), in the paper's order.
func Unanswered(check *content.Check, paper Paper, answers map[string][]string) error {
	var missing errs.Fields
	for _, sq := range paper.lay(check) {
		if !slices.ContainsFunc(answers[sq.ID], func(v string) bool { return v != "" }) {
			missing.Add(sq.ID, "required", "is not answered")
		}
	}
	return missing.Err("%d of %d questions are not answered", len(missing), len(paper))
}

// cleanAnswers keeps only answers to the check's questions and bounds what is stored: more values
// than a question has choices can only be wrong (a repeat or an unknown id), so one extra value
// keeps it wrong on a later re-grade, and over-long values become "", which is never a valid id.
func cleanAnswers(check *content.Check, answers map[string][]string) map[string][]string {
	out := make(map[string][]string, len(check.Questions))
	for _, q := range check.Questions {
		vals := answers[q.ID]
		if len(vals) == 0 {
			continue
		}
		if len(vals) > len(q.Choices)+1 {
			vals = vals[:len(q.Choices)+1]
		}
		kept := make([]string, len(vals))
		for i, v := range vals {
			if len(v) <= 100 {
				kept[i] = v
			}
		}
		out[q.ID] = kept
	}
	return out
}

// onPaper keeps the answers to the paper's questions: what an attempt stores. Answers to
// questions of the pool that the paper did not show (only a hand-made request sends them) are
// not graded, so they are not kept either.
func onPaper(p Paper, answers map[string][]string) map[string][]string {
	out := make(map[string][]string, len(p))
	for _, q := range p {
		if v, ok := answers[q.Question]; ok {
			out[q.Question] = v
		}
	}
	return out
}
