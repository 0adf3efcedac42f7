package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"saferspaces/internal/app"
	"saferspaces/internal/config"
	"saferspaces/internal/legal"
	"saferspaces/internal/metrics"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/web"
)

func newLogger(w io.Writer) *slog.Logger {
	return newLeveledLogger(w, slog.LevelInfo)
}

func newLeveledLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	rest, err := parseFlags("serve", "serve [flags]", args, getenv, stderr, cfg.ServeFlags)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(stderr, "serve takes no arguments, got %q", rest)
	}
	if cfg.Demo {
		cfg.Operator.Demo()
	}
	if err := cfg.Validate(); err != nil {
		return usageError(stderr, "serve: %v", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := newLeveledLogger(stderr, cfg.Level())
	if missing := cfg.Operator.Missing(); len(missing) > 0 {
		log.Warn("the operator is not fully named: the imprint, privacy notice and accessibility statement say so until these are set",
			"missing", strings.Join(missing, " "))
	}

	// Content first: invalid modules stop the start, every problem printed, before anything opens.
	cat, err := loadContent(cfg.Modules, stderr)
	if err != nil {
		return err
	}
	log.Info("modules loaded", "modules", len(cat.Modules), "lessons", cat.LessonCount(), "folder", cfg.Modules)

	// One serve per data folder: the lock comes before the database is touched.
	if err := sqlite.PrepareDataDir(cfg.Data); err != nil {
		return err
	}
	unlock, err := lockData(cfg.Data)
	if err != nil {
		return err
	}
	defer unlock()
	db, version, err := openDB(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("database ready", "path", db.Path, "schema_version", version)
	keys, err := web.LoadOrCreateKeys(cfg.Data)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	// The other commands print links (activation, reset) with the URL the server answers on.
	if err := db.PutSetting(ctx, baseURLSetting, cfg.BaseURL); err != nil {
		ln.Close()
		return err
	}
	sender, err := mailSender(cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	pages, err := legal.New(cfg.Operator, cfg.Retention, cfg.BaseURL, cfg.Legal)
	if err != nil {
		ln.Close()
		return usageError(stderr, "serve: %v", err)
	}
	if own := pages.Custom(); len(own) > 0 {
		log.Info("legal pages from files", "folder", cfg.Legal, "pages", strings.Join(own, " "))
	}
	svc := app.New(app.Parts{Config: cfg, DB: db, Content: cat, Sender: sender, Log: log, Legal: pages})
	if n, err := svc.Learning.BackfillTitles(ctx); err != nil {
		log.Warn("certificates issued earlier keep showing the current module titles", "err", err)
	} else if n > 0 {
		log.Info("stored the titles of earlier certificates", "certificates", n)
	}
	if err := svc.Accounts.LoadKeys(); err != nil {
		ln.Close()
		return err
	}
	// The canonical URL of the learning records is fixed at first start, and older progress
	// becomes statements, before the first request.
	if err := svc.XAPI.Start(ctx, log); err != nil {
		ln.Close()
		return err
	}
	if cfg.XAPIEndpoint != "" {
		svc.XAPI.SendTo(web.NewLRSClient(cfg.XAPIEndpoint, cfg.XAPIUsername, cfg.XAPIPassword))
		log.Info("learning records are sent to an LRS", "endpoint", cfg.XAPIEndpoint)
	}
	// Progress summaries follow the content: after an upgrade or a content change they are
	// recomputed once, before the first trainer's page reads them.
	if n, err := svc.Learning.RefreshSummaries(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("progress summaries: %w", err)
	} else if n > 0 {
		log.Info("progress summaries recomputed", "learners", n)
	}
	if err := svc.Accounts.EnsureSortKeys(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("sort keys: %w", err)
	}
	if cfg.Demo {
		if err := printDemo(ctx, svc.Accounts, stdout); err != nil {
			ln.Close()
			return err
		}
	}
	var mx *metrics.Metrics
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("metrics: listen on %s: %w", cfg.MetricsAddr, err)
		}
		defer metricsLn.Close()
		mx = metrics.New()
		src := metrics.Sources{MailBacklog: svc.Outbox.Backlog, DatabaseSize: db.Size, Sessions: svc.Accounts.ActiveSessions, Log: log}
		if svc.XAPI.Sending() {
			src.Queues = map[string]func(context.Context) (int, time.Duration, error){"xapi": xapiBacklog(svc)}
		}
		mx.Watch(src)
	}
	srv, err := web.New(web.Deps{Config: cfg, Log: log, Metrics: mx, Ready: db.Ping, Writable: func(ctx context.Context) error { return db.WriteProbe(ctx, time.Now().Unix()) }, Keys: keys, Services: svc})
	if err != nil {
		ln.Close()
		return err
	}
	stopWorkers := startWorkers(ctx, svc)
	defer stopWorkers()
	if metricsLn != nil {
		go func() {
			if err := web.ServeMetrics(ctx, metricsLn, mx, log); err != nil {
				log.Error("metrics listener stopped", "err", err)
			}
		}()
		fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", metricsLn.Addr())
		log.Info("metrics", "addr", metricsLn.Addr().String())
	}
	fmt.Fprintf(stdout, "saferspaces listening on http://%s (public URL %s)\n", ln.Addr(), cfg.BaseURL)
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL)
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	rest, err := parseFlags("migrate", "migrate [--data DIR]", args, getenv, stderr, cfg.DataFlag)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(stderr, "migrate takes no arguments, got %q", rest)
	}
	db, v, err := openDB(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "database %s at schema version %d\n", db.Path, v)
	return nil
}

// cmdBackup writes a checked copy of the database to FILE; see sqlite.DB.Backup for how a kill,
// a full disk or Ctrl-C never leaves a file under FILE's name that is not a complete copy.
func cmdBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	rest, err := parseFlags("backup", "backup [--data DIR] FILE", args, getenv, stderr, cfg.DataFlag)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError(stderr, "backup needs exactly one FILE to write the copy to")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// No migration: a backup copies the database as it is, whichever binary wrote it.
	db, err := sqlite.OpenExisting(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	removeStale(stderr, rest[0], "backup")
	p := newProgress(stderr, "backup", "bytes")
	err = db.Backup(ctx, rest[0], p.Update)
	p.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s (integrity check ok)\n", rest[0])
	return nil
}

// xapiBacklog is the queue of learning records towards the LRS, as the metrics read it.
func xapiBacklog(svc *app.Services) func(context.Context) (int, time.Duration, error) {
	return func(ctx context.Context) (int, time.Duration, error) {
		st, err := svc.XAPI.Stats(ctx)
		if err != nil || st.OldestWaiting.IsZero() {
			return st.Waiting, 0, err
		}
		return st.Waiting, max(time.Since(st.OldestWaiting), 0), nil
	}
}
