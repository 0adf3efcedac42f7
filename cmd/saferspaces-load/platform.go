package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/web"
	"saferspaces/modules"
)

// platform is the whole saferspaces server, wired as serve wires it, on a temp data folder and a
// loopback port of its own.
type platform struct {
	base   string
	data   string
	db     *sqlite.DB
	svc    *app.Services
	cat    *content.Catalog
	stop   context.CancelFunc
	done   chan error
	cohort int64
}

// learnerPassword is the one password of every seeded account (hashed once, see SeedActive).
const learnerPassword = "Lastprobe im Rathaus 2026"

func startPlatform(ctx context.Context, dir string) (*platform, error) {
	data := filepath.Join(dir, "data")
	db, err := sqlite.Open(ctx, data)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	cat, err := content.Load(modules.FS)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Data, cfg.BaseURL = data, "http://"+ln.Addr().String()
	// The tool is one client standing in for many: registrations name their own client address
	// through the trusted proxy header, and the hourly mail cap is lifted, so the abuse limits on
	// public forms (which the platform's tests check) do not turn the measurement into 429s.
	cfg.TrustedProxies, cfg.MailHourlyCap = "127.0.0.1,::1", math.MaxInt32
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sender := mail.NewFileSender(filepath.Join(data, "mail"), log)
	svc := app.New(app.Parts{Config: cfg, DB: db, Content: cat, Sender: sender, Log: log})
	keys, err := web.LoadOrCreateKeys(data)
	if err != nil {
		return nil, err
	}
	srv, err := web.New(web.Deps{Config: cfg, Log: log, Ready: db.Ping, Keys: keys, Services: svc})
	if err != nil {
		return nil, err
	}
	p := &platform{base: cfg.BaseURL, data: data, db: db, svc: svc, cat: cat, done: make(chan error, 1)}
	sctx, stop := context.WithCancel(ctx)
	p.stop = stop
	go func() { p.done <- srv.Serve(sctx, ln) }()
	// The mail worker runs as in serve: registrations and certificates queue mail.
	go svc.Outbox.Run(sctx)
	return p, nil
}

func (p *platform) close() {
	p.stop()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
	}
	p.db.Close()
}

// seed creates n learners (in a cohort), a trainer leading the cohort and an admin, all active
// with learnerPassword. It returns the learners' addresses.
func (p *platform) seed(ctx context.Context, n int) ([]string, error) {
	acc := p.svc.Accounts
	c, err := acc.CreateCohort(ctx, audit.CLI, "Lastprobe", "")
	if err != nil {
		return nil, err
	}
	p.cohort = c.ID
	var all []account.NewAccount
	var emails []string
	for i := range n {
		e := fmt.Sprintf("lernende%05d@stadt.example", i)
		emails = append(emails, e)
		all = append(all, account.NewAccount{Email: e, Name: fmt.Sprintf("Lernende %05d", i), Organisation: "Ordnungsamt", Cohort: c.Name})
	}
	all = append(all,
		account.NewAccount{Email: "trainerin@stadt.example", Name: "Trainerin Last", Role: account.RoleTrainer, Cohort: c.Name},
		account.NewAccount{Email: "admin@stadt.example", Name: "Admin Last", Role: account.RoleAdmin})
	if _, err := acc.SeedActive(ctx, audit.CLI, all, learnerPassword); err != nil {
		return nil, err
	}
	return emails, nil
}

// growUsers adds approved accounts until the platform has total users, for the registration
// scenario at 1,000 and 10,000 users.
func (p *platform) growUsers(ctx context.Context, total int) error {
	n, err := p.countUsers(ctx)
	if err != nil || n >= total {
		return err
	}
	var rows []account.NewAccount
	for i := range total - n {
		rows = append(rows, account.NewAccount{Email: fmt.Sprintf("bestand%06d-%d@stadt.example", i, total), Name: fmt.Sprintf("Bestand %06d", i)})
	}
	_, err = p.svc.Accounts.SeedActive(ctx, audit.CLI, rows, learnerPassword)
	return err
}

func (p *platform) countUsers(ctx context.Context) (int, error) {
	_, total, err := p.svc.Accounts.SearchUsers(ctx, account.UserQuery{Limit: 1})
	return total, err
}

func removeAll(dir string) { os.RemoveAll(dir) }
