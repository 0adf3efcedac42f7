package web

import (
	"context"

	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/i18n"
	"saferspaces/internal/paths"
	"strings"
	"time"
)

// CurrentUser is the signed-in user as the HTTP layer sees them.
type CurrentUser struct {
	ID    int64
	Name  string
	Email string
	Role  account.Role
	Lang  i18n.Lang
	// Pending is, for an administrator, the number of registrations waiting for a decision, for
	// the count in the navigation.
	Pending int
}

// reqState travels in the request context; middlewares fill it in, handlers read it.
type reqState struct {
	lang i18n.Lang
	user *CurrentUser
	ip   string // the client's address (see resolveIP)
	// needsAcceptance: the signed-in user has not accepted the declaration in force (read with
	// the user, with the session).
	needsAcceptance bool
	// signedIn is the session's user as read with the session (sessionStore.New), nil for a
	// session made in this request.
	signedIn *account.SignedIn
}

type ctxKey struct{}

func state(r *http.Request) *reqState {
	if st, ok := r.Context().Value(ctxKey{}).(*reqState); ok {
		return st
	}
	return &reqState{lang: i18n.Default}
}

// actor is who makes the request, for the audit lines of what it changes.
func (s *Server) actor(r *http.Request) audit.Actor {
	st := state(r)
	a := audit.Actor{IP: st.ip}
	if st.user != nil {
		a.ID, a.Email = st.user.ID, st.user.Email
	}
	return a
}

// base fills the part of the page data that every page has.
func (s *Server) base(r *http.Request, titleID string) Base {
	st := state(r)
	b := Base{Lang: st.lang, Path: r.URL.Path, User: st.user}
	if s.Services != nil && s.Legal != nil {
		b.Operator = s.Legal.Operator()
	}
	if titleID != "" {
		b.Title = i18n.T(st.lang, titleID)
	}
	if r.URL.RawQuery != "" {
		b.Path += "?" + r.URL.RawQuery
	}
	return b
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// reqInfo is filled in on the way down and read by logRequests on the way back: the route
// pattern that matched (the mux sets it on the request copy that withState made, which the outer
// middleware never sees).
type reqInfo struct {
	pattern string
}

type infoKey struct{}

// logRequests writes one structured line per request and counts it in the metrics by route
// pattern. Paths that carry a secret (activation and reset tokens; certificate codes are public)
// are logged with the token replaced — wherever it stands, so "//activate/TOKEN" or
// "/./password/reset/TOKEN", which the mux answers with a redirect, do not slip through either. A request whose client went away before the answer
// (a closed tab, a load balancer's timeout) is not a server error: it is logged at info level
// with status 499, as nginx does, and not counted as a 5xx.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &reqInfo{}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		d := time.Since(start)
		p := redactPath(r.URL.Path)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		level := slog.LevelInfo
		switch {
		case r.Context().Err() != nil && (status >= 500 || status == statusClientClosed):
			status = statusClientClosed
		case status >= 500:
			level = slog.LevelError
		}
		s.metrics.Request(routeOf(info.pattern), r.Method, status, d)
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", p),
			slog.Int("status", status),
			slog.Int("bytes", sw.bytes),
			slog.Duration("duration", d),
			slog.String("ip", s.resolveIP(r)),
		)
	})
}

// redactPath replaces whatever follows /activate/ or /password/reset/ (in any spelling of the
// path) by {token}, and any other path segment long enough to be a token by {secret}.
func redactPath(p string) string {
	segs := strings.Split(p, "/")
	for i := 0; i < len(segs); i++ {
		seg := strings.ToLower(segs[i])
		secretNext := seg == "activate" || seg == "reset" && i > 0 && strings.EqualFold(prevSegment(segs, i), "password")
		if secretNext {
			for j := i + 1; j < len(segs); j++ {
				if segs[j] != "" && segs[j] != "." {
					segs[j] = "{token}"
					i = j
					break
				}
			}
			continue
		}
		if len(segs[i]) >= 32 {
			segs[i] = "{secret}"
		}
	}
	return strings.Join(segs, "/")
}

// prevSegment is the last non-empty, non-"." segment before i.
func prevSegment(segs []string, i int) string {
	for j := i - 1; j >= 0; j-- {
		if segs[j] != "" && segs[j] != "." {
			return segs[j]
		}
	}
	return ""
}

// statusClientClosed is nginx's "client closed request": the answer had no one to go to.
const statusClientClosed = 499

// routeOf is the route pattern without its method ("GET /modules/{module}" → "/modules/{module}"),
// the metrics' route label.
func routeOf(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return pattern[i+1:]
	}
	return pattern
}

// notePattern records the route pattern the mux matched for logRequests.
func notePattern(r *http.Request) {
	if info, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		info.pattern = r.Pattern
	}
}

// recoverPanics turns a panic into a 500 page and a log line with the stack.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "err", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.errorPage(w, r, http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// csp is SPEC's policy verbatim plus form-action 'self', which keeps injected markup from
// posting a form (and its CSRF-free same-site credentials) to another site.
const csp = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// secureHeaders sets the headers every response carries.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		// no-referrer: activation and reset links carry their token in the path.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.cfg.Secure() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// maxBody is far above any form of the platform and far below what could hurt it; the users
// import takes files of up to maxImportBytes (a few ten thousand rows) and gets maxImportBody.
const (
	maxBody       = 1 << 20
	maxImportBody = 4 << 20
)

func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxBody)
		if strings.HasPrefix(r.URL.Path, paths.AdminImport) {
			limit = maxImportBody
		}
		if r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			s.errorPage(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// withState puts the request state into the context and picks the interface language; the
// session middleware later fills in the user and may override the language with their setting.
func (s *Server) withState(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &reqState{lang: requestLanguage(r, ""), ip: s.resolveIP(r)}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
	})
}

// crossOrigin rejects state-changing requests from other sites with the platform's 403 page.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusForbidden)
	}))
	return cop.Handler(next)
}
