package web

import "net/http"

// Handler returns the whole HTTP surface of the platform.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Public.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /static/", http.StripPrefix("/static/", s.cacheStatic(s.static)))
	mux.HandleFunc("POST /lang", s.setLanguage)
	mux.HandleFunc("GET /{$}", s.home)

	var h http.Handler = s.withErrorPages(mux)
	h = s.crossOrigin(h)
	h = s.withState(h)
	h = limitBody(h)
	h = s.secureHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}
