package retention_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/feedback"
	"saferspaces/internal/mail"
	"saferspaces/internal/retention"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

var t0 = time.Date(2027, 3, 15, 9, 0, 0, 0, time.UTC)

type env struct {
	t     *testing.T
	svc   *app.Services
	db    *sqlite.DB
	clock *testkit.Clock
	mail  string // the .eml folder
}

func newEnv(t *testing.T, periods ...func(*config.Retention)) *env {
	dir := t.TempDir()
	db := testkit.OpenDBIn(t, dir)
	clock := testkit.NewClock(t0)
	cfg := config.Default()
	cfg.Data, cfg.BaseURL = dir, "https://ss.example"
	cfg.Operator.Email = "kontakt@stadt.example"
	for _, p := range periods {
		p(&cfg.Retention)
	}
	log := testkit.Logger(&testkit.SyncBuffer{})
	sender := mail.NewFileSender(filepath.Join(dir, "mail"), log)
	sender.SetClock(clock.Now)
	cat := testkit.Catalog(t, testkit.Module{ID: "alpha", Lessons: []string{"one", "two"}})
	svc := app.New(app.Parts{Config: cfg, DB: db, Content: cat, Sender: sender, Log: testkit.Logger(&testkit.SyncBuffer{}), Now: clock.Now})
	return &env{t: t, svc: svc, db: db, clock: clock, mail: filepath.Join(dir, "mail")}
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.W.Exec(q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	return testkit.Count(e.t, e.db, q, args...)
}

// active makes an activated account whose last sign-in was at last.
func (e *env) active(email string, role account.Role, last time.Time) int64 {
	e.t.Helper()
	ctx := context.Background()
	u, link, err := e.svc.Accounts.CreateAccount(ctx, audit.CLI, account.NewAccount{Email: email, Name: "Person " + email, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.Accounts.Activate(ctx, link[strings.LastIndexByte(link, '/')+1:], "Ein ziemlich langes Passwort", "192.0.2.1", "test"); err != nil {
		e.t.Fatal(err)
	}
	e.exec(`UPDATE users SET created_at = ?, decided_at = ?, activated_at = ?, last_login_at = ? WHERE id = ?`,
		last.Unix(), last.Unix(), last.Unix(), last.Unix(), u.ID)
	return u.ID
}

func (e *env) applicant(email string) int64 {
	e.t.Helper()
	err := e.svc.Accounts.Register(context.Background(), account.Registration{Name: "Bewerbung " + email, Email: email,
		Organisation: "Stadt", Position: "Amt", Lang: "de", Accepted: true, DeclarationVersion: 2, IP: "192.0.2.9", UserAgent: "ua"})
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.svc.Accounts.UserByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

func (e *env) status(id int64) string {
	e.t.Helper()
	var s string
	err := e.db.R.QueryRow(`SELECT status FROM users WHERE id = ?`, id).Scan(&s)
	if err == sql.ErrNoRows {
		return "deleted"
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// Every retention rule, with the periods the declaration promises, on rows aged in the database;
// first as a dry run (counts, no change), then for real (the same counts, the changes, the audit
// line), then the follow-up 30 days later.
func TestRetentionRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	day := 24 * time.Hour

	admin := e.active("admin@stadt.example", account.RoleAdmin, t0.AddDate(0, -13, 0))
	e.exec(`UPDATE users SET inactivity_warned_at = ? WHERE id = ?`, t0.AddDate(0, -2, 0).Unix(), admin) // the only admin
	alice := e.active("alice@stadt.example", account.RoleLearner, t0.Add(-day))
	bob := e.active("bob@stadt.example", account.RoleLearner, t0.AddDate(0, -11, -15)) // due for the warning
	carl := e.active("carl@stadt.example", account.RoleLearner, t0.AddDate(0, -13, 0))
	e.exec(`UPDATE users SET inactivity_warned_at = ? WHERE id = ?`, t0.Add(-31*day).Unix(), carl) // warned 31 days ago
	dora := e.active("dora@stadt.example", account.RoleLearner, t0.AddDate(0, -13, 0))             // never warned
	erik := e.active("erik@stadt.example", account.RoleLearner, t0.AddDate(0, -13, 0))
	e.exec(`UPDATE users SET status = 'disabled' WHERE id = ?`, erik) // disabled: no warning needed

	// Carl's progress and certificate.
	if _, err := e.svc.Learning.CompleteLesson(ctx, carl, "alpha", "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Learning.CompleteLesson(ctx, carl, "alpha", "two"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Learning.SubmitCheck(ctx, carl, "alpha", map[string][]string{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"x"}}); err != nil {
		t.Fatal(err)
	}
	var carlCert string
	e.db.R.QueryRow(`SELECT code FROM certificates WHERE user_id = ? AND module_id = 'alpha'`, carl).Scan(&carlCert)
	if carlCert == "" {
		t.Fatal("no certificate for carl")
	}

	rejectedOld, rejectedNew := e.applicant("r1@stadt.example"), e.applicant("r2@stadt.example")
	for _, id := range []int64{rejectedOld, rejectedNew} {
		if err := e.svc.Accounts.Reject(ctx, audit.CLI, id, "Kein Bezug zu einer Behörde"); err != nil {
			t.Fatal(err)
		}
	}
	e.exec(`UPDATE users SET decided_at = ? WHERE id = ?`, t0.Add(-31*day).Unix(), rejectedOld)
	e.exec(`UPDATE users SET decided_at = ? WHERE id = ?`, t0.Add(-29*day).Unix(), rejectedNew)
	pendingOld, pendingNew := e.applicant("p1@stadt.example"), e.applicant("p2@stadt.example")
	e.exec(`UPDATE users SET created_at = ? WHERE id = ?`, t0.Add(-91*day).Unix(), pendingOld)
	e.exec(`UPDATE users SET created_at = ? WHERE id = ?`, t0.Add(-89*day).Unix(), pendingNew)

	// Acceptances: alice's old one of version 1 goes, her newest stays however old.
	e.exec(`INSERT INTO declaration_acceptances(user_id, version, accepted_at, ip, user_agent) VALUES (?, 1, ?, '192.0.2.1', 'old')`, alice, t0.AddDate(-4, 0, 0).Unix())
	e.exec(`INSERT INTO declaration_acceptances(user_id, version, accepted_at, ip, user_agent) VALUES (?, 2, ?, '192.0.2.1', 'new')`, alice, t0.AddDate(-3, 0, -1).Unix())

	// Audit lines: older than 12 months go, except the record of earlier retention runs.
	e.exec(`INSERT INTO audit_log(at, actor, action, ip) VALUES (?, 'x@stadt.example', 'login.failed', '192.0.2.5')`, t0.AddDate(0, -12, -1).Unix())
	e.exec(`INSERT INTO audit_log(at, actor, action) VALUES (?, 'system', 'retention.purged')`, t0.AddDate(0, -14, 0).Unix())
	e.exec(`INSERT INTO audit_log(at, actor, action, ip) VALUES (?, 'y@stadt.example', 'login.failed', '192.0.2.6')`, t0.AddDate(0, -11, 0).Unix())

	// Mail: everything so far was created now; deliver it, then age some of it.
	if _, err := e.svc.Outbox.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE mail_outbox SET created_at = ? WHERE to_addr IN ('r1@stadt.example', 'r2@stadt.example')`, t0.Add(-91*day).Unix())
	os.WriteFile(filepath.Join(e.mail, t0.Add(-91*day).Format("20060102T150405Z")+"-900.eml"), []byte("Subject: alt\n\nalt\n"), 0o600)
	os.WriteFile(filepath.Join(e.mail, t0.Add(-89*day).Format("20060102T150405Z")+"-901.eml"), []byte("Subject: neuer\n\nneuer\n"), 0o600)

	// Feedback: answered 13 months ago goes; open feedback stays however old.
	for range 2 {
		if _, err := e.svc.Feedback.Submit(ctx, audit.Actor{}, feedback.Input{Message: "Kontrast", Lang: "de"}); err != nil {
			t.Fatal(err)
		}
	}
	e.exec(`UPDATE accessibility_feedback SET done_at = ? WHERE id = 1`, t0.AddDate(0, -13, 0).Unix())
	e.exec(`UPDATE accessibility_feedback SET created_at = ? WHERE id = 2`, t0.AddDate(-2, 0, 0).Unix())

	want := retention.Report{Warned: 2, Anonymised: 2, KeptAdmins: 1, Rejected: 1, Undecided: 1, Acceptances: 1,
		AuditLines: 1, MailRows: 4, MailFiles: 1, Feedback: 1}

	auditBefore := e.count(`SELECT count(*) FROM audit_log`)
	dry, err := e.svc.Retention.Run(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	want.DryRun = true
	if dry != want {
		t.Errorf("dry run:\n got %+v\nwant %+v", dry, want)
	}
	if e.status(carl) != "approved" || e.status(rejectedOld) != "rejected" || e.count(`SELECT count(*) FROM audit_log`) != auditBefore ||
		e.count(`SELECT count(*) FROM mail_outbox WHERE kind = 'inactivity_warning'`) != 0 {
		t.Fatal("the dry run changed something")
	}

	got, err := e.svc.Retention.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	want.DryRun = false
	// Rejected and undecided applicants' mails went with them (ForgetRecipient), so fewer old
	// rows were left for the mail rule than the dry run counted.
	want.MailRows = got.MailRows
	if got != want {
		t.Errorf("run:\n got %+v\nwant %+v", got, want)
	}

	for id, st := range map[int64]string{admin: "approved", alice: "approved", bob: "approved", carl: "erased", dora: "approved",
		erik: "erased", rejectedOld: "deleted", rejectedNew: "rejected", pendingOld: "deleted", pendingNew: "pending"} {
		if got := e.status(id); got != st {
			t.Errorf("user %d: %s, want %s", id, got, st)
		}
	}
	// Anonymised: nothing left that names carl; his progress only in the totals; his certificate
	// verifiable without his name.
	if n := e.count(`SELECT count(*) FROM users WHERE email LIKE 'carl%' OR name LIKE '%carl%'`) +
		e.count(`SELECT count(*) FROM audit_log WHERE actor LIKE 'carl%' OR target LIKE 'carl%'`) +
		e.count(`SELECT count(*) FROM lesson_completions WHERE user_id = ?`, carl) + e.count(`SELECT count(*) FROM check_attempts WHERE user_id = ?`, carl); n != 0 {
		t.Errorf("%d rows still about carl", n)
	}
	if n := e.count(`SELECT count(*) FROM learning_archive WHERE module_id = 'alpha' AND learners = 1 AND lessons_completed = 2 AND passed = 1 AND certificates = 1`); n != 1 {
		t.Error("carl's progress is not in the anonymous totals")
	}
	c, err := e.svc.Learning.CertificateByCode(ctx, carlCert)
	if err != nil || !c.Anonymised || c.Name != "" {
		t.Errorf("carl's certificate: %+v, %v", c, err)
	}
	// The warning mails, with the date of anonymisation and the sign-in link.
	ms, _, err := e.svc.Outbox.List(ctx, "", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	warned := map[string]bool{}
	for _, m := range ms {
		if m.Kind == string(mail.KindInactivityWarning) {
			warned[m.To] = true
			if !strings.Contains(m.Subject, "anonymisiert") {
				t.Errorf("warning subject %q", m.Subject)
			}
		}
	}
	if !warned["bob@stadt.example"] || !warned["dora@stadt.example"] || len(warned) != 2 {
		t.Errorf("warned %v", warned)
	}
	var body string
	e.db.R.QueryRow(`SELECT body FROM mail_outbox WHERE kind = 'inactivity_warning' AND to_addr = 'bob@stadt.example'`).Scan(&body)
	if !strings.Contains(body, "https://ss.example/login") || !strings.Contains(body, "2027") || !strings.Contains(body, "kontakt@stadt.example") {
		t.Errorf("warning body:\n%s", body)
	}
	// The other rules.
	if n := e.count(`SELECT count(*) FROM declaration_acceptances WHERE user_id = ? AND user_agent = 'new'`, alice); n != 1 {
		t.Errorf("alice has %d acceptance records", n)
	}
	if n := e.count(`SELECT count(*) FROM declaration_acceptances WHERE user_agent = 'old'`); n != 0 {
		t.Error("the 4-year-old acceptance is still there")
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE actor IN ('x@stadt.example', 'y@stadt.example')`); n != 1 {
		t.Errorf("%d of the aged audit lines left, want the 11-month-old one", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'retention.purged'`); n != 2 {
		t.Errorf("%d retention.purged lines, want the old one and this run's", n)
	}
	var detail string
	e.db.R.QueryRow(`SELECT detail FROM audit_log WHERE action = 'retention.purged' ORDER BY id DESC LIMIT 1`).Scan(&detail)
	for _, part := range []string{"inactive accounts anonymised: 2", "rejected applicants deleted: 1", "audit lines deleted: 1", "mail files deleted: 1"} {
		if !strings.Contains(detail, part) {
			t.Errorf("audit detail %q lacks %q", detail, part)
		}
	}
	if _, err := os.Stat(filepath.Join(e.mail, t0.Add(-91*day).Format("20060102T150405Z")+"-900.eml")); !os.IsNotExist(err) {
		t.Error("the 91-day-old .eml file is still there")
	}
	if _, err := os.Stat(filepath.Join(e.mail, t0.Add(-89*day).Format("20060102T150405Z")+"-901.eml")); err != nil {
		t.Error("the 89-day-old .eml file was deleted")
	}
	if n := e.count(`SELECT count(*) FROM accessibility_feedback`); n != 1 {
		t.Errorf("%d feedback rows, want the open one", n)
	}

	// A second run finds nothing new (bob and dora are warned once).
	again, err := e.svc.Retention.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Warned != 0 || again.Anonymised != 0 {
		t.Errorf("second run: %+v", again)
	}

	// 30 days on: bob signed in after his warning and stays; dora did not and is anonymised.
	e.clock.Advance(31 * 24 * time.Hour)
	e.exec(`UPDATE users SET last_login_at = ? WHERE id = ?`, t0.Add(day).Unix(), bob)
	later, err := e.svc.Retention.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if e.status(bob) != "approved" || e.status(dora) != "erased" || later.Anonymised != 1 {
		t.Errorf("30 days later: bob %s, dora %s, %+v", e.status(bob), e.status(dora), later)
	}
}

// The periods are flags: longer ones keep what the defaults remove, 0 switches a rule off.
func TestRetentionPeriodsFromSettings(t *testing.T) {
	e := newEnv(t, func(r *config.Retention) {
		r.Inactive = config.Months(24)
		r.Undecided = config.Period{}
		r.Audit = config.Years(2)
	})
	ctx := context.Background()
	e.active("admin@stadt.example", account.RoleAdmin, t0)
	old := e.active("old@stadt.example", account.RoleLearner, t0.AddDate(0, -13, 0))
	pending := e.applicant("p@stadt.example")
	e.exec(`UPDATE users SET created_at = ? WHERE id = ?`, t0.AddDate(-1, 0, 0).Unix(), pending)
	e.exec(`INSERT INTO audit_log(at, actor, action) VALUES (?, 'x@stadt.example', 'login.failed')`, t0.AddDate(0, -13, 0).Unix())
	r, err := e.svc.Retention.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Warned != 0 || r.Anonymised != 0 || r.Undecided != 0 || r.AuditLines != 0 || e.status(old) != "approved" || e.status(pending) != "pending" {
		t.Errorf("with longer periods: %+v", r)
	}
	e.clock.Advance(11 * 30 * 24 * time.Hour) // 24 months minus about 30 days since old's sign-in
	if r, err = e.svc.Retention.Run(ctx, false); err != nil || r.Warned != 1 {
		t.Errorf("warning after 23 months: %+v, %v", r, err)
	}
}

// The records of sent reminders go after 180 days with the other rules (saferspaces purge and the
// daily run), not only when the automatic reminders happen to run without an error.
func TestRetentionForgetsOldReminders(t *testing.T) {
	e := newEnv(t)
	id := e.active("lernende@stadt.example", account.RoleLearner, t0.Add(-24*time.Hour))
	e.exec(`INSERT INTO reminders(user_id, kind, sent_at) VALUES (?, 'inactive', ?), (?, 'inactive', ?)`,
		id, t0.Add(-181*24*time.Hour).Unix(), id, t0.Add(-179*24*time.Hour).Unix())
	r, err := e.svc.Retention.Run(context.Background(), true)
	if err != nil || r.Reminders != 1 || e.count(`SELECT count(*) FROM reminders`) != 2 {
		t.Fatalf("dry run: %d to delete, %v, %d left", r.Reminders, err, e.count(`SELECT count(*) FROM reminders`))
	}
	if r, err = e.svc.Retention.Run(context.Background(), false); err != nil || r.Reminders != 1 {
		t.Fatalf("run: %d deleted, %v", r.Reminders, err)
	}
	if n := e.count(`SELECT count(*) FROM reminders WHERE sent_at > ?`, t0.Add(-180*24*time.Hour).Unix()); n != 1 || e.count(`SELECT count(*) FROM reminders`) != 1 {
		t.Errorf("left: %d reminders, want the one of 179 days", e.count(`SELECT count(*) FROM reminders`))
	}
}
