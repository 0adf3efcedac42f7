package web_test

import (
	"bytes"
	"compress/zlib"
	"html"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf16"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
	"saferspaces/internal/paths"
	"saferspaces/internal/testkit"
	"saferspaces/modules"
)

// The reference pages: lesson media, figures, model answers and key points on lessons, the
// glossary, the case library and the working tools with their PDFs.

// readers signs in one learner per language.
func readers(t *testing.T, h *harness) map[i18n.Lang]*browser {
	t.Helper()
	out := map[i18n.Lang]*browser{}
	for _, lang := range i18n.Languages() {
		_, out[lang] = learnerSession(t, h, userSpec{Lang: string(lang)})
	}
	return out
}

func TestMediaIsServedToSignedInUsersOnly(t *testing.T) {
	h := newHarness(t)
	want, err := fs.ReadFile(modules.FS, "02-risk-assessment/media/risk-matrix.svg")
	if err != nil {
		t.Fatal(err)
	}
	path := paths.Media("risk-assessment", "risk-matrix.svg")

	anon := h.browser().get(path)
	if anon.Status != http.StatusSeeOther || !strings.HasPrefix(anon.Location(), "/login?next=") || strings.Contains(anon.Body, "<svg") {
		t.Errorf("anonymous: %d %q", anon.Status, anon.Location())
	}

	_, b := learnerSession(t, h, userSpec{})
	p := b.get(path)
	if p.Status != http.StatusOK || p.Body != string(want) {
		t.Fatalf("signed in: %d, %d bytes (want %d)", p.Status, len(p.Body), len(want))
	}
	for name, value := range map[string]string{
		"Content-Type":            "image/svg+xml",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox",
		"Cache-Control":           "private, no-cache",
	} {
		if got := p.Header.Get(name); got != value {
			t.Errorf("%s: %q, want %q", name, got, value)
		}
	}
	etag := p.Header.Get("ETag")
	if len(etag) < 10 {
		t.Fatalf("ETag %q", etag)
	}
	if again := b.do("GET", path, nil, http.Header{"If-None-Match": {etag}}); again.Status != http.StatusNotModified || again.Body != "" {
		t.Errorf("If-None-Match: %d", again.Status)
	}
	// The lesson links the file with its hash; that URL may be kept for good.
	lesson := b.get(paths.Lesson("risk-assessment", "evaluate-prioritise"))
	src := regexp.MustCompile(`<img src="(/modules/risk-assessment/media/risk-matrix\.svg\?v=[0-9a-f]+)" alt="[^"]{20,}"`).FindStringSubmatch(lesson.Body)
	if src == nil {
		t.Fatalf("the lesson has no versioned figure with alt text:\n%s", mainOf(lesson.Body))
	}
	if v := b.get(html.UnescapeString(src[1])); v.Status != http.StatusOK || v.Header.Get("Cache-Control") != "private, max-age=31536000, immutable" {
		t.Errorf("versioned URL: %d %q", v.Status, v.Header.Get("Cache-Control"))
	}

	for _, bad := range []string{
		paths.Media("risk-assessment", "nope.svg"),
		paths.Media("cpted", "risk-matrix.svg"), // another module's file
		paths.Media("nope", "risk-matrix.svg"),
		"/modules/risk-assessment/media/%2e%2e%2fcheck.yaml",
		"/modules/risk-assessment/media/..%2fmodule.yaml",
		"/modules/risk-assessment/media/%2e%2e/check.yaml",
		"/modules/risk-assessment/media/../check.yaml",
		"/modules/risk-assessment/media/.%2e/.%2e/.%2e/go.mod",
		"/modules/risk-assessment/media/RISK-MATRIX.SVG",
	} {
		got := b.follow(b.get(bad))
		if got.Status != http.StatusNotFound || strings.Contains(got.Body, "pass_mark") {
			t.Errorf("GET %s: %d, want 404", bad, got.Status)
		}
	}
}

