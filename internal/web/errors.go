package web

import (
	"errors"
	"net/http"
	"strconv"

	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
)

type errorData struct {
	Base
	Status  int
	Message string // a user-facing detail, if the error carried one
}

// errorPage renders a status page in the platform's layout.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int) {
	s.errorPageMsg(w, r, status, "")
}

func (s *Server) errorPageMsg(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d := &errorData{Base: s.base(r, "error."+strconv.Itoa(status)+".title"), Status: status, Message: msg}
	if err := s.render.render(w, status, "error", d); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

// fail maps an error to its status page; only unexpected errors are logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch errs.KindOf(err) {
	case errs.NotFound:
		s.errorPage(w, r, http.StatusNotFound)
	case errs.Invalid:
		s.errorPageMsg(w, r, http.StatusBadRequest, errs.Message(err))
	case errs.Conflict:
		s.errorPageMsg(w, r, http.StatusConflict, errs.Message(err))
	case errs.Forbidden:
		s.errorPage(w, r, http.StatusForbidden)
	case errs.TooMany:
		s.errorPage(w, r, http.StatusTooManyRequests)
	default:
		if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
			// The client went away and the work was cancelled: nobody to answer, nothing broken.
			s.log.Debug("request cancelled by the client", "method", r.Method, "pattern", r.Pattern)
			w.WriteHeader(statusClientClosed)
			return
		}
		s.log.Error("request failed", "method", r.Method, "pattern", r.Pattern, "err", err)
		s.errorPage(w, r, http.StatusInternalServerError)
	}
}

// page renders a page or, if that fails, the 500 page. A form sent back for correction (422) says
// so in its title, which is the first thing a screen reader announces.
func (s *Server) page(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	if status == http.StatusUnprocessableEntity {
		b := data.base()
		b.Title = i18n.T(b.Lang, "error.title_prefix") + " " + b.Title
	}
	if err := s.render.render(w, status, name, data); err != nil {
		s.fail(w, r, err)
	}
}

// withErrorPages serves the mux, but renders its own 404 and 405 answers in the layout.
func (s *Server) withErrorPages(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			// The mux has no route: let it decide between 404 and 405 (and set Allow), then
			// replace its plain-text body with ours.
			rec := &statusOnly{header: http.Header{}}
			h, _ := mux.Handler(r)
			h.ServeHTTP(rec, r)
			if allow := rec.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			status := rec.status
			if status < 400 {
				// A redirect, e.g. a path cleaned by the mux.
				for k, v := range rec.header {
					w.Header()[k] = v
				}
				w.WriteHeader(status)
				return
			}
			s.errorPage(w, r, status)
			return
		}
		mux.ServeHTTP(w, r)
		notePattern(r)
	})
}

// statusOnly records a handler's status and headers and drops its body.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return len(b), nil
}
func (s *statusOnly) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
