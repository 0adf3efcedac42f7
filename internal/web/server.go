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
	"net/netip"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/cohort"
	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/internal/learning"
	"saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
	"saferspaces/modules"
	webfs "saferspaces/web"
)

// Server serves the platform.
type Server struct {
	cfg    config.Config
	log    *slog.Logger
	db     *sqlite.DB
	now    func() time.Time
	render *renderer
	loc    *time.Location // the operator's zone: dates on pages, certificates and exports
	static http.Handler

	acc      *account.Service
	sessions *account.SessionStore
	outbox   *mail.Outbox // nil in tests that read mail from the outbox table

	learn *learning.Service

	cohorts *cohort.Service // trainer reports

	proxies []netip.Prefix // --trusted-proxies: peers whose X-Forwarded-For is believed
}

// Deps are what the server is built from; cmd wires concrete values.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	DB     *sqlite.DB
	Now    func() time.Time

	Accounts *account.Service
	Sessions *account.SessionStore
	Outbox   *mail.Outbox

	// Learning is the learning service over the loaded content. Nil: one is built over Content,
	// or over the embedded modules when Content is nil too (mailing certificates when there is a
	// base URL), so tests need not wire it.
	Learning *learning.Service
	Content  *content.Catalog

	// Cohorts builds the trainer reports. Nil: one is built over the learning service's content.
	Cohorts *cohort.Service
}

// New parses templates and catalogs (a missing template stops start-up) and builds the server.
func New(d Deps) (*Server, error) {
	loc := d.Config.Location()
	rd, err := newRenderer(webfs.Templates, webfs.Static, loc)
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
	if d.Learning == nil {
		if d.Content == nil {
			if d.Content, err = content.Load(modules.FS); err != nil {
				return nil, err
			}
		}
		d.Learning = learning.New(d.DB, d.Content, d.Now)
		if d.Config.BaseURL != "" {
			d.Learning.MailCertificates(d.Config.Link)
		}
	}
	if d.Cohorts == nil {
		d.Cohorts = cohort.New(d.DB, d.Learning.Catalog(), d.Now, loc)
	}
	proxies, err := d.Config.Proxies()
	if err != nil {
		return nil, err
	}
	return &Server{
		proxies: proxies,
		cfg:     d.Config,
		log:     d.Log,
		db:      d.DB,
		now:     d.Now,
		render:  rd,
		loc:     loc,
		static:  http.FileServerFS(staticFS),

		acc:      d.Accounts,
		sessions: d.Sessions,
		outbox:   d.Outbox,

		learn: d.Learning,

		cohorts: d.Cohorts,
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
		// Requests still running after the grace period are cut off (closing their connections
		// cancels their contexts) before the caller closes the database under them.
		srv.Close()
		<-errc
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
