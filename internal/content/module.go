package content

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// decodeModule reads module.yaml. It returns the module even when it has problems, so the
// rest of the folder is still checked and links to it still resolve; idLine locates the id
// for the duplicate check across folders.
func decodeModule(src []byte, file string, ps *problems) (m *Module, idLine int) {
	m = &Module{}
	y := &yamlFile{name: file, ps: ps}
	body, ok := y.parse(src)
	if !ok {
		return m, 0
	}
	if body == nil {
		y.errorf(0, "file is empty")
		return m, 0
	}
	f, ok := y.mappingOf(body, 1, "", "must be a mapping of id, title, summary, objectives, minutes",
		"id", "title", "summary", "objectives", "minutes")
	if !ok {
		return m, 0
	}
	m.ID, idLine = f.id("id")
	m.Title = f.text("title")
	m.Summary = f.text("summary")
	m.Minutes = f.number("minutes", 1, 1000)
	if items, ok := f.list("objectives"); ok {
		if len(items) == 0 {
			f.errorf(f.vals["objectives"].keyLine, "objectives", "list is empty")
		}
		for i, n := range items {
			m.Objectives = append(m.Objectives, y.text(n, y.line(n), fmt.Sprintf("objective %d", i+1)))
		}
	}
	return m, idLine
}

// decodeCheck reads check.yaml; like decodeModule it returns what it could read.
func decodeCheck(src []byte, file string, ps *problems) *Check {
	c := &Check{}
	y := &yamlFile{name: file, ps: ps}
	body, ok := y.parse(src)
	if !ok {
		return c
	}
	if body == nil {
		y.errorf(0, "file is empty")
		return c
	}
	f, ok := y.mappingOf(body, 1, "", "must be a mapping of pass_mark, draw and questions", "pass_mark", "draw", "questions")
	if !ok {
		return c
	}
	c.PassMark = f.number("pass_mark", 1, 100)
	if f.optional("draw") {
		c.Draw = f.number("draw", 1, 1000)
	}
	items, ok := f.list("questions")
	if !ok {
		return c
	}
	if len(items) == 0 {
		f.errorf(f.vals["questions"].keyLine, "questions", "list is empty")
	}
	seen := map[string]int{} // question id → line
	for i, n := range items {
		q, idLine := decodeQuestion(y, n, i)
		if q.ID != "" {
			if first, dup := seen[q.ID]; dup {
				y.errorf(idLine, "question %q: id: already used on line %d", q.ID, first)
			} else {
				seen[q.ID] = idLine
			}
		}
		c.Questions = append(c.Questions, q)
	}
	if c.Draw > len(c.Questions) && len(c.Questions) > 0 {
		f.errorf(f.vals["draw"].keyLine, "draw", "%d is more than the %d questions of the pool", c.Draw, len(c.Questions))
	}
	return c
}

func decodeQuestion(y *yamlFile, n ast.Node, i int) (*Question, int) {
	q := &Question{}
	prefix := itemPrefix(n, "question", i)
	f, ok := y.mappingOf(n, y.line(n), prefix, "must be a mapping of id, kind, lesson, text, choices",
		"id", "kind", "lesson", "text", "choices")
	if !ok {
		return q, 0
	}
	var idLine int
	q.ID, idLine = f.id("id")
	q.line = f.line
	if f.optional("lesson") {
		q.Lesson, q.lessonLine = f.id("lesson")
	}
	q.Kind = f.str("kind")
	if q.Kind != "" && q.Kind != Single && q.Kind != Multiple {
		f.errorf(f.vals["kind"].keyLine, "kind", "unknown kind %q (use %s or %s)", q.Kind, Single, Multiple)
	}
	q.Text = f.text("text")
	items, ok := f.list("choices")
	if !ok {
		return q, idLine
	}
	line := f.vals["choices"].keyLine
	seen := map[string]int{} // choice id → line
	correct := 0
	for j, cn := range items {
		c, cIDLine := decodeChoice(y, cn, prefix, j)
		if c.ID != "" {
			if first, dup := seen[c.ID]; dup {
				y.errorf(cIDLine, "%schoice %q: id: already used on line %d", prefix, c.ID, first)
			} else {
				seen[c.ID] = cIDLine
			}
		}
		if c.Correct {
			correct++
		}
		q.Choices = append(q.Choices, c)
	}
	// The rules below are what makes a question answerable at all, so they hold for both kinds.
	switch {
	case len(items) < 2:
		f.errorf(line, "choices", "needs at least 2 choices, has %d", len(items))
	case correct == 0:
		f.errorf(line, "choices", "no choice is marked correct: true")
	case correct > 1 && q.Kind == Single:
		f.errorf(line, "choices", "kind single needs exactly one correct choice, has %d", correct)
	}
	return q, idLine
}

func decodeChoice(y *yamlFile, n ast.Node, qPrefix string, j int) (*Choice, int) {
	c := &Choice{}
	prefix := qPrefix + itemPrefix(n, "choice", j)
	f, ok := y.mappingOf(n, y.line(n), prefix, "must be a mapping of id, text, correct, explanation",
		"id", "text", "correct", "explanation")
	if !ok {
		return c, 0
	}
	var idLine int
	c.ID, idLine = f.id("id")
	c.Text = f.text("text")
	c.Correct = f.flag("correct")
	c.Explanation = f.text("explanation")
	return c, idLine
}

// itemPrefix starts the messages about the i-th item of a list: `question "q1": ` if the item
// has an id, `question 1: ` otherwise. The id is found before the item is decoded, so every
// message about it, even about an unknown key above the id, names it the way the author knows it.
func itemPrefix(n ast.Node, what string, i int) string {
	values, _ := mappingValues(n)
	for _, mv := range values {
		if mv.Key == nil || mv.Key.GetToken() == nil || mv.Key.GetToken().Value != "id" {
			continue
		}
		if id, ok := scalar(mv.Value); ok {
			if id != "" {
				return fmt.Sprintf("%s %q: ", what, id)
			}
			break
		}
	}
	return fmt.Sprintf("%s %d: ", what, i+1)
}