// A PNG is served as a PNG: the type comes from the extension, checked against the file at load.
func TestMediaTypes(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	fsys := testkit.ContentFS(testkit.Module{ID: "alpha", Lessons: []string{"one"}})
	fsys["01-alpha/media/photo.png"] = &fstest.MapFile{Data: png}
	cat, err := content.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(p *app.Parts) { p.Content = cat })
	_, b := learnerSession(t, h, userSpec{})
	p := b.get(paths.Media("alpha", "photo.png"))
	if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "image/png" || p.Body != string(png) {
		t.Errorf("%d %q", p.Status, p.Header.Get("Content-Type"))
	}
	if p.Header.Get("Content-Security-Policy") == "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox" {
		t.Error("a PNG got the SVG policy instead of the platform's")
	}
}

// A lesson shows its figures, its model answers as a collapsed box and its key points at the
// end, in the reader's language.
func TestLessonShowsFiguresAnswersAndKeyPoints(t *testing.T) {
	h := newHarness(t)
	cat := shippedContent(t)
	// A lesson with a figure and one with a model answer, found in the shipped content.
	var figure, answer *content.Lesson
	for _, m := range cat.Modules {
		for _, l := range m.Lessons {
			if figure == nil && strings.Contains(string(l.Body["de"]), "<figure>") {
				figure = l
			}
			if answer == nil && strings.Contains(string(l.Body["de"]), `<details class="answer">`) {
				answer = l
			}
		}
	}
	if figure == nil || answer == nil {
		t.Fatal("the shipped content has no lesson with a figure or with a model answer")
	}
	for lang, b := range readers(t, h) {
		p := b.get(paths.Lesson(figure.Module.ID, figure.ID))
		mustContain(t, p, `<html lang="`+string(lang)+`">`, "<figure>", "<figcaption>",
			`<section class="key-points" aria-labelledby="key-points-heading">`,
			`<h2 id="key-points-heading">`+html.EscapeString(i18n.T(lang, "library.key_points"))+`</h2>`,
			"<li>"+html.EscapeString(figure.Summary[lang][0])+"</li>")
		if strings.Contains(p.Body, "fallback-note") || strings.Contains(mainOf(p.Body), ` lang="`) {
			t.Errorf("%s: the lesson exists in %s but is marked as another language", lang, lang)
		}
		// The key points come after the lesson text, before the button that marks it done.
		body, points, done := strings.Index(p.Body, `class="lesson-body"`), strings.Index(p.Body, `class="key-points"`), strings.Index(p.Body, `/complete"`)
		if body >= points || points >= done {
			t.Errorf("%s: key points at %d, body at %d, button at %d", lang, points, body, done)
		}
		p = b.get(paths.Lesson(answer.Module.ID, answer.ID))
		mustContain(t, p, `<details class="answer">`+"\n<summary><h")
	}
}

// fallbackContent has a lesson, a case and a tool in German and English only, and a glossary
// term without Italian.
func fallbackContent(t *testing.T) harnessOption {
	t.Helper()
	fsys := testkit.ContentFS(testkit.Module{ID: "alpha", Lessons: []string{"one"}})
	doc := func(title string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("---\ntitle: \"" + title + "\"\nsummary:\n  - \"" + title + " point one.\"\n  - \"" + title + " point two.\"\n---\nSee [the lesson](/modules/alpha/lessons/one) and the [glossary](/glossary#square).\n")}
	}
	fsys["cases/01-market.de.md"] = doc("Markt")
	fsys["cases/01-market.en.md"] = doc("Market")
	fsys["tools/01-list.de.md"] = doc("Liste")
	fsys["tools/01-list.en.md"] = doc("List")
	fsys["glossary.yaml"] = &fstest.MapFile{Data: []byte(`terms:
  - id: square
    term: {de: "Platz", en: "Square", fr: "Place"}
    definition: {de: "Ein Platz.", en: "A square.", fr: "Une place."}
`)}
	fsys["01-alpha/lessons/01-one.de.md"] = &fstest.MapFile{Data: []byte("---\ntitle: \"Eins\"\nsummary: [\"Erstens.\", \"Zweitens.\"]\n---\nText mit [Fall](/cases/market).\n")}
	fsys["01-alpha/lessons/01-one.en.md"] = &fstest.MapFile{Data: []byte("---\ntitle: \"One\"\nsummary: [\"First.\", \"Second.\"]\n---\nText with [case](/cases/market) and [tool](/tools/list.pdf).\n")}
	cat, err := content.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return func(p *app.Parts) { p.Content = cat }
}

