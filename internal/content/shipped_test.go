package content_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
	"saferspaces/modules"
)

// TestShippedContent holds the embedded default content to the product's bar, so a content
// change that breaks the format or thins out the material fails the build, not the launch.
func TestShippedContent(t *testing.T) {
	cat, err := content.Load(modules.FS)
	var verr *content.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			t.Error(p)
		}
		t.FailNow()
	}
	if err != nil {
		t.Fatal(err)
	}

	if len(cat.Modules) != 9 {
		t.Errorf("%d modules, want 9", len(cat.Modules))
	}
	both := func(where string, text content.Text) {
		t.Helper()
		for _, lang := range i18n.Required {
			if text[lang] == "" {
				t.Errorf("%s: %+v lacks %s", where, text, lang)
			}
		}
	}
	for _, m := range cat.Modules {
		both(m.Folder+" title", m.Title)
		both(m.Folder+" summary", m.Summary)
		for _, o := range m.Objectives {
			both(m.Folder+" objective", o)
		}
		if len(m.Lessons) < 3 {
			t.Errorf("%s: %d lessons, want at least 3", m.Folder, len(m.Lessons))
		}
		for _, l := range m.Lessons {
			both(m.Folder+"/"+l.ID+" title", l.Title)
			for _, lang := range i18n.Required {
				if l.Body[lang] == "" {
					t.Errorf("%s/lessons/%s.%s.md: no body", m.Folder, l.ID, lang)
				}
				if l.Words[lang] < 400 {
					t.Errorf("%s/lessons/%s.%s.md: %d words, want at least 400", m.Folder, l.ID, lang, l.Words[lang])
				}
			}
		}
		if m.Check == nil || len(m.Check.Questions) < 12 {
			t.Errorf("%s: fewer than 12 questions", m.Folder)
			continue
		}
		if d := m.Check.Draw; d < 1 || d >= len(m.Check.Questions) {
			t.Errorf("%s: draw %d from a pool of %d: each attempt must be a draw from a larger pool", m.Folder, d, len(m.Check.Questions))
		}
		for _, q := range m.Check.Questions {
			if q.Lesson == "" {
				t.Errorf("%s: question %s names no lesson", m.Folder, q.ID)
			}
			both(m.Folder+" question "+q.ID, q.Text)
			for _, c := range q.Choices {
				both(m.Folder+" question "+q.ID+" choice "+c.ID+" text", c.Text)
				both(m.Folder+" question "+q.ID+" choice "+c.ID+" explanation", c.Explanation)
			}
		}
	}
}

