// Package library is the reference part of the training beside the modules: the glossary in
// each reader's alphabetical order and the working tools as PDF files. The texts themselves are
// content (internal/content loads and validates them); this package arranges and prints them.
package library

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
)

// Service arranges the glossary and prints the tools of one content catalog.
type Service struct {
	cat      *content.Catalog
	platform string
	link     func(path string) string
	stamp    time.Time
	glossary map[i18n.Lang][]Letter

	mu   sync.Mutex
	pdfs map[pdfKey]*File
}

type pdfKey struct {
	tool string
	lang i18n.Lang
}

// New prepares the glossary of cat in every language. platform is the name printed in the PDFs'
// footers and metadata; link makes an absolute URL of a platform path, so that links into the
// platform work from a downloaded PDF (nil: they print as text). The PDFs carry now() as their
// creation date: one date per run, so the same tool is the same file until the next start.
func New(cat *content.Catalog, platform string, link func(path string) string, now func() time.Time) *Service {
	if cat == nil { // a command that needs no content: an empty library
		cat = &content.Catalog{}
	}
	s := &Service{cat: cat, platform: platform, link: link, stamp: now(), pdfs: map[pdfKey]*File{},
		glossary: map[i18n.Lang][]Letter{}}
	for _, lang := range i18n.Languages() {
		s.glossary[lang] = arrange(cat, lang)
	}
	return s
}

// File is a generated download.
type File struct {
	Name string    // file name to offer, e.g. "saferspaces-risk-matrix-de.pdf"
	Lang i18n.Lang // the language it is in: the reader's, or the fallback while a translation is missing
	Hash string    // hex SHA-256 prefix of Data, for the ETag
	Data []byte
}

// ToolPDF is the working tool id as an A4 PDF for a reader of lang. Each tool and language is
// printed once and then kept: the content does not change while the platform runs.
func (s *Service) ToolPDF(id string, lang i18n.Lang) (*File, error) {
	doc := s.cat.Tool(id)
	if doc == nil {
		return nil, errs.E(errs.NotFound, "no tool %q", id)
	}
	in := doc.In(lang)
	key := pdfKey{id, in}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.pdfs[key]; f != nil {
		return f, nil
	}
	var buf bytes.Buffer
	if err := writeToolPDF(&buf, doc, in, s.platform, s.link, s.stamp); err != nil {
		return nil, fmt.Errorf("tool %s (%s): %w", id, in, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	f := &File{Name: fmt.Sprintf("%s-%s-%s.pdf", s.platform, id, in), Lang: in, Hash: hex.EncodeToString(sum[:12]), Data: buf.Bytes()}
	s.pdfs[key] = f
	return f, nil
}