// A reader whose language a text lacks reads it in the fallback language, marked as such with lang
// attributes, while the page around it stays in the reader's language.
func TestFallbackLanguageIsMarked(t *testing.T) {
	h := newHarness(t, fallbackContent(t))
	_, b := learnerSession(t, h, userSpec{Lang: "it"})
	note := html.EscapeString(i18n.T("it", "library.fallback")) + ` <span lang="en">English</span>`
	lesson := b.get(paths.Lesson("alpha", "one"))
	mustContain(t, lesson, `<html lang="it">`, `<h1 lang="en">One</h1>`, note, `<div class="lesson-body" lang="en">`,
		`<h2 id="key-points-heading">In sintesi</h2>`, `<ul lang="en">`, "<li>First.</li>")
	c := b.get(paths.Case("market"))
	mustContain(t, c, `<h1 lang="en">Market</h1>`, note, `<div class="case-body" lang="en">`, "<li>Market point one.</li>",
		// the lessons that use the case, linked
		`<a href="/modules/alpha/lessons/one">`)
	tool := b.get(paths.Tool("list"))
	mustContain(t, tool, `<h1 lang="en">List</h1>`, note, `<div class="tool-body" lang="en">`, `<a href="/modules/alpha/lessons/one">`)
	g := b.get(paths.Glossary(""))
	mustContain(t, g, `<dt lang="en">Square</dt>`, `<p lang="en">A square.</p>`, `<span lang="fr">Français: Place</span>`)

	// A German reader sees the German texts, unmarked.
	_, de := learnerSession(t, h, userSpec{Lang: "de"})
	lesson = de.get(paths.Lesson("alpha", "one"))
	mustContain(t, lesson, `<h1>Eins</h1>`, `<div class="lesson-body">`, "<li>Erstens.</li>")
	if strings.Contains(lesson.Body, "fallback-note") {
		t.Error("a German reader is told the lesson is a fallback")
	}
}

func TestGlossaryPage(t *testing.T) {
	h := newHarness(t)
	cat := shippedContent(t)
	for lang, b := range readers(t, h) {
		p := b.get(paths.Glossary(""))
		if p.Status != http.StatusOK {
			t.Fatalf("%s: %d", lang, p.Status)
		}
		mustContain(t, p, `<html lang="`+string(lang)+`">`, "<h1>"+i18n.T(lang, "library.glossary.title")+"</h1>",
			`<a href="#letter-a">A</a>`)
		ids := map[string]bool{}
		for _, m := range regexp.MustCompile(` id="([a-z0-9-]+)"`).FindAllStringSubmatch(p.Body, -1) {
			ids[m[1]] = true
		}
		for _, term := range cat.Glossary {
			if !ids[term.ID] {
				t.Errorf("%s: no anchor for %s", lang, term.ID)
			}
			if !strings.Contains(p.Body, "<dt>"+html.EscapeString(term.Term[lang])+"</dt>") {
				t.Errorf("%s: term %q not shown", lang, term.Term[lang])
			}
			if !strings.Contains(p.Body, "<p>"+html.EscapeString(term.Definition[lang])+"</p>") {
				t.Errorf("%s: definition of %s not shown", lang, term.ID)
			}
			if term.Source != "" && !strings.Contains(p.Body, html.EscapeString(term.Source)) {
				t.Errorf("%s: source of %s not shown", lang, term.ID)
			}
		}
		see := regexp.MustCompile(`<a href="#([a-z0-9-]+)">`).FindAllStringSubmatch(p.Body, -1)
		if len(see) < len(cat.Glossary) {
			t.Errorf("%s: only %d in-page links", lang, len(see))
		}
		for _, m := range see {
			if !ids[m[1]] {
				t.Errorf("%s: link to #%s, which is not on the page", lang, m[1])
			}
		}
	}
	// Lessons link to terms that are on the page.
	for _, m := range cat.Modules {
		for _, l := range m.Lessons {
			for _, dest := range regexp.MustCompile(`href="/glossary#([a-z0-9-]+)"`).FindAllStringSubmatch(string(l.Body["de"]), -1) {
				if cat.Term(dest[1]) == nil {
					t.Errorf("%s/%s links to an unknown term %s", m.ID, l.ID, dest[1])
				}
			}
		}
	}
}

