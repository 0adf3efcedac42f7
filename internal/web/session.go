package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
)

// withSession loads the request's session and, if it belongs to a user who may still sign in,
// makes them the current user and their language the interface language. A session of an
// account that was disabled, erased or otherwise stopped being active is deleted on the spot, so
// the request continues as anonymous. Static files and the health check skip the database.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.sessions == nil || strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := s.sessions.Get(r, SessionCookie)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if uid, ok := sessionUserID(sess); ok {
			st := state(r)
			u, err := st.signedIn, error(nil)
			if u == nil || u.ID != uid {
				u, err = s.acc.SignedInUser(r.Context(), uid)
			}
			switch {
			case err == nil && u.Active():
				st.user = &CurrentUser{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Lang: i18n.OrDefault(u.Lang)}
				st.needsAcceptance = u.NeedsAcceptance
				st.lang = requestLanguage(r, u.Lang)
				if u.Role == account.RoleAdmin {
					// For the count in the navigation; a failure only hides the count.
					if st.user.Pending, err = s.acc.PendingCount(r.Context()); err != nil {
						s.log.Warn("count pending registrations", "err", err)
					}
				}
			case err == nil || errs.Is(err, errs.NotFound):
				if err := s.sessions.drop(w, r); err != nil {
					s.fail(w, r, err)
					return
				}
			default:
				s.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requireUser lets only signed-in users through. A request without a valid session — never
// signed in, expired, ended elsewhere — is never refused: GET and HEAD are sent to the sign-in
// page (which returns them here afterwards, saying the session expired if there was one), and any
// other method is answered with the sign-in page itself, which carries the request so that signing
// in finishes it (resume.go). A user who has not yet accepted the declaration version in force is
// sent to /declaration first — except on that page itself and for signing out.
func (s *Server) requireUser(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := state(r).user
		get := r.Method == http.MethodGet || r.Method == http.MethodHead
		if u == nil {
			if !get {
				s.signInAgain(w, r)
				return
			}
			to := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
			if hadSession(r) {
				to += "&expired=1"
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if r.URL.Path != "/declaration" && !(r.Method == http.MethodPost && r.URL.Path == "/logout") {
			if state(r).needsAcceptance {
				next := "/"
				if get {
					next = r.URL.RequestURI()
				}
				http.Redirect(w, r, "/declaration?next="+url.QueryEscape(next), http.StatusSeeOther)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// requireRole is requireUser plus a role: admins pass every role check, trainers pass "trainer",
// everyone else gets 403.
func (s *Server) requireRole(role account.Role, h http.Handler) http.Handler {
	return s.requireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := state(r).user; u.Role == account.RoleAdmin || u.Role == role {
			h.ServeHTTP(w, r)
			return
		}
		s.errorPage(w, r, http.StatusForbidden)
	}))
}

// kickMail wakes the mail worker after a transaction that queued mail has committed.
func (s *Server) kickMail() {
	s.Outbox.Kick()
}

// noticeCookie carries a one-time confirmation ("lesson done", "password changed") to the next
// page, after a redirect. It is a cookie and not a session value so that confirming an action
// costs no write to the sessions table: the action's own commit is the only one (docs/performance.md).
// It holds the user's id and a catalog key, nothing secret; takeNotice shows only keys that are
// notices and only to the user they were set for.
const noticeCookie = "saferspaces_notice"

// noticePrefixes are the catalog keys that may be shown as notices.
var noticePrefixes = []string{"learning.notice.", "admin.notice.", "auth.account.", "cycles.", "legal.admin.notice.",
	"integration.factor.", "integration.account."}

// setNotice remembers a catalog key to show once on the signed-in user's next page.
func (s *Server) setNotice(w http.ResponseWriter, r *http.Request, key string) {
	var uid int64
	if u := state(r).user; u != nil {
		uid = u.ID
	} else if s.sessions != nil {
		// Signed in by this very request (an action finished after sign-in): its new session.
		if sess, err := s.sessions.Get(r, SessionCookie); err == nil {
			uid, _ = sessionUserID(sess)
		}
	}
	if uid == 0 {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: strconv.FormatInt(uid, 10) + "." + key, Path: "/",
		MaxAge: 120, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
}

// takeNotice returns the translated pending notice, if any, and forgets it.
func (s *Server) takeNotice(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	st := state(r)
	uid, v, ok := strings.Cut(c.Value, ".")
	key, _, _ := strings.Cut(v, "~")
	if !ok || st.user == nil || uid != strconv.FormatInt(st.user.ID, 10) || !i18n.Has(st.lang, key) {
		return ""
	}
	for _, p := range noticePrefixes {
		if strings.HasPrefix(key, p) {
			return noticeText(st.lang, v)
		}
	}
	return ""
}

// setNoticeCount is setNotice for a notice with a count (its plural form) and further named
// numbers: the cookie carries "KEY~N~Name=V…", and takeNotice writes the text in the language
// of the page it is shown on.
func (s *Server) setNoticeCount(w http.ResponseWriter, r *http.Request, key string, n int, named ...any) {
	var b strings.Builder
	b.WriteString(key + "~" + strconv.Itoa(n))
	for i := 0; i+1 < len(named); i += 2 {
		v, _ := named[i+1].(int)
		fmt.Fprintf(&b, "~%v=%d", named[i], v)
	}
	s.setNotice(w, r, b.String())
}

// noticeText writes a notice "KEY" or "KEY~N~Name=V…" (setNoticeCount) in lang.
func noticeText(lang i18n.Lang, v string) string {
	key, rest, counted := strings.Cut(v, "~")
	if !counted {
		return i18n.T(lang, key)
	}
	parts := strings.Split(rest, "~")
	n, err := strconv.Atoi(parts[0])
	if err != nil {
		return ""
	}
	var kv []any
	for _, p := range parts[1:] {
		name, val, ok := strings.Cut(p, "=")
		num, err := strconv.Atoi(val)
		if !ok || err != nil {
			return ""
		}
		kv = append(kv, name, num)
	}
	return i18n.N(lang, key, n, kv...)
}
