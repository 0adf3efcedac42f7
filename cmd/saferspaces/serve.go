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

	"saferspaces/internal/app"
	"saferspaces/internal/config"
	"saferspaces/internal/legal"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/web"
)

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// openDB opens and migrates the database in cfg.Data.
func openDB(ctx context.Context, data string) (*sqlite.DB, int64, error) {
	db, err := sqlite.Open(ctx, data)
	if err != nil {
		return nil, 0, err
	}
	v, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, v, nil
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
	log := newLogger(stderr)
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
	srv, err := web.New(web.Deps{Config: cfg, Log: log, Ready: db.Ping, Keys: keys, Services: svc})
	if err != nil {
		ln.Close()
		return err
	}
	stopWorkers := startWorkers(ctx, svc)
	defer stopWorkers()
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

func cmdBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	rest, err := parseFlags("backup", "backup [--data DIR] FILE", args, getenv, stderr, cfg.DataFlag)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError(stderr, "backup needs exactly one FILE to write the copy to")
	}
	db, err := sqlite.Open(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, rest[0]); err != nil {
		return err
	}
	cp, err := sqlite.OpenFile(ctx, rest[0])
	if err != nil {
		return err
	}
	defer cp.Close()
	if err := cp.IntegrityCheck(ctx); err != nil {
		return fmt.Errorf("the copy failed its check: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s (integrity check ok)\n", rest[0])
	return nil
}
