package web

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/paths"
)

// The browser's users import takes the file that `saferspaces users import` takes: the admin
// uploads it, sees every row it would create or every problem by line, and applies it all or
// nothing. The preview carries the file's text in the apply form, so what is applied is exactly
// what was checked (and checked again: the database may have changed in between).

// maxImportBytes bounds an uploaded file (about 35,000 rows; the import's request body limit is
// maxImportBody). Bigger files go through `saferspaces users import` on the server.
const maxImportBytes = 3 << 20

type importData struct {
	adminBase
	File     string // the file's name as uploaded
	CSV      string // the file's text, carried to the apply form
	Rows     []account.ImportRow
	Problems []account.LineProblem // the first account.MaxShownProblems
	Total    int                   // problems in all
	More     int                   // problems not listed
	Message  string                // a problem with the file as a whole
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, status int, d *importData) {
	d.adminBase = s.adminBase(w, r, "cycles.import.title", "users")
	s.page(w, r, status, "admin_import", d)
}

func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) {
	s.importPage(w, r, http.StatusOK, &importData{})
}

// adminImportPreview checks an uploaded file without applying it.
func (s *Server) adminImportPreview(w http.ResponseWriter, r *http.Request) {
	lang := state(r).lang
	d := &importData{}
	file, header, err := r.FormFile("file")
	if err != nil {
		d.Message = i18n.T(lang, "cycles.import.error.nofile")
		s.importPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	defer file.Close()
	raw, err := io.ReadAll(io.LimitReader(file, maxImportBytes+1))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.File = firstRunes(strings.Map(func(r rune) rune {
		if r < 32 {
			return -1
		}
		return r
	}, header.Filename), 100)
	switch {
	case len(raw) > maxImportBytes:
		d.Message = i18n.T(lang, "cycles.import.error.size")
	case account.IsUTF16(raw):
		d.Message = i18n.T(lang, "cycles.import.error.utf16")
	case !utf8.Valid(raw):
		d.Message = i18n.T(lang, "cycles.import.error.utf8")
	}
	if d.Message != "" {
		s.importPage(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	d.CSV = string(raw)
	s.checkImport(w, r, d, false)
}

// adminImportApply applies the file the preview showed.
func (s *Server) adminImportApply(w http.ResponseWriter, r *http.Request) {
	d := &importData{CSV: r.PostFormValue("csv"), File: firstRunes(r.PostFormValue("file"), 100)}
	s.checkImport(w, r, d, true)
}

func (s *Server) checkImport(w http.ResponseWriter, r *http.Request, d *importData, apply bool) {
	lang := state(r).lang
	name := d.File
	if name == "" {
		name = "upload.csv"
	}
	var err error
	if apply {
		var n int
		if n, err = s.acc.ImportUsers(r.Context(), s.actor(r), name, strings.NewReader(d.CSV), nil); err == nil {
			s.kickMail()
			s.setNoticeCount(w, r, "cycles.import.done", n)
			http.Redirect(w, r, paths.AdminImport, http.StatusSeeOther)
			return
		}
	} else {
		d.Rows, err = s.acc.PreviewImport(r.Context(), name, strings.NewReader(d.CSV))
	}
	var ie *account.ImportError
	switch {
	case errors.As(err, &ie):
		d.Problems, d.More = ie.Shown()
		d.Total, d.Rows = len(ie.Problems), nil
	case errors.Is(err, account.ErrImportComma):
		d.Message = i18n.T(lang, "cycles.import.error.comma")
	case errors.Is(err, account.ErrImportUTF16):
		d.Message = i18n.T(lang, "cycles.import.error.utf16")
	case errs.Is(err, errs.Invalid):
		d.Message = i18n.T(lang, "cycles.import.error.empty")
	case err != nil:
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if d.Message != "" || len(d.Problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.importPage(w, r, status, d)
}
