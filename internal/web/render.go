package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Base is what every page's data carries; each page has its own struct that embeds it.
type Base struct {
	Lang   string
	Title  string // already translated; the layout appends the platform name
	Path   string // the request path, for the language switch
	User   *CurrentUser
	Notice string // a one-time confirmation shown above the content
}

func (b *Base) base() *Base { return b }

// pageData is any page's data struct (it embeds Base).
type pageData interface{ base() *Base }

// renderer holds every page template, parsed once at start-up.
type renderer struct {
	pages  map[string]*template.Template
	tr     *Translator
	assets map[string]string // static path → content hash, for cache-busting URLs
}

func newRenderer(templates, static fs.FS, tr *Translator) (*renderer, error) {
	r := &renderer{pages: map[string]*template.Template{}, tr: tr, assets: map[string]string{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		r.assets[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	funcs := template.FuncMap{
		"t":      tr.T,
		"static": r.static,
		"date":   formatDate,
		"datetime": func(lang string, t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			t = t.Local()
			if lang == "en" {
				return t.Format("2 Jan 2006, 15:04")
			}
			return t.Format("02.01.2006, 15:04")
		},
		"percent": func(n, of int) int {
			if of <= 0 {
				return 0
			}
			return n * 100 / of
		},
		"add": func(a, b int) int { return a + b },
	}
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

func formatDate(lang string, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	t = t.Local()
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d. %s %d", t.Day(), germanMonths[t.Month()-1], t.Year())
}

var germanMonths = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}

// static returns the URL of a static file with a content hash, so it can be cached for a year.
func (r *renderer) static(name string) string {
	if h, ok := r.assets[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}

// render executes a page into a buffer first, so a template error never sends half a page.
func (r *renderer) render(w http.ResponseWriter, status int, page string, data pageData) error {
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}
