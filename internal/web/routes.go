package web

import "net/http"

// Handler returns the whole HTTP surface of the platform. Every route is here; the middleware
// chain is spelled out at the end. Access rules per route are proven by authz_test.go.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Public.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /static/", http.StripPrefix("/static/", s.cacheStatic(s.static)))
	mux.HandleFunc("POST /lang", s.setLanguage)
	mux.HandleFunc("GET /{$}", s.home)

	// --- sign-in, activation, reset, account (area: auth) ---

	// --- registration, declarations, admin (area: admin) ---

	// --- learning, self-checks, certificates (area: learning) ---

	var h http.Handler = s.withErrorPages(mux)
	h = s.crossOrigin(h)
	h = s.withState(h)
	h = limitBody(h)
	h = s.secureHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}
