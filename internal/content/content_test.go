package content_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
)

// The fixture is one small, valid module. Line numbers matter: the problem tests below expect
// exact lines, so edit these texts only together with them.
const (
	moduleYAML = `id: basics
title:
  de: "Grundlagen"
  en: "Basics"
summary:
  de: "Worum es geht."
  en: "What it is about."
objectives:
  - de: "Ziel eins"
    en: "Goal one"
minutes: 30
`
	checkYAML = `pass_mark: 50
questions:
  - id: first
    kind: single
    text: {de: "Frage eins?", en: "Question one?"}
    choices:
      - id: a
        text: {de: "Ja", en: "Yes"}
        correct: true
        explanation: {de: "Richtig.", en: "Right."}
      - id: b
        text: {de: "Nein", en: "No"}
        explanation: {de: "Falsch.", en: "Wrong."}
  - id: second
    kind: multiple
    text: {de: "Frage zwei?", en: "Question two?"}
    choices:
      - id: a
        text: {de: "A", en: "A"}
        correct: true
        explanation: {de: "A.", en: "A."}
      - id: b
        text: {de: "B", en: "B"}
        correct: true
        explanation: {de: "B.", en: "B."}
      - id: c
        text: {de: "C", en: "C"}
        explanation: {de: "C.", en: "C."}
`
	startEN = `---
title: "Start"
---
# Getting started

| a | b |
|---|---|
| 1 | 2 |

Some ~~old~~ text with a note.[^1]

<script>alert(1)</script>

Go on with [the next lesson](/modules/basics/lessons/more) and <b>bold</b> tags.

[^1]: The note.

## Getting started
`
	startDE = `---
title: "Anfang"
---
# Erste Schritte im Überblick

Ein Absatz über zwei Zeilen
mit [der nächsten Lektion](/modules/basics/lessons/more#oben).
`
	moreEN = "---\ntitle: \"More\"\n---\nBack to the [start](/modules/basics/lessons/start).\n"
	moreDE = "---\ntitle: \"Mehr\"\n---\nZurück zum [Anfang](/modules/basics/lessons/start).\n"
)

func validFS() fstest.MapFS {
	return fstest.MapFS{
		"FORMAT.md":                          {Data: []byte("# not a module")},
		"embed.go":                           {Data: []byte("package modules")},
		".git/config":                        {Data: []byte("hidden folders are ignored")},
		"01-basics/module.yaml":              {Data: []byte(moduleYAML)},
		"01-basics/check.yaml":               {Data: []byte(checkYAML)},
		"01-basics/lessons/01-start.de.md":   {Data: []byte(startDE)},
		"01-basics/lessons/01-start.en.md":   {Data: []byte(startEN)},
		"01-basics/lessons/02-more.de.md":    {Data: []byte(moreDE)},
		"01-basics/lessons/02-more.en.md":    {Data: []byte(moreEN)},
		"01-basics/lessons/.01-start.en.swp": {Data: []byte("editor droppings are ignored")},
	}
}