func TestCaseLibrary(t *testing.T) {
	h := newHarness(t)
	cat := shippedContent(t)
	c := cat.Case("breitscheidplatz-2016")
	if c == nil {
		t.Fatal("no case breitscheidplatz-2016")
	}
	lessons := cat.LessonsLinking(paths.Case(c.ID))
	if len(lessons) == 0 {
		t.Fatal("no lesson links the Breitscheidplatz case")
	}
	for lang, b := range readers(t, h) {
		list := b.get(paths.Cases)
		mustContain(t, list, "<h1>"+html.EscapeString(i18n.T(lang, "library.cases.title"))+"</h1>")
		for _, d := range cat.Cases {
			mustContain(t, list, `<a href="/cases/`+d.ID+`">`+html.EscapeString(d.Title[lang])+"</a>", html.EscapeString(d.Summary[lang][0]))
		}
		p := b.get(paths.Case(c.ID))
		mustContain(t, p, "<h1>"+html.EscapeString(c.Title[lang])+"</h1>",
			`<h2 id="key-points-heading">`+html.EscapeString(i18n.T(lang, "library.key_points"))+"</h2>",
			html.EscapeString(c.Summary[lang][len(c.Summary[lang])-1]),
			html.EscapeString(i18n.T(lang, "library.cases.lessons")),
			`<a href="`+paths.Lesson(lessons[0].Module.ID, lessons[0].ID)+`">`)
		// The key points come before the account of the case.
		if strings.Index(p.Body, "key-points") > strings.Index(p.Body, "case-body") {
			t.Errorf("%s: the key points are not at the top", lang)
		}
	}
	_, b := learnerSession(t, h, userSpec{})
	if p := b.get(paths.Case("nope")); p.Status != http.StatusNotFound {
		t.Errorf("unknown case: %d", p.Status)
	}
}

