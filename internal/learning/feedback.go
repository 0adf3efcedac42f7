package learning

import "saferspaces/internal/content"

// Feedback is what a learner is shown of a graded attempt. It is built here, not in a template,
// because what may be shown is a rule of the self-check: until the learner has passed, the
// feedback names which questions were wrong and explains the choices the learner ticked, and
// points to the lesson that teaches the question — but it never says which choices are correct,
// and never shows the explanation of a choice the learner did not tick. Otherwise the second
// attempt would be copying. Once passed, the whole key is shown.
type Feedback struct {
	Key       bool // the whole key: every choice, marked correct or wrong, with its explanation
	Questions []FeedbackQuestion
}

// FeedbackQuestion is the feedback on one question of the paper.
type FeedbackQuestion struct {
	Question *content.Question
	Right    bool
	Answered bool
	// Lesson teaches the question; set for questions not answered right (and, with the key, for
	// every question), nil when the content names none.
	Lesson  *content.Lesson
	Choices []FeedbackChoice // with the key every choice in the paper's order; else the ticked ones
}

// FeedbackChoice is one choice as the feedback shows it. Correct is only ever true with the key.
type FeedbackChoice struct {
	Choice  *content.Choice
	Chosen  bool
	Correct bool
}

// Feedback is what the learner may see of r: the whole key if key is true (the learner has
// passed this self-check), else only their own choices.
func (r Result) Feedback(key bool) Feedback {
	fb := Feedback{Key: key}
	for _, q := range r.Questions {
		fq := FeedbackQuestion{Question: q.Question, Right: q.Right, Answered: q.Answered}
		if (key || !q.Right) && r.Module != nil && q.Question.Lesson != "" {
			fq.Lesson = r.Module.Lesson(q.Question.Lesson)
		}
		for _, c := range q.Choices {
			switch {
			case key:
				fq.Choices = append(fq.Choices, FeedbackChoice(c))
			case c.Chosen:
				fq.Choices = append(fq.Choices, FeedbackChoice{Choice: c.Choice, Chosen: true})
			}
		}
		fb.Questions = append(fb.Questions, fq)
	}
	return fb
}
