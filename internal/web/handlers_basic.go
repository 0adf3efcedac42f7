package web

import (
	"net/http"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
)

// healthz answers 200 once the database answers.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.ready(r.Context()); err != nil {
		s.log.Error("healthz: database", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// setLanguage is the language switch: it remembers the choice in a cookie and goes back.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	lang := supported(r.PostFormValue("lang"))
	if lang == "" {
		s.errorPageMsg(w, r, http.StatusBadRequest, i18n.T(state(r).lang, "error.lang"))
		return
	}
	if u := state(r).user; u != nil && s.acc != nil {
		// A signed-in user's setting wins over the cookie, so it is the one to change.
		if err := s.acc.SetLanguage(r.Context(), u.ID, string(lang)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: string(lang), Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

type homeData struct {
	Base
	Modules []*content.Module // the programme, shown before sign-in: titles, summaries, time
}

// home is the start page; signed-in users get their dashboard.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if state(r).user != nil {
		s.requireUser(http.HandlerFunc(s.dashboard)).ServeHTTP(w, r)
		return
	}
	s.page(w, r, http.StatusOK, "home", &homeData{Base: s.base(r, "home.title"), Modules: s.learn.Catalog().Modules})
}
