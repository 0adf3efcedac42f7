// Package content loads the training modules (see modules/FORMAT.md) from an fs.FS, validates
// them completely and renders the lessons once, so the web layer only ever sees valid, typed
// content.
package content

import (
	"html/template"
	"slices"

	"saferspaces/internal/i18n"
)

// Question kinds.
const (
	Single   = "single"   // exactly one correct choice; shown as radio buttons
	Multiple = "multiple" // one or more correct choices; shown as checkboxes
)

// Text is a text in the content languages. Validated content always has the required ones
// (German and English); the others may be missing while a translation is under way.
type Text map[i18n.Lang]string

// In returns the text in lang, or in the first of i18n.Fallbacks(lang) that it has.
func (t Text) In(lang i18n.Lang) string { return t[t.LangOf(lang)] }

// LangOf is the language In(lang) takes the text from: lang, or the fallback a reader of lang
// sees while the translation is missing (pages mark such text with a lang attribute).
func (t Text) LangOf(lang i18n.Lang) i18n.Lang {
	for _, l := range i18n.Fallbacks(lang) {
		if t[l] != "" {
			return l
		}
	}
	return lang
}

// Catalog is the validated content: the modules in dashboard order, and the glossary, case
// library and working tools they link to.
type Catalog struct {
	Modules  []*Module
	Glossary []*Term
	Cases    []*Doc
	Tools    []*Doc
	// Warnings are what does not stop the platform but should be fixed: incomplete translations,
	// self-checks that can be guessed, lessons without a summary. `modules check` prints them.
	Warnings []Problem

	byID    map[string]*Module
	cases   map[string]*Doc
	tools   map[string]*Doc
	glossed map[string]*Term
}

// Case returns the case-library entry with the given id, or nil.
func (c *Catalog) Case(id string) *Doc { return c.cases[id] }

// Tool returns the working tool with the given id, or nil.
func (c *Catalog) Tool(id string) *Doc { return c.tools[id] }

// Term returns the glossary term with the given id, or nil.
func (c *Catalog) Term(id string) *Term { return c.glossed[id] }

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
	// Media are the files of the module's media/ folder by file name, as validated at load.
	Media map[string]*MediaFile
}

// MediaFile is a file of a module's media/ folder. Its bytes are the ones that were validated:
// serving them, rather than the file as it is on disk now, means an SVG edited after the start
// is never served unchecked.
type MediaFile struct {
	Name string // file name in media/, e.g. "risk-matrix.svg"
	Path string // path in the content fs.FS, for messages
	Type string // MIME type from the extension, e.g. "image/svg+xml"
	Hash string // hex SHA-256 prefix of Data: the ETag and the version in lesson URLs
	Data []byte
}

// SVG reports whether the file is an SVG drawing, which browsers could run as a document of
// its own when it is opened directly.
func (f *MediaFile) SVG() bool { return f.Type == "image/svg+xml" }

// HasCheck reports whether the module has a self-check to pass: validated content always has one,
// but a module without questions must not become impossible to complete.
func (m *Module) HasCheck() bool { return m.Check != nil && len(m.Check.Questions) > 0 }

// Lesson returns the lesson with the given id, or nil.
func (m *Module) Lesson(id string) *Lesson {
	i := slices.IndexFunc(m.Lessons, func(l *Lesson) bool { return l.ID == id })
	if i < 0 {
		return nil
	}
	return m.Lessons[i]
}

// Doc is a Markdown document of the content in every language it exists in: a lesson, a case of
// the case library or a working tool.
type Doc struct {
	ID      string
	Title   Text
	Summary map[i18n.Lang][]string      // "Das Wichtigste in Kürze": the key points, by language
	Body    map[i18n.Lang]template.HTML // rendered from trusted, HTML-escaped Markdown
	Source  map[i18n.Lang][]byte        // the Markdown body, for renderings other than HTML (PDF)
	Words   map[i18n.Lang]int           // words of the Markdown source, for reading time
	Langs   []i18n.Lang                 // the languages it exists in, in i18n order
	// Links are the platform paths the document links to in any language, without query or
	// fragment ("/cases/nice-2016", "/glossary"), sorted and without repeats.
	Links []string
}

// In returns the language of the document to show to a reader of lang: lang if it exists in it,
// else the first fallback it exists in.
func (d *Doc) In(lang i18n.Lang) i18n.Lang {
	for _, l := range i18n.Fallbacks(lang) {
		if slices.Contains(d.Langs, l) {
			return l
		}
	}
	return d.Langs[0]
}

// LessonsLinking lists the lessons, in course order, that link to the platform path p (without
// fragment), e.g. a case of the case library or a working tool.
func (c *Catalog) LessonsLinking(p string) []*Lesson {
	var out []*Lesson
	for _, m := range c.Modules {
		for _, l := range m.Lessons {
			if _, ok := slices.BinarySearch(l.Links, p); ok {
				out = append(out, l)
			}
		}
	}
	return out
}

// Lesson is one lesson of a module.
type Lesson struct {
	Doc
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
	PassMark int // percent of questions right needed to pass
	// Draw is how many questions of the pool one attempt shows; the whole pool when it is as
	// large or larger.
	Draw      int
	Questions []*Question
}

// Drawn is how many questions an attempt shows.
func (c *Check) Drawn() int {
	if c.Draw <= 0 || c.Draw > len(c.Questions) {
		return len(c.Questions)
	}
	return c.Draw
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
	Lesson  string // id of the lesson in the same module that teaches it; "" if not given
	Text    Text
	Choices []*Choice

	line, lessonLine int // where the question and its lesson key are, for problems found later
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

// Term is one entry of the glossary.
type Term struct {
	ID         string
	Term       Text
	Definition Text
	Source     string   // where the definition comes from; "" if not given
	See        []string // ids of related terms
}
