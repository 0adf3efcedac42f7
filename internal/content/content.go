// Package content loads the training modules (see modules/FORMAT.md) from an fs.FS, validates
// them completely and renders the lessons once, so the web layer only ever sees valid, typed
// content.
package content

import (
	"html/template"
	"slices"
)

// Question kinds.
const (
	Single   = "single"   // exactly one correct choice; shown as radio buttons
	Multiple = "multiple" // one or more correct choices; shown as checkboxes
)

// Text is a text in both content languages.
type Text struct{ DE, EN string }

// In returns the text in lang ("en" gives English, anything else German). Validated content
// has both; the fallback only keeps a half-filled Text readable.
func (t Text) In(lang string) string {
	if lang == "en" {
		if t.EN != "" {
			return t.EN
		}
		return t.DE
	}
	if t.DE != "" {
		return t.DE
	}
	return t.EN
}

// Catalog is the validated content, modules in dashboard order.
type Catalog struct {
	Modules []*Module
	byID    map[string]*Module
}

// Module returns the module with the given id, or nil.
func (c *Catalog) Module(id string) *Module {
	return c.byID[id]
}

// Lesson returns the lesson moduleID/lessonID, or nil.
func (c *Catalog) Lesson(moduleID, lessonID string) *Lesson {
	if m := c.Module(moduleID); m != nil {
		return m.Lesson(lessonID)
	}
	return nil
}

// LessonCount is the number of lessons in all modules.
func (c *Catalog) LessonCount() int {
	n := 0
	for _, m := range c.Modules {
		n += len(m.Lessons)
	}
	return n
}

// Module is one training module.
type Module struct {
	ID         string
	Folder     string // e.g. "02-risk-assessment"
	Title      Text
	Summary    Text
	Objectives []Text
	Minutes    int // estimated study time for the whole module
	Lessons    []*Lesson
	Check      *Check
}

// Lesson returns the lesson with the given id, or nil.
func (m *Module) Lesson(id string) *Lesson {
	i := slices.IndexFunc(m.Lessons, func(l *Lesson) bool { return l.ID == id })
	if i < 0 {
		return nil
	}
	return m.Lessons[i]
}

// Lesson is one lesson, rendered in both languages.
type Lesson struct {
	ID     string
	Title  Text
	Body   map[string]template.HTML // by language; rendered from trusted, HTML-escaped Markdown
	Words  map[string]int           // words of the Markdown source by language, for reading time
	Module *Module
	Index  int // position in Module.Lessons
}

// Prev is the lesson before l in its module, or nil for the first.
func (l *Lesson) Prev() *Lesson {
	if l.Index == 0 {
		return nil
	}
	return l.Module.Lessons[l.Index-1]
}

// Next is the lesson after l in its module, or nil for the last.
func (l *Lesson) Next() *Lesson {
	if l.Index+1 >= len(l.Module.Lessons) {
		return nil
	}
	return l.Module.Lessons[l.Index+1]
}

// Check is a module's self-check.
type Check struct {
	PassMark  int // percent of questions right needed to pass
	Questions []*Question
}

// Question returns the question with the given id, or nil.
func (c *Check) Question(id string) *Question {
	i := slices.IndexFunc(c.Questions, func(q *Question) bool { return q.ID == id })
	if i < 0 {
		return nil
	}
	return c.Questions[i]
}

// Question is one self-check question.
type Question struct {
	ID      string
	Kind    string // Single or Multiple
	Text    Text
	Choices []*Choice
}

// Choice returns the choice with the given id, or nil.
func (q *Question) Choice(id string) *Choice {
	i := slices.IndexFunc(q.Choices, func(c *Choice) bool { return c.ID == id })
	if i < 0 {
		return nil
	}
	return q.Choices[i]
}

// Right reports whether ticking exactly the choices chosen answers q: the format makes every
// question all-or-nothing, so one missing or one extra tick makes it wrong. Unknown or repeated
// ids count as wrong answers rather than being ignored.
func (q *Question) Right(chosen []string) bool {
	seen := make(map[string]bool, len(chosen))
	for _, id := range chosen {
		c := q.Choice(id)
		if c == nil || !c.Correct || seen[id] {
			return false
		}
		seen[id] = true
	}
	for _, c := range q.Choices {
		if c.Correct && !seen[c.ID] {
			return false
		}
	}
	return true
}

// Choice is one answer to a question.
type Choice struct {
	ID          string
	Text        Text
	Correct     bool
	Explanation Text // shown after submitting, whether the choice was ticked or not
}
