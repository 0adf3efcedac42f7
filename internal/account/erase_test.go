package account_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
)

func TestEraseRemovesPersonalData(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	cohort, err := g.svc.CreateCohort(t.Context(), audit.CLI, "Kohorte Süd", "SUED")
	if err != nil {
		t.Fatal(err)
	}
	id := g.pending("erika.muster@example.org")
	if err := g.svc.Approve(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org", IP: "203.0.113.9"}, id, cohort.ID); err != nil {
		t.Fatal(err)
	}
	if err := g.svc.ResendCredential(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id); err != nil {
		t.Fatal(err)
	}
	// A session and a failed sign-in, as they would exist for an active user.
	g.db.W.Exec(`INSERT INTO sessions(id_hash, user_id, created_at, last_seen_at, expires_at) VALUES(x'01', ?, 1, 1, 9999999999)`, id)
	g.db.W.Exec(`INSERT INTO login_failures(email, ip, at) VALUES('erika.muster@example.org', '192.0.2.7', 1)`)
	// The admins' "new registration" mail went out: its subject still names the applicant.
	g.db.W.Exec(`UPDATE mail_outbox SET status = 'sent', body = '' WHERE kind = 'registration_new'`)
	// An event where the user is the actor.
	audit.Record(t.Context(), g.db.W, audit.Event{At: g.clock.Now(), ActorID: id, Actor: "erika.muster@example.org", Action: "login.ok", IP: "192.0.2.7"})
	// Failed and throttled sign-ins name only the address that was typed, without the user's id.
	audit.Record(t.Context(), g.db.W, audit.Event{At: g.clock.Now(), Actor: "Erika.Muster@example.org", Action: "login.throttled", IP: "192.0.2.7"})

	if err := g.svc.Erase(t.Context(), audit.Actor{ID: id, Email: "erika.muster@example.org"}, id); !errors.Is(err, account.ErrOwnAccount) {
		t.Errorf("self-erasure: err = %v", err)
	}
	if err := g.svc.Erase(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org", IP: "203.0.113.9"}, id); err != nil {
		t.Fatal(err)
	}

	u, err := g.svc.UserByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("erased-%d@erased.invalid", id)
	if u.Status != account.StatusErased || u.Email != want || u.Name != "—" || u.Organisation != "" || u.Position != "" ||
		u.PasswordHash != "" || u.RequestedCohort != "" || u.CohortID != 0 {
		t.Errorf("erased user = %+v", u)
	}
	for _, q := range []string{
		`SELECT count(*) FROM sessions WHERE user_id = ?`,
		`SELECT count(*) FROM tokens WHERE user_id = ?`,
		`SELECT count(*) FROM cohort_members WHERE user_id = ?`,
		`SELECT count(*) FROM declaration_acceptances WHERE user_id = ? AND (ip <> '' OR user_agent <> '')`,
	} {
		if n := g.count(q, id); n != 0 {
			t.Errorf("%s: %d rows left", q, n)
		}
	}
	if n := g.count(`SELECT count(*) FROM declaration_acceptances WHERE user_id = ? AND version = 2`, id); n != 1 {
		t.Error("acceptance record (proof of the declaration) was removed")
	}
	// The person's address and name are gone from everywhere: users, audit log, outbox, failures.
	for _, needle := range []string{"erika.muster", "Erika Muster"} {
		like := "%" + needle + "%"
		for _, q := range []string{
			`SELECT count(*) FROM users WHERE email LIKE ?1 OR name LIKE ?1`,
			`SELECT count(*) FROM audit_log WHERE actor LIKE ?1 OR target LIKE ?1 OR detail LIKE ?1`,
			`SELECT count(*) FROM mail_outbox WHERE to_addr LIKE ?1 OR subject LIKE ?1 OR body LIKE ?1`,
			`SELECT count(*) FROM login_failures WHERE email LIKE ?1`,
		} {
			if n := g.count(q, like); n != 0 {
				t.Errorf("%q still found by %s", needle, q)
			}
		}
	}
	// The trail is kept, pseudonymised.
	events, _, err := audit.List(t.Context(), g.db.R, fmt.Sprintf("user #%d", id), 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	got := strings.Join(actions, " ")
	for _, a := range []string{"user.erased", "login.ok", "registration.approved", "registration.received"} {
		if !strings.Contains(got, a) {
			t.Errorf("pseudonymised trail %q lacks %s", got, a)
		}
	}
	if n := g.count(`SELECT count(*) FROM mail_outbox WHERE kind = 'registration_new' AND subject LIKE ?`, fmt.Sprintf("%%user #%d%%", id)); n != 1 {
		t.Error("sent admin mail not pseudonymised")
	}
	if err := g.svc.Erase(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id); !errors.Is(err, account.ErrWrongStatus) {
		t.Errorf("erasing twice: err = %v", err)
	}
	// The address is free again for a new registration.
	if err := g.register("erika.muster@example.org"); err != nil {
		t.Fatal(err)
	}
	if n := g.count(`SELECT count(*) FROM users WHERE email = 'erika.muster@example.org' AND status = 'pending'`); n != 1 {
		t.Error("re-registration after erasure not stored")
	}
}

func TestEraseKeepsLastAdmin(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	if err := g.svc.Erase(t.Context(), audit.CLI, admin); !errors.Is(err, account.ErrLastAdmin) {
		t.Errorf("erasing the last admin: err = %v", err)
	}
	second := g.user("admin2@example.org", account.RoleAdmin, account.StatusApproved, "de")
	if err := g.svc.Erase(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, second); err != nil {
		t.Errorf("erasing one of two admins: %v", err)
	}
	if err := g.svc.Erase(t.Context(), audit.CLI, admin); !errors.Is(err, account.ErrLastAdmin) {
		t.Errorf("erasing the remaining admin: err = %v", err)
	}
}

// A purged applicant's row id is given to the next person who registers (SQLite reuses the
// highest id); the audit lines about the applicant stay as "applicant #ID" text but must not show
// in the newcomer's data export.
func TestPurgedApplicantsLinesStayOutOfTheNextExport(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	if err := g.register("erste@stadt.example", func(r *account.Registration) { r.IP = "203.0.113.66" }); err != nil {
		t.Fatal(err)
	}
	var first int64
	if err := g.db.R.QueryRow(`SELECT id FROM users WHERE email = 'erste@stadt.example'`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if err := g.svc.Reject(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, first, "keine Behörde"); err != nil {
		t.Fatal(err)
	}
	g.clock.Advance(24 * time.Hour)
	if n, _, err := g.svc.PurgeApplicants(t.Context(), g.clock.Now(), time.Time{}, false); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	if err := g.register("zweite@stadt.example", func(r *account.Registration) { r.IP = "198.51.100.2" }); err != nil {
		t.Fatal(err)
	}
	var second int64
	if err := g.db.R.QueryRow(`SELECT id FROM users WHERE email = 'zweite@stadt.example'`).Scan(&second); err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Logf("the id was not reused (%d, then %d): the test shows nothing on this SQLite", first, second)
	}
	exp, err := g.svc.ExportUser(t.Context(), second)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exp.SecurityEvents {
		if strings.Contains(fmt.Sprint(e), "203.0.113.66") || strings.Contains(fmt.Sprint(e), "applicant #") || strings.Contains(fmt.Sprint(e), "rejected") {
			t.Errorf("the newcomer's export shows the purged applicant's line: %+v", e)
		}
	}
	if len(exp.SecurityEvents) == 0 {
		t.Error("the newcomer's export lacks their own registration")
	}
	if n := g.count(`SELECT count(*) FROM audit_log WHERE target = ? OR actor = ?`, fmt.Sprintf("applicant #%d", first), fmt.Sprintf("applicant #%d", first)); n == 0 {
		t.Error("the audit log lost the purged applicant's lines")
	}
}

// A person's export lists what was done to them, but not who else did it by address nor from
// which IP address: the approving admin appears by role.
func TestExportNamesOtherActorsByRoleOnly(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	if err := g.register("erika@stadt.example"); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := g.db.R.QueryRow(`SELECT id FROM users WHERE email = 'erika@stadt.example'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := g.svc.Approve(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org", IP: "203.0.113.77"}, id, 0); err != nil {
		t.Fatal(err)
	}
	exp, err := g.svc.ExportUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	approved := false
	for _, e := range exp.SecurityEvents {
		if strings.Contains(e.Actor, "admin@example.org") || e.IP == "203.0.113.77" {
			t.Errorf("the export shows the admin's address or IP: %+v", e)
		}
		if e.Action == "registration.approved" {
			approved = e.Actor == "an administrator"
		}
		if e.Action == "registration.received" && e.IP != "192.0.2.7" {
			t.Errorf("the person's own line lost its IP address: %+v", e)
		}
	}
	if !approved {
		t.Errorf("no approval by \"an administrator\" in %+v", exp.SecurityEvents)
	}
}
