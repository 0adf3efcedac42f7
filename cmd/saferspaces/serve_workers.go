package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/config"
	"saferspaces/internal/mail"
)

// cleanupInterval is how often expired sessions, old sign-in failures and used tokens are deleted.
const cleanupInterval = 10 * time.Minute

// mailSender is SMTP with --smtp-url, else .eml files in DATA/mail.
func mailSender(cfg config.Config, log *slog.Logger) (mail.Sender, error) {
	if err := mail.CheckTemplates(); err != nil {
		return nil, err
	}
	if cfg.SMTPURL != "" {
		return mail.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom)
	}
	fs := mail.NewFileSender(filepath.Join(cfg.Data, "mail"), log)
	fs.From = cfg.MailFrom
	log.Info("no --smtp-url: e-mails are written as .eml files", "folder", fs.Dir)
	return fs, nil
}

// startWorkers runs the background work of a serving platform — the mail worker, the cleanup and,
// with an LRS, the sender of learning records —
// until ctx ends or the returned stop is called, which waits for them. Call it before closing the
// database.
func startWorkers(ctx context.Context, svc *app.Services) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { svc.Outbox.Run(ctx) })
	wg.Go(func() { svc.Accounts.RunCleanup(ctx, cleanupInterval) })
	if svc.XAPI.Sending() {
		wg.Go(func() { svc.XAPI.Run(ctx) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// printDemo creates the demo accounts (once) and prints each new password, the only time it is shown.
func printDemo(ctx context.Context, acc *account.Service, stdout io.Writer) error {
	demo, err := acc.EnsureDemo(ctx)
	if err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	for _, d := range demo {
		if d.Existed {
			fmt.Fprintf(stdout, "demo %s: %s exists already (password unchanged)\n", d.Role, d.Email)
			continue
		}
		fmt.Fprintf(stdout, "demo %s: %s password: %s\n", d.Role, d.Email, d.Password)
	}
	fmt.Fprintf(stdout, "demo cohort: %s (join code %s)\n", account.DemoCohortName, account.DemoCohortCode)
	return nil
}
