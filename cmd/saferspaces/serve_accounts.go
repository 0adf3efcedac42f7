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
	"saferspaces/internal/config"
	"saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
)

// gate is the account side of a running server: the account service, the session store and the
// mail outbox, with the background workers that belong to them.
type gate struct {
	acc      *account.Service
	sessions *account.SessionStore
	outbox   *mail.Outbox
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// cleanupInterval is how often expired sessions, old sign-in failures and used tokens are deleted.
const cleanupInterval = 10 * time.Minute

// startGate builds the gate for serve and starts the mail worker (SMTP with --smtp-url, else .eml
// files in DATA/mail) and the cleanup. With --demo it first creates the demo accounts and prints
// their passwords. Call Stop before closing the database.
func startGate(ctx context.Context, cfg config.Config, db *sqlite.DB, keys account.SessionKeys, log *slog.Logger, stdout io.Writer) (*gate, error) {
	if err := mail.CheckTemplates(); err != nil {
		return nil, err
	}
	var sender mail.Sender
	if cfg.SMTPURL != "" {
		s, err := mail.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, err
		}
		sender = s
	} else {
		fs := mail.NewFileSender(filepath.Join(cfg.Data, "mail"), log)
		fs.From = cfg.MailFrom
		sender = fs
		log.Info("no --smtp-url: e-mails are written as .eml files", "folder", fs.Dir)
	}
	g := &gate{
		acc:      account.New(db, time.Now, cfg.Link, log),
		sessions: account.NewSessionStore(db, time.Now, keys, cfg.Secure(), log),
		outbox:   mail.NewOutbox(db, sender, log, time.Now),
	}
	if cfg.Demo {
		if err := printDemo(ctx, g.acc, stdout); err != nil {
			return nil, err
		}
	}
	ctx, g.stop = context.WithCancel(ctx)
	g.wg.Go(func() { g.outbox.Run(ctx) })
	g.wg.Go(func() { g.acc.RunCleanup(ctx, cleanupInterval) })
	return g, nil
}

// Stop ends the workers and waits for them.
func (g *gate) Stop() {
	g.stop()
	g.wg.Wait()
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
