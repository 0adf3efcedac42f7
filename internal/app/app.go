// Package app builds the platform's services from their parts. The server and the command line
// use it, and so do the web tests, so that what is tested is wired the way it runs.
package app

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/internal/feedback"
	"saferspaces/internal/learning"
	"saferspaces/internal/legal"
	"saferspaces/internal/library"
	"saferspaces/internal/mail"
	"saferspaces/internal/remind"
	"saferspaces/internal/report"
	"saferspaces/internal/retention"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/xapi"
)

// Services are the feature services of one running platform.
type Services struct {
	Content   *content.Catalog
	Accounts  *account.Service
	Learning  *learning.Service
	Library   *library.Service
	Reports   *report.Service
	Remind    *remind.Service
	Outbox    *mail.Outbox
	Audit     *audit.Trail
	XAPI      *xapi.Service
	Legal     *legal.Pages       // operator, imprint, privacy notice, accessibility statement
	Feedback  *feedback.Service  // accessibility feedback
	Retention *retention.Service // the retention rules (purge)
}

// Parts are what the services are built from.
type Parts struct {
	Config  config.Config // BaseURL must be set: it is the root of every link the platform makes
	DB      *sqlite.DB
	Content *content.Catalog
	Sender  mail.Sender // nil: mail waits in the outbox (tests that read the outbox table)
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
	// Legal are the legal pages with the operator's own files (legal.New with --legal); nil: the
	// built-in pages filled from Config.
	Legal *legal.Pages
}

// New builds the services. It starts nothing: the mail worker, the cleanup, the retention runs
// and the daily reminders are the caller's to run (Outbox.Run, Accounts.RunCleanup,
// Retention.RunDaily, Remind.Run), and so is bringing the progress summaries up to date with the
// content (Learning.RefreshSummaries).
func New(p Parts) *Services {
	now := p.Now
	if now == nil {
		now = time.Now
	}
	cfg := p.Config
	contact := cfg.Operator.Email
	acc := account.New(p.DB, now, cfg.Link, p.Log)
	acc.SetContact(contact)
	acc.UseKeyFile(filepath.Join(cfg.Data, account.KeyFile))
	learn := learning.New(p.DB, p.Content, now)
	learn.MailCertificates(cfg.Link, contact)
	// Learning events become stored xAPI statements in their own transaction.
	records := xapi.New(p.DB, p.Content, cfg.BaseURL, now)
	learn.RecordWith(records)
	outbox := mail.NewOutbox(p.DB, p.Sender, p.Log, now)
	fb := feedback.New(p.DB, now, cfg.Location(), cfg.Link, contact)
	pages := p.Legal
	if pages == nil {
		pages = legal.Builtin(cfg.Operator, cfg.Retention, cfg.BaseURL)
	}
	// Erasure reaches what other packages keep about a person: learning progress becomes anonymous
	// totals, the learning records get their voiding statements, feedback sent from the address
	// goes, and so do the .eml copies of their mail.
	acc.OnErase(func(ctx context.Context, tx *sql.Tx, e account.Erased) error {
		if err := learning.Archive(ctx, tx, e.ID); err != nil {
			return err
		}
		if err := records.VoidUser(ctx, tx, e.ID, now()); err != nil {
			return err
		}
		return feedback.Forget(ctx, tx, e.Email)
	}, func(ctx context.Context, e account.Erased) {
		if _, err := outbox.ForgetFiles(ctx, e.Email, e.Name); err != nil {
			p.Log.Error("erasure: mail files", "user", e.ID, "err", err)
		}
	})
	reports := report.New(p.DB, acc, learn, now, cfg.Location())
	return &Services{
		Content:   p.Content,
		Accounts:  acc,
		Learning:  learn,
		Library:   library.New(p.Content, learning.Platform, cfg.Link, now),
		Reports:   reports,
		Remind:    remind.New(p.DB, acc, reports, now, cfg.Link, cfg.Location(), p.Log),
		Outbox:    outbox,
		Audit:     audit.NewTrail(p.DB.R),
		XAPI:      records,
		Legal:     pages,
		Feedback:  fb,
		Retention: retention.New(p.DB, acc, outbox, fb, cfg.Retention, cfg.Location(), now, p.Log),
	}
}
