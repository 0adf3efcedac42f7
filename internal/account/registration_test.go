package account_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// gate is a migrated database with an account service on a settable clock, for the registration
// and administration tests.
type gate struct {
	t     *testing.T
	db    *sqlite.DB
	svc   *account.Service
	clock *testkit.Clock
}

const gateBase = "https://training.example.org"

func newGate(t *testing.T) *gate {
	t.Helper()
	db := testkit.OpenDB(t)
	g := &gate{t: t, db: db, clock: testkit.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))}
	g.svc = account.New(db, g.clock.Now, func(p string) string { return gateBase + p }, testkit.Logger(io.Discard))
	return g
}

// user inserts an account directly, as `user create` or an earlier approval would have left it.
func (g *gate) user(email string, role account.Role, status account.Status, lang string) int64 {
	g.t.Helper()
	res, err := g.db.W.Exec(`INSERT INTO users(email, name, organisation, position, lang, role, status, created_at)
		VALUES(?, ?, 'Stadt Musterstadt', 'Ordnungsamt', ?, ?, ?, ?)`, email, "Name of "+email, lang, role, status, g.clock.Now().Unix())
	if err != nil {
		g.t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

func (g *gate) count(query string, args ...any) int {
	g.t.Helper()
	return testkit.Count(g.t, g.db, query, args...)
}

type outboxMail struct {
	ID                      int64
	To, Lang, Kind, Subject string
	Body, Status            string
}

func (g *gate) mails(kind string) []outboxMail {
	g.t.Helper()
	rows, err := g.db.R.Query(`SELECT id, to_addr, lang, kind, subject, body, status FROM mail_outbox WHERE kind = ? ORDER BY id`, kind)
	if err != nil {
		g.t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxMail
	for rows.Next() {
		var m outboxMail
		if err := rows.Scan(&m.ID, &m.To, &m.Lang, &m.Kind, &m.Subject, &m.Body, &m.Status); err != nil {
			g.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func (g *gate) auditActions(targetID int64) []string {
	g.t.Helper()
	rows, err := g.db.R.Query(`SELECT action FROM audit_log WHERE target_id = ? ORDER BY id`, targetID)
	if err != nil {
		g.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		rows.Scan(&a)
		out = append(out, a)
	}
	return out
}

func (g *gate) register(email string, mod ...func(*account.Registration)) error {
	r := account.Registration{Name: "Erika Muster", Email: email, Organisation: "Stadt Musterstadt, Ordnungsamt",
		Position: "Sachgebietsleitung", Lang: "de", Accepted: true, DeclarationVersion: 2, IP: "192.0.2.7", UserAgent: "Firefox/140"}
	for _, m := range mod {
		m(&r)
	}
	return g.svc.Register(context.Background(), r)
}

func TestRegisterStoresApplicantAcceptanceAndMail(t *testing.T) {
	g := newGate(t)
	g.user("admin-de@example.org", account.RoleAdmin, account.StatusApproved, "de")
	g.user("admin-en@example.org", account.RoleAdmin, account.StatusApproved, "en")
	g.user("disabled-admin@example.org", account.RoleAdmin, account.StatusDisabled, "de")
	g.user("trainer@example.org", account.RoleTrainer, account.StatusApproved, "de")

	if err := g.register(" erika@example.org ", func(r *account.Registration) { r.Lang = "en"; r.CohortCode = "NOPE-1" }); err != nil {
		t.Fatal(err)
	}
	u, err := g.svc.UserByEmail(t.Context(), "ERIKA@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != account.StatusPending || u.Role != account.RoleLearner || u.Lang != "en" || u.RequestedCohort != "NOPE-1" || u.PasswordHash != "" {
		t.Errorf("applicant = %+v", u)
	}
	acc, err := g.svc.Acceptances(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(acc) != 1 || acc[0].Version != 2 || acc[0].IP != "192.0.2.7" || acc[0].UserAgent != "Firefox/140" || !acc[0].AcceptedAt.Equal(g.clock.Now()) {
		t.Errorf("acceptances = %+v", acc)
	}

	received := g.mails(string(mail.KindRegistrationReceived))
	if len(received) != 1 || received[0].To != "erika@example.org" || received[0].Lang != "en" || received[0].Status != mail.StatusPending {
		t.Errorf("received mails = %+v", received)
	}
	news := g.mails(string(mail.KindRegistrationNew))
	if len(news) != 2 {
		t.Fatalf("new-registration mails = %+v, want one per approved admin", news)
	}
	for i, want := range []struct{ to, lang string }{{"admin-de@example.org", "de"}, {"admin-en@example.org", "en"}} {
		m := news[i]
		if m.To != want.to || m.Lang != want.lang || !strings.Contains(m.Body, gateBase+"/admin/registrations") ||
			!strings.Contains(m.Body, "erika@example.org") {
			t.Errorf("mail %d = %+v", i, m)
		}
	}
	if got := g.auditActions(u.ID); len(got) != 1 || got[0] != "registration.received" {
		t.Errorf("audit = %v", got)
	}

	apps, _, err := g.svc.PendingRegistrations(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || !apps[0].UnknownCohortCode() || apps[0].Acceptance.IP != "192.0.2.7" || apps[0].Organisation != "Stadt Musterstadt, Ordnungsamt" {
		t.Errorf("pending = %+v", apps)
	}
}

func TestRegisterKnownAddressChangesNothing(t *testing.T) {
	g := newGate(t)
	id := g.user("known@example.org", account.RoleTrainer, account.StatusApproved, "de")
	before, _ := g.svc.UserByID(t.Context(), id)

	err := g.register("KNOWN@example.org", func(r *account.Registration) { r.Name = "Someone Else"; r.Lang = "en" })
	if err != nil {
		t.Fatalf("a known address must look like a normal registration, got %v", err)
	}
	after, _ := g.svc.UserByID(t.Context(), id)
	if *before != *after {
		t.Errorf("account changed:\n%+v\n%+v", before, after)
	}
	if n := g.count(`SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
	if n := g.count(`SELECT count(*) FROM mail_outbox`); n != 0 {
		t.Errorf("%d mails queued, want none", n)
	}
	if n := g.count(`SELECT count(*) FROM declaration_acceptances`); n != 0 {
		t.Errorf("%d acceptances recorded for a duplicate", n)
	}
	if got := g.auditActions(id); len(got) != 1 || got[0] != "registration.duplicate" {
		t.Errorf("audit = %v", got)
	}
}

func TestRegisterRefusesStaleDeclarationAndBadInput(t *testing.T) {
	g := newGate(t)
	if _, err := g.svc.PublishDeclaration(t.Context(), audit.CLI, map[i18n.Lang]string{"de": "Neu", "en": "New"}); err != nil {
		t.Fatal(err)
	}
	err := g.register("a@example.org") // the form still showed version 2
	if !errors.Is(err, account.ErrStaleDeclaration) || !errs.Is(err, errs.Conflict) {
		t.Errorf("stale version: err = %v", err)
	}
	for name, mod := range map[string]func(*account.Registration){
		"no name":         func(r *account.Registration) { r.Name = " " },
		"bad email":       func(r *account.Registration) { r.Email = "Erika <a@example.org>" },
		"bad language":    func(r *account.Registration) { r.Lang = "xx" },
		"long code":       func(r *account.Registration) { r.CohortCode = strings.Repeat("x", 65) },
		"no position":     func(r *account.Registration) { r.Position = "" },
		"long name":       func(r *account.Registration) { r.Name = strings.Repeat("ä", 201) },
		"no organisation": func(r *account.Registration) { r.Organisation = "x" },
		"not accepted":    func(r *account.Registration) { r.Accepted = false },
		"name with lines": func(r *account.Registration) { r.Name = "Erika\n\nBcc: x@example.org" },
		"bidi override":   func(r *account.Registration) { r.Position = "Leitung \u202Egnutiel" },
		"invalid UTF-8":   func(r *account.Registration) { r.Organisation = "Stadt \xff" },
	} {
		err := g.register("b@example.org", func(r *account.Registration) { r.DeclarationVersion = 3; mod(r) })
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: err = %v, want Invalid", name, err)
		}
	}
	if n := g.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users stored from refused registrations", n)
	}
	if err := g.register("c@example.org", func(r *account.Registration) { r.DeclarationVersion = 3 }); err != nil {
		t.Errorf("current version: %v", err)
	}
}

// SMTP being down must never lose a registration: it is committed, and its mail waits.
func TestRegistrationSurvivesMailOutage(t *testing.T) {
	g := newGate(t)
	if err := g.register("erika@example.org"); err != nil {
		t.Fatal(err)
	}
	down := senderFunc(func(context.Context, mail.Message, int64) error { return errors.New("dial tcp: connection refused") })
	ob := mail.NewOutbox(g.db, down, testkit.Logger(io.Discard), g.clock.Now)
	if _, err := ob.DeliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := g.svc.UserByEmail(t.Context(), "erika@example.org"); err != nil {
		t.Errorf("registration lost: %v", err)
	}
	m := g.mails(string(mail.KindRegistrationReceived))
	if len(m) != 1 || m[0].Status != mail.StatusPending || m[0].Body == "" {
		t.Errorf("mail = %+v, want pending with its body", m)
	}
	var attempts int
	var lastErr string
	g.db.R.QueryRow(`SELECT attempts, last_error FROM mail_outbox WHERE id = ?`, m[0].ID).Scan(&attempts, &lastErr)
	if attempts != 1 || !strings.Contains(lastErr, "connection refused") {
		t.Errorf("attempts %d, last error %q", attempts, lastErr)
	}
}

type senderFunc func(ctx context.Context, m mail.Message, id int64) error

func (f senderFunc) Send(ctx context.Context, m mail.Message, id int64) error { return f(ctx, m, id) }

func TestDeclarationVersions(t *testing.T) {
	g := newGate(t)
	cur, err := g.svc.CurrentDeclaration(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Version 2 (migrations/00014) is the text reconciled with the retention rules, in all four
	// languages.
	if cur.Version != 2 || !strings.Contains(cur.Text("de"), "Art. 21 DSGVO") || !strings.Contains(cur.Text("en"), "Art. 21 GDPR") ||
		!strings.Contains(cur.Text("fr"), "12 mois") || !strings.Contains(cur.Text("it"), "12 mesi") || !strings.Contains(cur.Text("de"), "30 Tage vorher") {
		t.Fatalf("shipped declaration = v%d", cur.Version)
	}
	if p := cur.Paragraphs("en"); len(p) < 8 || !strings.HasPrefix(p[1][0], "1. ") {
		t.Errorf("paragraphs = %q", p)
	}
	for _, texts := range [][2]string{{"", "x"}, {"x", " \n "}} {
		if _, err := g.svc.PublishDeclaration(t.Context(), audit.CLI, map[i18n.Lang]string{"de": texts[0], "en": texts[1]}); !errs.Is(err, errs.Invalid) {
			t.Errorf("publish %q: err = %v", texts, err)
		}
	}
	learner := g.user("l@example.org", account.RoleLearner, account.StatusApproved, "de")
	d2, err := g.svc.PublishDeclaration(t.Context(), audit.Actor{Email: "cli", IP: "203.0.113.1"},
		map[i18n.Lang]string{"de": "Fassung 3\r\n\r\nText", "en": "Version 3"})
	if err != nil {
		t.Fatal(err)
	}
	if d2.Version != 3 || d2.Text("de") != "Fassung 3\n\nText" || d2.Text("fr") != "Version 3" {
		t.Errorf("published %+v", d2)
	}
	if err := g.svc.AcceptDeclaration(t.Context(), learner, 2, "ip", "ua"); !errs.Is(err, errs.Conflict) {
		t.Errorf("accepting an old version: err = %v", err)
	}
	for range 2 {
		if err := g.svc.AcceptDeclaration(t.Context(), learner, 3, "198.51.100.4", "Edge"); err != nil {
			t.Fatal(err)
		}
	}
	list, err := g.svc.Declarations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Version != 3 || list[0].Acceptances != 1 || list[1].Acceptances != 0 {
		t.Errorf("declarations = %+v", list)
	}
	if got := g.auditActions(learner); len(got) != 1 || got[0] != "declaration.accepted" {
		t.Errorf("audit = %v", got)
	}
}
