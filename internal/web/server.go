// Package web is the platform's only HTTP layer: routes, middleware, handlers and rendering.
// Handlers parse and validate input, call a feature package and render or redirect.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/config"
	"saferspaces/internal/learning"
	"saferspaces/internal/metrics"
	webfs "saferspaces/web"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves the platform. It holds the feature services and nothing below them: every read
// and write goes through a service.
type Server struct {
	cfg   config.Config
	log   *slog.Logger
	now   func() time.Time
	ready func(context.Context) error
	// writable commits a small write for /readyz; readiness caches its last answer.
	writable  func(context.Context) error
	readiness readinessCache
	render    *renderer
	mux       *http.ServeMux // the routes, set by Handler; resume.go asks it which pages exist
	loc       *time.Location // the operator's zone: dates on pages, certificates and exports
	assets    *assets        // the files under /static/, in memory (assets.go)
	files     *fileCache     // generated certificate PDFs and QR codes

	*app.Services
	acc      *account.Service // shorthands of the services used on almost every request
	learn    *learning.Service
	sessions *sessionStore
	sso      *ssoProvider // nil without --oidc-issuer

	proxies []netip.Prefix   // --trusted-proxies: peers whose X-Forwarded-For is believed
	limits  formLimits       // the public forms that cause mail
	metrics *metrics.Metrics // nil: not counted
}

// Deps are what the server is built from; cmd (and the tests) wire them with package app.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Now    func() time.Time
	// Ready answers /healthz: nil when the database answers.
	Ready func(context.Context) error
	// Writable answers part of /readyz: nil when the database accepts a write. Optional.
	Writable func(context.Context) error
	Keys     SessionKeys // for the session cookie (LoadOrCreateKeys)
	// Metrics counts requests and sign-ins; nil: no metrics.
	Metrics *metrics.Metrics
	*app.Services
}

// New parses templates (a missing template stops start-up) and builds the server.
func New(d Deps) (*Server, error) {
	loc := d.Config.Location()
	static, err := loadAssets(webfs.Static)
	if err != nil {
		return nil, err
	}
	brandCSS, logo, err := static.addBrand(d.Config.Brand)
	if err != nil {
		return nil, err
	}
	rd, err := newRenderer(webfs.Templates, static, loc)
	if err != nil {
		return nil, err
	}
	rd.brandCSS, rd.logo = brandCSS, logo
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Services == nil || d.Accounts == nil || d.Learning == nil || d.Ready == nil {
		return nil, errors.New("web: services and readiness check are required")
	}
	proxies, err := d.Config.Proxies()
	if err != nil {
		return nil, err
	}
	files := newFileCache(512)
	// A certificate's PDF names its holder; after an erasure no file made before it stays in
	// memory (erasures are rare: the whole cache goes, and is made again on demand).
	d.Accounts.OnErase(nil, func(context.Context, account.Erased) { files.clear() })
	return &Server{
		proxies:  proxies,
		metrics:  d.Metrics,
		cfg:      d.Config,
		log:      d.Log,
		now:      d.Now,
		ready:    d.Ready,
		writable: d.Writable,
		render:   rd,
		loc:      loc,
		assets:   static,
		files:    files,
		Services: d.Services,
		acc:      d.Accounts,
		learn:    d.Learning,
		sessions: newSessionStore(d.Accounts, d.Keys, d.Config.Secure(), d.Log),
		sso:      newSSOProvider(d.Config, d.Now),
		limits:   newFormLimits(d.Now),
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

// ServeMetrics answers GET /metrics on ln with the Prometheus text format until ctx ends. It is a
// listener of its own (serve --metrics-addr), so the metrics never reach the public address.
func ServeMetrics(ctx context.Context, ln net.Listener, m *metrics.Metrics, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn), Timeout: 10 * time.Second}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
