package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"saferspaces/internal/config"
	"saferspaces/internal/i18n"
	"saferspaces/internal/paths"
)

// Base is what every page's data carries; each page has its own struct that embeds it.
type Base struct {
	Lang   i18n.Lang
	Title  string // already translated; the layout appends the platform name
	Path   string // the request path, for the language switch
	User   *CurrentUser
	Notice string // a one-time confirmation shown above the content
	// Operator is who runs the platform, for the footer of every page.
	Operator config.Operator
}

func (b *Base) base() *Base { return b }

// shownIn is what the partials "fallback_note" and "key_points" take: the reader's language, the
// language a text is shown in (the same, or a fallback while a translation is missing), and the
// key points of a lesson or case.
type shownIn struct {
	Lang, In i18n.Lang
	Points   []string
}

// pageData is any page's data struct (it embeds Base).
type pageData interface{ base() *Base }

// renderer holds every page template, parsed once at start-up.
type renderer struct {
	pages  map[string]*template.Template
	assets *assets // the static files, for their content-hash URLs
	// brandCSS and logo are the URLs of the operator's colour stylesheet and logo, or "".
	brandCSS, logo string
}

// newRenderer parses every page; dates on pages are shown in loc, static URLs come from static.
func newRenderer(templates fs.FS, static *assets, loc *time.Location) (*renderer, error) {
	r := &renderer{pages: map[string]*template.Template{}, assets: static}
	funcs := r.funcs(loc)
	common, err := template.New("").Funcs(funcs).ParseFS(templates, "templates/layouts/*.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	pages, err := fs.Glob(templates, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		t, err := template.Must(common.Clone()).ParseFS(templates, p)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", p, err)
		}
		r.pages[strings.TrimSuffix(path.Base(p), ".html")] = t
	}
	if len(r.pages) == 0 {
		return nil, fmt.Errorf("templates: no pages found")
	}
	return r, nil
}

// funcs are the functions of every template; dates are shown in loc.
func (r *renderer) funcs(loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"t":        i18n.T,
		"n":        i18n.N,
		"static":   r.static,
		"brandCSS": func() string { return r.brandCSS },
		// the fragments written in Go (fragments.go)
		"tasks":            lessonTasks,
		"checkQuestions":   func(d *checkData) template.HTML { return checkQuestions(d.Lang, d.Sheet, d.Open) },
		"lessonContent":    lessonContent,
		"dashboardContent": dashboardContent,
		"header":           r.header,
		"footer":           footer,
		"langswitch":       langSwitch,
		"under":            under,
		"date":             func(lang i18n.Lang, t time.Time) string { return i18n.Date(lang, t, loc) },
		"datetime":         func(lang i18n.Lang, t time.Time) string { return i18n.DateTime(lang, t, loc) },
		"numdate":          func(lang i18n.Lang, t time.Time) string { return i18n.NumericDate(lang, t, loc) },
		"pct":              i18n.Percent,
		"colon":            i18n.Colon,
		"monthyear":        i18n.MonthYear,
		"zone":             loc.String, // the operator's zone that every time on the pages is shown in
		"langs":            i18n.Languages,
		"langname":         i18n.Name,
		"percent": func(n, of int) int {
			if of <= 0 {
				return 0
			}
			return n * 100 / of
		},
		"add": func(a, b int) int { return a + b },
		"sub": func(a, b int) int { return a - b },
		// paths of the reference pages (area: library)
		"lessonPath":   paths.Lesson,
		"glossaryPath": paths.Glossary,
		"casesPath":    func() string { return paths.Cases },
		"casePath":     paths.Case,
		"toolsPath":    func() string { return paths.Tools },
		"toolPath":     paths.Tool,
		"toolPDFPath":  paths.ToolPDF,
		"shownIn":      func(lang, in i18n.Lang) shownIn { return shownIn{Lang: lang, In: in} },
		"keyPoints": func(lang, in i18n.Lang, points []string) shownIn {
			return shownIn{Lang: lang, In: in, Points: points}
		},
	}
}

// static returns the URL of a static file with a content hash, so it can be cached for a year.
func (r *renderer) static(name string) string { return r.assets.url(name) }

// render executes a page into a buffer first, so a template error never sends half a page.
func (r *renderer) render(w http.ResponseWriter, status int, page string, data pageData) error {
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 { // a rare huge page does not stay in the pool
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "base", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// pageBuffers keep the buffers pages are rendered into: a page is 5 to 100 KB, and growing a new
// buffer to that size for every request copied it several times over.
var pageBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 32<<10)) }}
