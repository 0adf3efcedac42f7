package content_test

import (
	"errors"
	"testing"

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
		if m.Check == nil || len(m.Check.Questions) < 6 {
			t.Errorf("%s: fewer than 6 questions", m.Folder)
			continue
		}
		for _, q := range m.Check.Questions {
			both(m.Folder+" question "+q.ID, q.Text)
			for _, c := range q.Choices {
				both(m.Folder+" question "+q.ID+" choice "+c.ID+" text", c.Text)
				both(m.Folder+" question "+q.ID+" choice "+c.ID+" explanation", c.Explanation)
			}
		}
	}
}
