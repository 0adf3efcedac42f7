package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"saferspaces/internal/app"
	"saferspaces/internal/config"
	"saferspaces/internal/retention"
)

// cmdPurge runs the retention rules once, as serve does every day, and prints what it removed
// (with --dry-run: what it would remove, changing nothing). Mail it queues (inactivity warnings)
// waits in the outbox for the next serve; without --smtp-url that serve writes it to DATA/mail.
func cmdPurge(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	var dryRun bool
	rest, err := parseFlags("purge", "purge [--dry-run] [--data DIR] [--retain-… PERIOD]", args, getenv, stderr, func(fs *flag.FlagSet) {
		cfg.PurgeFlags(fs)
		fs.BoolVar(&dryRun, "dry-run", false, "only count what would be removed; change nothing")
		fs.StringVar(&cfg.TimeZone, "timezone", cfg.TimeZone, "IANA time `zone` of the dates in warning e-mails")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(stderr, "purge takes no arguments, got %q", rest)
	}
	if err := cfg.Validate(); err != nil {
		return usageError(stderr, "purge: %v", err)
	}
	db, _, err := openExistingDB(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := resolveBaseURL(ctx, &cfg, db, stderr, "the links in warning e-mails point"); err != nil {
		return err
	}
	log := newLogger(stderr)
	// The .eml folder is the file sender's: purge reaches it through the same sender serve uses
	// without SMTP. With SMTP configured there are no files, and the folder is simply empty.
	sender, err := mailSender(cfg, log)
	if err != nil {
		return err
	}
	svc := app.New(app.Parts{Config: cfg, DB: db, Content: nil, Sender: sender, Log: log, Now: time.Now})
	bar := newProgress(stderr, "purge", "")
	r, err := svc.Retention.RunShowing(ctx, dryRun, func(n int, name string) {
		bar.Step(int64(n), retention.Steps, name)
	})
	bar.Done()
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	fmt.Fprintf(stdout, "retention (%s):\n", verb)
	for _, l := range r.Lines() {
		fmt.Fprintln(stdout, "  "+l)
	}
	if err != nil {
		return fmt.Errorf("purge stopped: %w", err)
	}
	return nil
}
