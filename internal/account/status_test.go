package account_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
)

func TestDisableEndsSessionsAndEnableRestores(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	admin := e.active("admin.eins@stadt.example", goodPassword)
	u := e.active("erika.muster@stadt.example", goodPassword)
	c := e.login(u.ID)
	if err := e.acc.Disable(ctx, audit.Actor{ID: admin.ID, Email: admin.Email, IP: "192.0.2.5"}, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sessionUser(c); ok {
		t.Error("session of a disabled user alive")
	}
	if _, err := e.acc.Authenticate(ctx, u.Email, goodPassword, "192.0.2.1"); err != account.ErrInvalidCredentials {
		t.Errorf("disabled user signs in: %v", err)
	}
	if err := e.acc.Disable(ctx, audit.Actor{ID: admin.ID, Email: admin.Email}, u.ID); err != nil {
		t.Errorf("disabling twice: %v", err)
	}
	if err := e.acc.Disable(ctx, audit.Actor{ID: admin.ID, Email: admin.Email}, admin.ID); !errs.Is(err, errs.Conflict) {
		t.Errorf("self-disable: %v", err)
	}
	if err := e.acc.Enable(ctx, audit.Actor{ID: admin.ID, Email: admin.Email}, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.Authenticate(ctx, u.Email, goodPassword, "192.0.2.1"); err != nil {
		t.Errorf("enabled user cannot sign in: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action IN ('user.disabled', 'user.enabled') AND target_id = ?`, u.ID); n != 2 {
		t.Errorf("%d disable/enable audit lines", n)
	}
}

func TestChangePassword(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	u := e.active("erika.muster@stadt.example", goodPassword)
	c := e.login(u.ID)
	if err := e.acc.ChangePassword(ctx, u.ID, "falsch falsch falsch", "Ein ganz neues Passwort", "192.0.2.1"); err != account.ErrWrongPassword {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := e.acc.ChangePassword(ctx, u.ID, goodPassword, "erika.muster123", "192.0.2.1"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("weak new password: %v", err)
	}
	if err := e.acc.ChangePassword(ctx, u.ID, goodPassword, "Ein ganz neues Passwort", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sessionUser(c); ok {
		t.Error("session alive after the password change")
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE kind = 'password_changed' AND to_addr = ?`, u.Email); n != 1 {
		t.Errorf("%d password-changed mails", n)
	}
	if _, err := e.acc.Authenticate(ctx, u.Email, "Ein ganz neues Passwort", "192.0.2.1"); err != nil {
		t.Error(err)
	}
}

func TestNeedsAcceptanceFollowsNewVersions(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	u := e.active("erika.muster@stadt.example", goodPassword)
	if needs, _ := e.acc.NeedsAcceptance(ctx, u.ID); !needs {
		t.Fatal("a user who accepted nothing must accept the declaration in force")
	}
	cur, err := e.acc.CurrentDeclaration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.acc.AcceptDeclaration(ctx, u.ID, cur.Version, "", ""); err != nil {
		t.Fatal(err)
	}
	if needs, _ := e.acc.NeedsAcceptance(ctx, u.ID); needs {
		t.Fatal("still asked after accepting")
	}
	if _, err := e.acc.PublishDeclaration(ctx, audit.CLI, map[i18n.Lang]string{"de": "Neu", "en": "New"}); err != nil {
		t.Fatal(err)
	}
	if needs, _ := e.acc.NeedsAcceptance(ctx, u.ID); !needs {
		t.Fatal("not asked after a new version")
	}
}

func TestExportAndCleanup(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	u := e.active("erika.muster@stadt.example", goodPassword)
	e.acc.Authenticate(ctx, u.Email, goodPassword, "192.0.2.1")
	x, err := e.acc.ExportUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(x)
	for _, want := range []string{`"email":"erika.muster@stadt.example"`, `"declaration_acceptances":[]`, `"action":"login.succeeded"`, `"last_login_at"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("export lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "argon2id") {
		t.Error("export contains the password hash")
	}

	e.login(u.ID)
	e.acc.Authenticate(ctx, "niemand@stadt.example", "irgendwas Langes", "192.0.2.1")
	e.clock.Advance(25 * time.Hour)
	if err := e.acc.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"sessions", "login_failures", "tokens"} {
		if n := e.count(`SELECT count(*) FROM ` + table); n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
}