// TestShippedSecondEdition holds the second edition's bars (issue 11): every lesson has its key
// points and every figure its alt text in every language, the glossary is complete in every
// language, and no self-check can be passed by a guessing strategy instead of reading.
func TestShippedSecondEdition(t *testing.T) {
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	langs := i18n.Languages()
	if len(langs) != 4 {
		t.Fatalf("languages %v, want de, en, fr, it", langs)
	}
	if len(cat.Warnings) > 0 {
		for _, w := range cat.Warnings {
			t.Error("warning:", w)
		}
	}
	figures := 0
	for _, m := range cat.Modules {
		for _, l := range m.Lessons {
			for _, lang := range langs {
				file := fmt.Sprintf("%s/lessons/%s.%s.md", m.Folder, l.ID, lang)
				if n := len(l.Summary[lang]); n < 2 || n > 6 {
					t.Errorf("%s: %d key points, want 2 to 6", file, n)
				}
				imgs := images(l.Source[lang])
				for _, img := range imgs {
					name, _ := strings.CutPrefix(img.dest, "media/")
					switch {
					case strings.TrimSpace(img.alt) == "":
						t.Errorf("%s: figure %s has no alt text", file, img.dest)
					case m.Media[name] == nil:
						t.Errorf("%s: figure %s is not in the media folder", file, img.dest)
					case img.title == "":
						t.Errorf("%s: figure %s has no caption", file, img.dest)
					}
				}
				if lang == i18n.Default {
					figures += len(imgs)
				}
				// Every language shows the same figures.
				if de := images(l.Source[i18n.Default]); len(imgs) != len(de) {
					t.Errorf("%s: %d figures, the German lesson has %d", file, len(imgs), len(de))
				}
			}
		}
	}
	if figures < 10 {
		t.Errorf("%d figures in the German lessons, want the schematic drawings the issue asks for", figures)
	}
	for _, term := range cat.Glossary {
		for _, lang := range langs {
			if strings.TrimSpace(term.Term[lang]) == "" || strings.TrimSpace(term.Definition[lang]) == "" {
				t.Errorf("glossary term %s lacks its %s term or definition", term.ID, lang)
			}
		}
	}
	for _, docs := range [][]*content.Doc{cat.Cases, cat.Tools} {
		for _, d := range docs {
			if len(d.Langs) != len(langs) {
				t.Errorf("%s exists in %v only", d.ID, d.Langs)
			}
		}
	}
	for _, c := range cat.Cases {
		for _, lang := range langs {
			if len(c.Summary[lang]) < 2 {
				t.Errorf("case %s (%s) has no key points", c.ID, lang)
			}
		}
	}

	// The self-checks measure understanding, not test-taking skill.
	for _, m := range cat.Modules {
		counts := map[int]int{} // number of correct choices of the multiple-choice questions → questions
		allCorrect := 0
		for _, q := range m.Check.Questions {
			if q.Kind != content.Multiple {
				continue
			}
			n := 0
			for _, c := range q.Choices {
				if c.Correct {
					n++
				}
			}
			counts[n]++
			if n == len(q.Choices) {
				allCorrect++
			}
		}
		// Keys that vary: one correct, all correct, and something in between, so that neither
		// "always two or three" nor "never all" is a rule to learn.
		if counts[1] == 0 || allCorrect == 0 || len(counts) < 3 {
			t.Errorf("%s: multiple-choice keys %v (correct choices → questions), %d all correct: want one correct, all correct and others", m.Folder, counts, allCorrect)
		}
		for _, lang := range langs {
			share, singles := content.LongestCorrectShare(m.Check, lang)
			if share > content.LongestCorrectLimit {
				t.Errorf("%s (%s): the correct choice is the longest in %d %% of %d single-choice questions", m.Folder, lang, share, singles)
			}
			var scores []string
			for _, name := range slices.Sorted(maps.Keys(guesses)) {
				guess := guesses[name]
				right := 0
				for _, q := range m.Check.Questions {
					if q.Right(guess(q, lang)) {
						right++
					}
				}
				// The whole pool, so every draw of it is covered on average.
				if score := right * 100 / len(m.Check.Questions); score >= m.Check.PassMark {
					t.Errorf("%s (%s): %q scores %d %% on the pool, pass mark %d %%", m.Folder, lang, name, score, m.Check.PassMark)
				}
				scores = append(scores, fmt.Sprintf("%s %d %%", name, right*100/len(m.Check.Questions)))
			}
			t.Logf("%s (%s): %d questions, draw %d, pass mark %d %%; longest correct in %d %% of %d single-choice; multiple-choice keys %v; guessing: %s",
				m.Folder, lang, len(m.Check.Questions), m.Check.Draw, m.Check.PassMark, share, singles, counts, strings.Join(scores, ", "))
		}
	}
}

// guesses are answering strategies that need no knowledge; none may pass a self-check.
var guesses = map[string]func(q *content.Question, lang i18n.Lang) []string{
	// the longest choice alone, for every question
	"pick the longest": func(q *content.Question, lang i18n.Lang) []string {
		return []string{longest(q, lang).ID}
	},
	// the longest choice for single choice, every choice for multiple choice
	"longest, or tick all": func(q *content.Question, lang i18n.Lang) []string {
		if q.Kind == content.Single {
			return []string{longest(q, lang).ID}
		}
		var all []string
		for _, c := range q.Choices {
			all = append(all, c.ID)
		}
		return all
	},
	// the shortest choice alone
	"pick the shortest": func(q *content.Question, lang i18n.Lang) []string {
		s := q.Choices[0]
		for _, c := range q.Choices {
			if utf8.RuneCountInString(c.Text[lang]) < utf8.RuneCountInString(s.Text[lang]) {
				s = c
			}
		}
		return []string{s.ID}
	},
}

func longest(q *content.Question, lang i18n.Lang) *content.Choice {
	l := q.Choices[0]
	for _, c := range q.Choices {
		if utf8.RuneCountInString(c.Text[lang]) > utf8.RuneCountInString(l.Text[lang]) {
			l = c
		}
	}
	return l
}

type imageRef struct{ dest, alt, title string }

// images lists the images of a lesson's Markdown source.
func images(src []byte) []imageRef {
	var out []imageRef
	doc := goldmark.New().Parser().Parse(text.NewReader(src))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			var alt strings.Builder
			for c := img.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					alt.Write(t.Segment.Value(src))
				}
			}
			out = append(out, imageRef{dest: string(img.Destination), alt: alt.String(), title: string(img.Title)})
		}
		return ast.WalkContinue, nil
	})
	return out
}