func TestWorkingTools(t *testing.T) {
	h := newHarness(t)
	cat := shippedContent(t)
	tool := cat.Tool("risk-matrix")
	for lang, b := range readers(t, h) {
		list := b.get(paths.Tools)
		mustContain(t, list, "<h1>"+html.EscapeString(i18n.T(lang, "library.tools.heading"))+"</h1>")
		for _, d := range cat.Tools {
			mustContain(t, list, `<a href="/tools/`+d.ID+`">`+html.EscapeString(d.Title[lang])+"</a>", `<a href="/tools/`+d.ID+`.pdf" type="application/pdf">`)
		}
		p := b.get(paths.Tool(tool.ID))
		mustContain(t, p, "<h1>"+html.EscapeString(tool.Title[lang])+"</h1>", `<div class="tool-body">`,
			`<div class="table-scroll" role="region" tabindex="0"`, `type="checkbox"`,
			`<a href="/tools/risk-matrix.pdf" type="application/pdf" role="button">`+html.EscapeString(i18n.T(lang, "library.tools.pdf"))+"</a>",
			html.EscapeString(i18n.T(lang, "library.tools.print")))

		// The PDF in the reader's language.
		pdf := b.get(paths.ToolPDF(tool.ID))
		if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("%s: PDF %d %q", lang, pdf.Status, pdf.Header.Get("Content-Type"))
		}
		if cd := pdf.Header.Get("Content-Disposition"); cd != `attachment; filename=saferspaces-risk-matrix-`+string(lang)+`.pdf` {
			t.Errorf("%s: Content-Disposition %q", lang, cd)
		}
		data := []byte(pdf.Body)
		if !bytes.HasPrefix(data, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(data), []byte("%%EOF")) {
			t.Fatalf("%s: not a PDF", lang)
		}
		if got := pdfInfo(data, "Title"); got != tool.Title[lang] {
			t.Errorf("%s: /Title %q, want %q", lang, got, tool.Title[lang])
		}
		if !bytes.Contains(data, []byte("/Lang ("+i18n.Tag(lang)+")")) {
			t.Errorf("%s: no /Lang %s", lang, i18n.Tag(lang))
		}
		if drawn := pdfText(t, data); !strings.Contains(drawn, strings.ReplaceAll(tool.Title[lang], " ", "")) {
			t.Errorf("%s: the title is not drawn on the page", lang)
		}
		if again := b.do("GET", paths.ToolPDF(tool.ID), nil, http.Header{"If-None-Match": {pdf.Header.Get("ETag")}}); again.Status != http.StatusNotModified {
			t.Errorf("%s: If-None-Match: %d", lang, again.Status)
		}
	}
	_, b := learnerSession(t, h, userSpec{})
	for _, bad := range []string{"/tools/nope", "/tools/nope.pdf", "/tools/risk-matrix.PDF", "/tools/.pdf"} {
		if p := b.get(bad); p.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", bad, p.Status)
		}
	}
	if p := h.browser().get(paths.ToolPDF(tool.ID)); p.Status != http.StatusSeeOther || strings.HasPrefix(p.Body, "%PDF") {
		t.Errorf("anonymous PDF: %d", p.Status)
	}
}

// The reference pages are linked from every signed-in page's footer, and not for visitors.
func TestLibraryLinks(t *testing.T) {
	h := newHarness(t)
	_, b := learnerSession(t, h, userSpec{})
	nav := `<nav class="library-nav" aria-label="Nachschlagen">`
	for _, p := range []string{"/", "/account", paths.Lesson("risk-assessment", "identify")} {
		mustContain(t, b.get(p), nav, `<a href="/glossary">Glossar</a>`, `<a href="/cases">Fallbibliothek</a>`, `<a href="/tools">Arbeitshilfen</a>`)
	}
	if p := h.browser().get("/"); strings.Contains(p.Body, nav) {
		t.Error("visitors see the links to the gated reference pages")
	}
	trainer := h.user(account.RoleTrainer)
	tb := h.browser()
	tb.signIn(trainer.Email, trainer.Password)
	mustContain(t, tb.get("/trainer"), nav)
}

// pdfInfo reads /Key (…) of the document information (UTF-16BE with byte-order mark).
func pdfInfo(b []byte, key string) string {
	m := regexp.MustCompile(`/` + key + ` \(((?:\\.|[^\\)])*)\)`).FindSubmatch(b)
	if m == nil {
		return ""
	}
	raw := regexp.MustCompile(`\\(.)`).ReplaceAll(m[1], []byte("$1"))
	return utf16String(bytes.TrimPrefix(raw, []byte{0xFE, 0xFF}))
}

// pdfText is the text drawn on the pages, without spaces: the page streams inflated and the
// operands of their Tj operators decoded.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	var out strings.Builder
	for _, m := range regexp.MustCompile(`(?s)stream\r?\n(.*?)endstream`).FindAllSubmatch(b, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue
		}
		data, err := io.ReadAll(r)
		if err != nil {
			continue
		}
		for _, op := range regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)Tj`).FindAllSubmatch(data, -1) {
			raw := regexp.MustCompile(`\\(.)`).ReplaceAll(op[1], []byte("$1"))
			out.WriteString(strings.ReplaceAll(utf16String(raw), " ", ""))
		}
	}
	return out.String()
}

func utf16String(raw []byte) string {
	u := make([]uint16, 0, len(raw)/2)
	for k := 0; k+1 < len(raw); k += 2 {
		u = append(u, uint16(raw[k])<<8|uint16(raw[k+1]))
	}
	return string(utf16.Decode(u))
}