func TestLoadValid(t *testing.T) {
	cat, err := content.Load(validFS())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(cat.Modules) != 1 || cat.LessonCount() != 2 {
		t.Fatalf("got %d modules, %d lessons; want 1, 2", len(cat.Modules), cat.LessonCount())
	}
	m := cat.Module("basics")
	if m == nil || cat.Module("nope") != nil {
		t.Fatalf("Module lookup: basics=%v nope=%v", m, cat.Module("nope"))
	}
	if m.Folder != "01-basics" || !maps.Equal(m.Title, content.Text{"de": "Grundlagen", "en": "Basics"}) ||
		m.Summary["en"] != "What it is about." || m.Minutes != 30 ||
		len(m.Objectives) != 1 || m.Objectives[0]["de"] != "Ziel eins" {
		t.Errorf("module = %+v", m)
	}

	start, more := m.Lesson("start"), m.Lesson("more")
	if start == nil || more == nil || m.Lesson("nope") != nil || cat.Lesson("basics", "more") != more {
		t.Fatal("Lesson lookup failed")
	}
	if start.Index != 0 || start.Prev() != nil || start.Next() != more || more.Prev() != start || more.Next() != nil {
		t.Error("Prev/Next do not follow the NN order")
	}
	if start.Module != m || !maps.Equal(start.Title, content.Text{"de": "Anfang", "en": "Start"}) {
		t.Errorf("lesson = %+v", start)
	}
	if got := more.Words["en"]; got != 4 { // "Back to the [start](…)."
		t.Errorf("Words[en] = %d, want 4", got)
	}

	html := string(start.Body["en"])
	for _, want := range []string{
		`<h1 id="getting-started">Getting started</h1>`,
		`<h2 id="getting-started-1">Getting started</h2>`,
		`<div class="table-scroll" role="region" tabindex="0" aria-label="Table, scrolls sideways"><table>`,
		`</table></div>`, `<td>1</td>`,
		`<del>old</del>`,
		`<a href="#fn:1"`, `class="footnotes"`,
		`<a href="/modules/basics/lessons/more">the next lesson</a>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`&lt;b&gt;bold&lt;/b&gt;`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("English body lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "<b>") {
		t.Errorf("raw HTML passed through:\n%s", html)
	}
	if !strings.Contains(string(start.Body["de"]), `<h1 id="erste-schritte-im-ueberblick">`) {
		t.Errorf("German heading anchor not spelled out:\n%s", start.Body["de"])
	}

	q := m.Check.Question("second")
	if m.Check.PassMark != 50 || len(m.Check.Questions) != 2 || q == nil || q.Kind != content.Multiple ||
		len(q.Choices) != 3 || !q.Choice("b").Correct || q.Choice("c").Correct || q.Choice("c").Explanation["en"] != "C." {
		t.Errorf("check = %+v, second = %+v", m.Check, q)
	}
}

func TestTextIn(t *testing.T) {
	for _, tc := range []struct {
		text content.Text
		lang i18n.Lang
		want string
	}{
		{content.Text{"de": "de", "en": "en"}, "en", "en"},
		{content.Text{"de": "de", "en": "en"}, "de", "de"},
		{content.Text{"de": "de", "en": "en"}, "fr", "en"}, // English is read by more learners abroad
		{content.Text{"de": "de", "en": "en", "fr": "fr"}, "fr", "fr"},
		{content.Text{"de": "de"}, "en", "de"},
		{content.Text{"en": "en"}, "de", "en"},
	} {
		if got := tc.text.In(tc.lang); got != tc.want {
			t.Errorf("%+v.In(%q) = %q, want %q", tc.text, tc.lang, got, tc.want)
		}
		// The texts here are their language codes: LangOf names where In took the text from.
		if got := tc.text.LangOf(tc.lang); string(got) != tc.want {
			t.Errorf("%+v.LangOf(%q) = %q, want %q", tc.text, tc.lang, got, tc.want)
		}
	}
}

func TestQuestionRight(t *testing.T) {
	cat, err := content.Load(validFS())
	if err != nil {
		t.Fatal(err)
	}
	q := cat.Module("basics").Check.Question("second") // a and b are correct
	for _, tc := range []struct {
		chosen []string
		want   bool
	}{
		{[]string{"a", "b"}, true},
		{[]string{"b", "a"}, true},
		{[]string{"a"}, false},
		{[]string{"a", "b", "c"}, false},
		{[]string{"a", "a"}, false},
		{[]string{"a", "b", "x"}, false},
		{nil, false},
	} {
		if got := q.Right(tc.chosen); got != tc.want {
			t.Errorf("Right(%v) = %v, want %v", tc.chosen, got, tc.want)
		}
	}
}

// problemsOf loads fsys and returns the problems as file:line: message strings.
func problemsOf(t *testing.T, fsys fstest.MapFS) []string {
	t.Helper()
	cat, err := content.Load(fsys)
	if err == nil {
		t.Fatal("Load succeeded, want problems")
	}
	var verr *content.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Load error %T %v is not a *ValidationError", err, err)
	}
	if cat != nil {
		t.Error("Load returned a catalog along with problems")
	}
	if len(verr.Problems) == 0 {
		t.Fatal("ValidationError without problems")
	}
	var got []string
	for _, p := range verr.Problems {
		got = append(got, p.String())
	}
	if strings.Join(got, "\n") != err.Error() {
		t.Errorf("Error() = %q, want the problems joined by newlines", err.Error())
	}
	return got
}

func TestLoadCollectsAllProblems(t *testing.T) {
	fsys := validFS()
	edit(t, fsys, "01-basics/module.yaml", `  en: "Basics"`+"\n", "")
	edit(t, fsys, "01-basics/module.yaml", "minutes: 30", "minutes: 0")
	edit(t, fsys, "01-basics/check.yaml", "kind: single", "kind: either")
	edit(t, fsys, "01-basics/lessons/02-more.en.md", "lessons/start", "lessons/gone")
	delete(fsys, "01-basics/lessons/02-more.de.md")
	fsys["extra/module.yaml"] = &fstest.MapFile{Data: []byte(moduleYAML)}

	want := []string{
		`01-basics/check.yaml:4: question "first": kind: unknown kind "either" (use single or multiple)`,
		`01-basics/lessons/02-more.en.md: lesson has no "de" version: add lessons/02-more.de.md`,
		`01-basics/lessons/02-more.en.md:4: link /modules/basics/lessons/gone: module "basics" has no lesson "gone"`,
		`01-basics/module.yaml:2: title: missing "en"`,
		`01-basics/module.yaml:10: minutes: 0 is outside 1–1000`,
		`extra: folder name must be NN-slug (two digits, a dash, then a-z, 0-9 and -), cases or tools`,
	}
	got := problemsOf(t, fsys)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// edit replaces the first old in file by new, failing the test if old is not there, so a
// fixture change cannot silently turn a problem test into a no-op.
func edit(t *testing.T, fsys fstest.MapFS, file, old, new string) {
	t.Helper()
	f, ok := fsys[file]
	if !ok || !strings.Contains(string(f.Data), old) {
		t.Fatalf("fixture %s has no %q", file, old)
	}
	fsys[file] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), old, new, 1))}
}

// Figures link the media route with the file's hash; the files keep their validated bytes and
// type; documents know what they link to, and the catalog which lessons link a page.
func TestMediaAndLinks(t *testing.T) {
	fsys := validFS()
	png := []byte("\x89PNG\r\n\x1a\nrest")
	fsys["01-basics/media/plan.svg"] = &fstest.MapFile{Data: []byte(svg)}
	fsys["01-basics/media/photo.png"] = &fstest.MapFile{Data: png}
	edit(t, fsys, "01-basics/lessons/01-start.en.md", "# Getting started",
		"![A plan of the square](media/plan.svg \"The square\")\n\nSee [the case](/cases/event#top), [the tool](/tools/sheet.pdf) and [it again](/tools/sheet).\n\n# Getting started")
	fsys["cases/01-event.de.md"] = &fstest.MapFile{Data: []byte(moreDE)}
	fsys["cases/01-event.en.md"] = &fstest.MapFile{Data: []byte(moreEN)}
	fsys["tools/01-sheet.de.md"] = &fstest.MapFile{Data: []byte("---\ntitle: Bogen\n---\n- [ ] Offen mit [Link](/glossary)\n- [x] Erledigt\n")}
	fsys["tools/01-sheet.en.md"] = &fstest.MapFile{Data: []byte("---\ntitle: Sheet\n---\nText.\n")}
	cat, err := content.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	m := cat.Module("basics")
	plan, photo := m.Media["plan.svg"], m.Media["photo.png"]
	if plan == nil || !plan.SVG() || plan.Type != "image/svg+xml" || string(plan.Data) != svg || plan.Path != "01-basics/media/plan.svg" || len(plan.Hash) != 16 {
		t.Fatalf("plan.svg = %+v", plan)
	}
	if photo == nil || photo.SVG() || photo.Type != "image/png" || photo.Hash == plan.Hash {
		t.Fatalf("photo.png = %+v", photo)
	}
	body := string(m.Lesson("start").Body["en"])
	want := `<figure>` + "\n" + `<img src="/modules/basics/media/plan.svg?v=` + plan.Hash + `" alt="A plan of the square">` + "\n<figcaption>The square</figcaption>\n</figure>"
	if !strings.Contains(body, want) {
		t.Errorf("body lacks %s:\n%s", want, body)
	}
	// Task boxes are labelled by their text.
	sheet := string(cat.Tool("sheet").Body["de"])
	for _, want := range []string{`<li><label class="task"><input disabled="" type="checkbox"> Offen mit <a href="/glossary">Link</a></label></li>`,
		`<li><label class="task"><input checked="" disabled="" type="checkbox"> Erledigt</label></li>`} {
		if !strings.Contains(sheet, want) {
			t.Errorf("tool body lacks %s:\n%s", want, sheet)
		}
	}
	start := m.Lesson("start")
	if want := []string{"/cases/event", "/modules/basics/lessons/more", "/tools/sheet"}; !slices.Equal(start.Links, want) {
		t.Errorf("Links = %q, want %q", start.Links, want)
	}
	for p, want := range map[string][]string{"/cases/event": {"start"}, "/tools/sheet": {"start"}, "/modules/basics/lessons/start": {"more"}, "/cases/nope": nil} {
		var got []string
		for _, l := range cat.LessonsLinking(p) {
			got = append(got, l.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("LessonsLinking(%s) = %q, want %q", p, got, want)
		}
	}
}

// A content folder without glossary.yaml whose lessons link to terms says so once, before the
// lessons' own problems, instead of one "no term" line per link.
func TestMissingGlossaryReportedOnceFirst(t *testing.T) {
	fsys := validFS()
	edit(t, fsys, "01-basics/lessons/02-more.en.md", "lessons/start", "lessons/gone")
	for _, f := range []string{"01-basics/lessons/01-start.en.md", "01-basics/lessons/01-start.de.md", "01-basics/lessons/02-more.en.md"} {
		fsys[f] = &fstest.MapFile{Data: append(slices.Clone(fsys[f].Data), "\n[A](/glossary#a) [B](/glossary#b)\n"...)}
	}
	got := problemsOf(t, fsys)
	want := []string{
		"glossary.yaml: file is missing, but 6 links point to glossary terms (the first: /glossary#a in 01-basics/lessons/01-start.de.md:",
		`01-basics/lessons/02-more.en.md:4: link /modules/basics/lessons/gone: module "basics" has no lesson "gone"`,
	}
	if len(got) != len(want) || !strings.HasPrefix(got[0], want[0]) || got[1] != want[1] {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
