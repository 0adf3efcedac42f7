// Package web is the platform's only HTTP layer: routes, middleware, handlers and rendering.
// Handlers parse and validate input, call a feature package and render or redirect.
package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"saferspaces/internal/config"
	"saferspaces/internal/sqlite"
	webfs "saferspaces/web"
)

// Server serves the platform.
type Server struct {
	cfg    config.Config
	log    *slog.Logger
	db     *sqlite.DB
	now    func() time.Time
	render *renderer
	tr     *Translator
	static http.Handler
}

// Deps are what the server is built from; cmd wires concrete values.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	DB     *sqlite.DB
	Now    func() time.Time
}

// New parses templates and catalogs (a missing template stops start-up) and builds the server.
func New(d Deps) (*Server, error) {
	tr, err := NewTranslator(webfs.I18n)
	if err != nil {
		return nil, err
	}
	rd, err := newRenderer(webfs.Templates, webfs.Static, tr)
	if err != nil {
		return nil, err
	}
	staticFS, err := fs.Sub(webfs.Static, "static")
	if err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Server{
		cfg:    d.Config,
		log:    d.Log,
		db:     d.DB,
		now:    d.Now,
		render: rd,
		tr:     tr,
		static: http.FileServerFS(staticFS),
	}, nil
}

// Serve answers on ln until ctx ends, then lets in-flight requests finish (up to 20 s).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       20 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing requests in flight")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
