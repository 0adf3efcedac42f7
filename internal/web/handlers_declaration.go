package web

import (
	"net/http"
	"strconv"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
)

type declarationData struct {
	Base
	Declaration *account.Declaration
	Next        string // where to go after accepting
	Errors      formErrors
	Stale       bool
	Accepted    bool // the user has already accepted the version in force: nothing to do
}

func (s *Server) declarationPage(w http.ResponseWriter, r *http.Request, status int, next string, fe formErrors, stale bool) {
	d, err := s.acc.CurrentDeclaration(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	needs, err := s.acc.NeedsAcceptance(r.Context(), state(r).user.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := &declarationData{Base: s.base(r, "decl.title"), Declaration: d, Next: localPath(next), Errors: fe, Stale: stale,
		Accepted: !needs}
	s.page(w, r, status, "declaration", data)
}

// declaration shows the version in force to a signed-in user who has to accept it (the session
// middleware sends them here from any other page).
func (s *Server) declaration(w http.ResponseWriter, r *http.Request) {
	s.declarationPage(w, r, http.StatusOK, r.URL.Query().Get("next"), formErrors{}, false)
}

// declarationPost records the acceptance and continues where the user wanted to go.
func (s *Server) declarationPost(w http.ResponseWriter, r *http.Request) {
	u := state(r).user
	next := r.PostFormValue("next")
	if r.PostFormValue("accept") != "yes" {
		var fe formErrors
		fe.add("accept", i18n.T(state(r).lang, "decl.error.accept"))
		s.declarationPage(w, r, http.StatusUnprocessableEntity, next, fe, false)
		return
	}
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil {
		version = 0
	}
	err = s.acc.AcceptDeclaration(r.Context(), u.ID, version, clientIP(r), r.UserAgent())
	switch {
	case errs.Is(err, errs.Conflict):
		// A newer version came out while the form was open: the user must read that one.
		s.declarationPage(w, r, http.StatusConflict, next, formErrors{}, true)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
}
