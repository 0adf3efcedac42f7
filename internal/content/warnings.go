package content

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"saferspaces/internal/i18n"
)

// LongestCorrectLimit is the share of a module's single-choice questions in which the correct
// choice may be the longest before `modules check` warns: above it, "pick the longest answer"
// beats reading the lessons.
const LongestCorrectLimit = 40

// warnings finds what valid content should still improve.
func (l *loader) warnings(cat *Catalog) []Problem {
	var ws problems
	for _, m := range cat.Modules {
		check := m.Folder + "/check.yaml"
		for _, lang := range i18n.Languages() {
			if share, n := LongestCorrectShare(m.Check, lang); n > 0 && share > LongestCorrectLimit {
				ws.add(check, 0, "in %s the correct choice is the longest in %d %% of the %d single-choice questions (at most %d %%): the longest answer can be guessed",
					lang, share, n, LongestCorrectLimit)
			}
		}
		for _, q := range m.Check.Questions {
			if q.Lesson == "" {
				ws.add(check, q.line, "question %q has no lesson: name the lesson that teaches it, so a learner who got it wrong knows where to read", q.ID)
			}
		}
		for _, les := range m.Lessons {
			l.summaryWarnings(&ws, m.Folder+"/lessons", &les.Doc)
		}
		for _, lang := range optionalLangs() {
			var missing []string
			for _, les := range m.Lessons {
				if !slices.Contains(les.Langs, lang) {
					missing = append(missing, les.ID)
				}
			}
			texts := missingTexts(moduleTexts(m), lang)
			if len(missing) > 0 || texts > 0 {
				ws.add(m.Folder, 0, "translation into %s is incomplete: %s", lang, incomplete(missing, texts))
			}
		}
	}
	for _, set := range []struct {
		dir  string
		docs []*Doc
	}{{casesFolder, cat.Cases}, {toolsFolder, cat.Tools}} {
		for _, d := range set.docs {
			if set.dir == casesFolder {
				l.summaryWarnings(&ws, set.dir, d)
			}
		}
		for _, lang := range optionalLangs() {
			var missing []string
			for _, d := range set.docs {
				if !slices.Contains(d.Langs, lang) {
					missing = append(missing, d.ID)
				}
			}
			if len(missing) > 0 {
				ws.add(set.dir, 0, "translation into %s is incomplete: %s", lang, incomplete(missing, 0))
			}
		}
	}
	if len(cat.Glossary) > 0 {
		var texts []Text
		for _, t := range cat.Glossary {
			texts = append(texts, t.Term, t.Definition)
		}
		for _, lang := range optionalLangs() {
			if n := missingTexts(texts, lang); n > 0 {
				ws.add(glossaryFile, 0, "translation into %s is incomplete: %s", lang, incomplete(nil, n))
			}
		}
	}
	return ws
}

// summaryWarnings reports languages of a document that have no summary.
func (l *loader) summaryWarnings(ws *problems, dir string, d *Doc) {
	files := l.docFiles[dir+"/"+d.ID]
	for _, lang := range d.Langs {
		if len(d.Summary[lang]) == 0 {
			ws.add(files[lang], 1, "no summary: add 2 to 6 key points as summary: in the front matter")
		}
	}
}

func optionalLangs() []i18n.Lang {
	return slices.DeleteFunc(i18n.Languages(), func(l i18n.Lang) bool { return slices.Contains(i18n.Required, l) })
}

func incomplete(docs []string, texts int) string {
	var parts []string
	if len(docs) > 0 {
		parts = append(parts, fmt.Sprintf("no file for %s", strings.Join(docs, ", ")))
	}
	if texts > 0 {
		parts = append(parts, fmt.Sprintf("%d texts missing", texts))
	}
	return strings.Join(parts, "; ")
}

// moduleTexts are all texts of a module's module.yaml and check.yaml.
func moduleTexts(m *Module) []Text {
	texts := append([]Text{m.Title, m.Summary}, m.Objectives...)
	for _, q := range m.Check.Questions {
		texts = append(texts, q.Text)
		for _, c := range q.Choices {
			texts = append(texts, c.Text, c.Explanation)
		}
	}
	return texts
}

func missingTexts(texts []Text, lang i18n.Lang) int {
	n := 0
	for _, t := range texts {
		if t[lang] == "" {
			n++
		}
	}
	return n
}

// LongestCorrectShare is the percentage (rounded down) of check's single-choice questions whose
// correct choice is at least as long as every other choice in lang, and how many single-choice
// questions there are.
func LongestCorrectShare(check *Check, lang i18n.Lang) (share, singles int) {
	if check == nil {
		return 0, 0
	}
	longest := 0
	for _, q := range check.Questions {
		if q.Kind != Single {
			continue
		}
		var correct, others int
		if slices.ContainsFunc(q.Choices, func(c *Choice) bool { return c.Text[lang] == "" }) {
			continue // not translated yet: the translation warning says so
		}
		for _, c := range q.Choices {
			n := utf8.RuneCountInString(c.Text[lang])
			if c.Correct {
				correct = n
			} else {
				others = max(others, n)
			}
		}
		singles++
		if correct >= others {
			longest++
		}
	}
	if singles == 0 {
		return 0, 0
	}
	return longest * 100 / singles, singles
}
