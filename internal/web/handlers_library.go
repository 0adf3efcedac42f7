package web

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/library"
	"saferspaces/internal/paths"
)

// The reference pages beside the modules: lesson media, the glossary, the case library and the
// working tools. Like the lessons they are for signed-in users only (docs/spec-notes.md); they
// show content, nothing of anyone's records.

// svgCSP is the policy of an SVG opened on its own: a drawing may style itself, and nothing else —
// no script, no fetches, no plugins — even if one slipped past the content check.
const svgCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"

// mediaFile serves a file of a module's media folder: only the files the content lists, from the
// bytes that were validated at start-up, never a path put together from the URL.
func (s *Server) mediaFile(w http.ResponseWriter, r *http.Request) {
	var f *content.MediaFile
	if m := s.learn.Catalog().Module(r.PathValue("module")); m != nil {
		f = m.Media[r.PathValue("file")]
	}
	if f == nil {
		s.fail(w, r, errs.E(errs.NotFound, "no such media file"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.Type)
	if f.SVG() {
		h.Set("Content-Security-Policy", svgCSP)
	}
	h.Set("ETag", `"`+f.Hash+`"`)
	// Lessons link the file with its hash as version: that URL never changes its content.
	if r.URL.Query().Get("v") == f.Hash {
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.Data))
}

type glossaryData struct {
	Base
	Letters []library.Letter
}

// glossaryPage is the glossary in the reader's alphabetical order; each entry's anchor is the
// term's id, which is what lessons link to (/glossary#id).
func (s *Server) glossaryPage(w http.ResponseWriter, r *http.Request) {
	d := &glossaryData{Base: s.base(r, "library.glossary.title")}
	d.Letters = s.Library.Glossary(d.Lang)
	s.page(w, r, http.StatusOK, "glossary", d)
}

type casesData struct {
	Base
	Cases []*content.Doc
}

// casesPage lists the case library with each case's first key point.
func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "cases", &casesData{Base: s.base(r, "library.cases.title"), Cases: s.learn.Catalog().Cases})
}

// docData is the page of one case or tool.
type docData struct {
	Base
	Doc     *content.Doc
	In      i18n.Lang         // the language the document is shown in: the reader's, or a fallback
	Lessons []*content.Lesson // the lessons that link to it
	// LessonsHeading is the catalog key of the heading above Lessons.
	LessonsHeading string
}

func (s *Server) docData(r *http.Request, doc *content.Doc, path string) *docData {
	d := &docData{Base: s.base(r, ""), Doc: doc, Lessons: s.learn.Catalog().LessonsLinking(path)}
	d.In = doc.In(d.Lang)
	d.Title = doc.Title[d.In]
	return d
}

// casePage is one case: its key points first, then the account, then the lessons that use it.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	doc := s.learn.Catalog().Case(r.PathValue("case"))
	if doc == nil {
		s.fail(w, r, errs.E(errs.NotFound, "no such case"))
		return
	}
	d := s.docData(r, doc, paths.Case(doc.ID))
	d.Title += " – " + i18n.T(d.Lang, "library.cases.title")
	d.LessonsHeading = "library.cases.lessons"
	s.page(w, r, http.StatusOK, "case", d)
}

type toolsData struct {
	Base
	Tools []*content.Doc
}

// toolsPage lists the working tools, each as a page and as a PDF.
func (s *Server) toolsPage(w http.ResponseWriter, r *http.Request) {
	s.page(w, r, http.StatusOK, "tools", &toolsData{Base: s.base(r, "library.tools.heading"), Tools: s.learn.Catalog().Tools})
}

// toolPage is a working tool as a printable page, or, for /tools/{tool}.pdf, as PDF.
func (s *Server) toolPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("tool")
	id, pdf := strings.CutSuffix(name, ".pdf")
	doc := s.learn.Catalog().Tool(id)
	if doc == nil {
		s.fail(w, r, errs.E(errs.NotFound, "no such tool"))
		return
	}
	if pdf {
		s.toolPDF(w, r, doc)
		return
	}
	d := s.docData(r, doc, paths.Tool(doc.ID))
	d.Title += " – " + i18n.T(d.Lang, "library.tools.heading")
	d.LessonsHeading = "library.tools.lessons"
	s.page(w, r, http.StatusOK, "tool", d)
}

func (s *Server) toolPDF(w http.ResponseWriter, r *http.Request, doc *content.Doc) {
	f, err := s.Library.ToolPDF(doc.ID, state(r).lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("Content-Language", string(f.Lang))
	h.Set("ETag", `"`+f.Hash+`"`)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Vary", "Cookie, Accept-Language") // the reader's language picks the file
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.Data))
}
