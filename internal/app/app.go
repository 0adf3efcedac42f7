// Package app builds the platform's services from their parts. The server and the command line
// use it, and so do the web tests, so that what is tested is wired the way it runs.
package app

import (
	"log/slog"
	"path/filepath"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/internal/learning"
	"saferspaces/internal/library"
	"saferspaces/internal/mail"
	"saferspaces/internal/report"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/xapi"
)

// Services are the feature services of one running platform.
type Services struct {
	Content  *content.Catalog
	Accounts *account.Service
	Learning *learning.Service
	Library  *library.Service
	Reports  *report.Service
	Outbox   *mail.Outbox
	Audit    *audit.Trail
	XAPI     *xapi.Service
}

// Parts are what the services are built from.
type Parts struct {
	Config  config.Config // BaseURL must be set: it is the root of every link the platform makes
	DB      *sqlite.DB
	Content *content.Catalog
	Sender  mail.Sender // nil: mail waits in the outbox (tests that read the outbox table)
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// New builds the services. It starts nothing: the mail worker and the cleanup are the caller's
// to run (Outbox.Run, Accounts.RunCleanup).
func New(p Parts) *Services {
	now := p.Now
	if now == nil {
		now = time.Now
	}
	acc := account.New(p.DB, now, p.Config.Link, p.Log)
	acc.UseKeyFile(filepath.Join(p.Config.Data, account.KeyFile))
	learn := learning.New(p.DB, p.Content, now)
	learn.MailCertificates(p.Config.Link)
	// Learning events become stored xAPI statements in their own transaction; an erasure voids them.
	records := xapi.New(p.DB, p.Content, p.Config.BaseURL, now)
	learn.RecordWith(records)
	acc.OnErase(records.VoidUser)
	return &Services{
		Content:  p.Content,
		Accounts: acc,
		Learning: learn,
		Library:  library.New(p.Content, learning.Platform, p.Config.Link, now),
		Reports:  report.New(acc, learn, now, p.Config.Location()),
		Outbox:   mail.NewOutbox(p.DB, p.Sender, p.Log, now),
		Audit:    audit.NewTrail(p.DB.R),
		XAPI:     records,
	}
}
