package account_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

func TestParseToken(t *testing.T) {
	good := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	if h, err := account.ParseToken(good); err != nil || len(h) != 32 {
		t.Fatalf("ParseToken(good) = %x, %v", h, err)
	}
	// The last character of 43 carries 2 padding bits: a strict decoder refuses any other spelling
	// of the same bytes, so a changed last character is never the same token.
	last := good[:42] + string(good[42]+1)
	for name, raw := range map[string]string{
		"empty":         "",
		"short":         good[:42],
		"long":          good + "A",
		"std alphabet":  strings.Replace(good, good[:1], "+", 1),
		"padding":       good[:41] + "==",
		"space":         good[:42] + " ",
		"non-canonical": last,
		"dot dot slash": "../../../../../../../../../../etc/passwd/abc",
	} {
		if _, err := account.ParseToken(raw); !errors.Is(err, account.ErrLinkInvalid) {
			t.Errorf("%s: ParseToken(%q) = %v, want ErrLinkInvalid", name, raw, err)
		}
	}
}

// FuzzParseToken: whatever comes in a link, ParseToken answers without panicking, accepts only
// 43 base64url characters, and an accepted token re-encodes to itself (one spelling per token).
func FuzzParseToken(f *testing.F) {
	f.Add("ZpV8s3mTq2n1bX0cY7wK4eR9tU6iO5aS2dF3gH8jL1k")
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB")
	f.Add(strings.Repeat("/", 43))
	f.Fuzz(func(t *testing.T, raw string) {
		h, err := account.ParseToken(raw)
		if err != nil {
			if !errors.Is(err, account.ErrLinkInvalid) || !errs.Is(err, errs.NotFound) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		b, derr := base64.RawURLEncoding.DecodeString(raw)
		if len(raw) != 43 || derr != nil || len(h) != 32 || base64.RawURLEncoding.EncodeToString(b) != raw {
			t.Fatalf("accepted %q", raw)
		}
	})
}

func TestTokensAreSingleUseExpireAndReplaceEachOther(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	u, first := e.create("erika.muster@stadt.example", account.RoleLearner)
	if !strings.HasPrefix(first, "https://ss.example/activate/") || len(tokenOf(first)) != 43 {
		t.Fatalf("link %q", first)
	}
	if got := e.count(`SELECT count(*) FROM tokens WHERE hash = ?`, []byte(tokenOf(first))); got != 0 {
		t.Fatal("the raw token is stored")
	}
	if _, err := e.acc.LookupToken(ctx, tokenOf(first), account.PurposeReset); !errors.Is(err, account.ErrLinkInvalid) {
		t.Errorf("activation token accepted as reset token: %v", err)
	}

	// A new link voids the old one.
	var second string
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		second, err = e.acc.IssueToken(ctx, tx, u.ID, account.PurposeActivation, account.ActivationTTL)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.LookupToken(ctx, tokenOf(first), account.PurposeActivation); !errors.Is(err, account.ErrLinkInvalid) {
		t.Errorf("old link still valid after a new one: %v", err)
	}
	if got, err := e.acc.LookupToken(ctx, second, account.PurposeActivation); err != nil || got.ID != u.ID {
		t.Fatalf("new link: %v, %v", got, err)
	}

	// Expiry: valid until just before 72 h.
	e.clock.Advance(account.ActivationTTL - time.Second)
	if _, err := e.acc.LookupToken(ctx, second, account.PurposeActivation); err != nil {
		t.Fatalf("link refused a second before it expires: %v", err)
	}
	e.clock.Advance(time.Second)
	if _, err := e.acc.Activate(ctx, second, goodPassword, "", ""); !errors.Is(err, account.ErrLinkInvalid) {
		t.Fatalf("expired link used: %v", err)
	}
}

func TestActivateSetsPasswordOnceAndOnlyForApprovedAccounts(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	u, link := e.create("jonas.beispiel@stadt.example", account.RoleTrainer)
	raw := tokenOf(link)

	// A weak password leaves the link usable.
	var pe *account.PasswordError
	if _, err := e.acc.Activate(ctx, raw, "password1234", "", ""); !errors.As(err, &pe) || pe.Key != account.PasswordCommon {
		t.Fatalf("weak password: %v", err)
	}
	got, err := e.acc.Activate(ctx, raw, goodPassword, "198.51.100.4", "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Active() || got.ActivatedAt.IsZero() || got.ID != u.ID {
		t.Errorf("after activation: %+v", got)
	}
	if _, err := e.acc.Activate(ctx, raw, "Ein anderes langes Passwort", "", ""); !errors.Is(err, account.ErrLinkInvalid) {
		t.Errorf("link used twice: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'account.activated' AND target_id = ? AND ip = '198.51.100.4'`, u.ID); n != 1 {
		t.Errorf("%d account.activated audit lines", n)
	}

	// A disabled account's link does not work, even when it was issued before.
	other, link2 := e.create("paula.probe@stadt.example", account.RoleLearner)
	admin := e.active("admin.eins@stadt.example", goodPassword)
	if err := e.acc.Disable(ctx, audit.Actor{ID: admin.ID, Email: admin.Email}, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.Activate(ctx, tokenOf(link2), goodPassword, "", ""); !errors.Is(err, account.ErrLinkInvalid) {
		t.Errorf("disabled account activated: %v", err)
	}
}

func TestResetPasswordFlow(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	u := e.active("erika.muster@stadt.example", goodPassword)
	c := e.login(u.ID)

	// Unknown and known addresses both succeed silently; only the known, active one gets a mail.
	if err := e.acc.RequestReset(ctx, "niemand@stadt.example", "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	if err := e.acc.RequestReset(ctx, "ERIKA.MUSTER@stadt.example", "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE kind = 'password_reset'`); n != 1 {
		t.Fatalf("%d reset mails, want 1", n)
	}
	// A second request right away sends nothing more (no mail flood).
	if err := e.acc.RequestReset(ctx, "erika.muster@stadt.example", ""); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE kind = 'password_reset'`); n != 1 {
		t.Fatalf("%d reset mails after a repeat, want 1", n)
	}
	var body string
	e.db.R.QueryRow(`SELECT body FROM mail_outbox WHERE kind = 'password_reset'`).Scan(&body)
	i := strings.Index(body, "https://ss.example/password/reset/")
	if i < 0 {
		t.Fatalf("no reset link in %q", body)
	}
	raw := body[i+len("https://ss.example/password/reset/"):][:43]

	e.clock.Advance(30 * time.Minute)
	if _, err := e.acc.ResetPassword(ctx, raw, "Ein ganz neues Passwort", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sessionUser(c); ok {
		t.Error("session survived the password reset")
	}
	if _, err := e.acc.Authenticate(ctx, u.Email, goodPassword, "192.0.2.1"); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Errorf("old password still works: %v", err)
	}
	if _, err := e.acc.Authenticate(ctx, u.Email, "Ein ganz neues Passwort", "192.0.2.1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE kind = 'password_changed'`); n != 1 {
		t.Errorf("%d password-changed mails", n)
	}
	if _, err := e.acc.ResetPassword(ctx, raw, "Noch ein neues Passwort", "", ""); !errors.Is(err, account.ErrLinkInvalid) {
		t.Errorf("reset link used twice: %v", err)
	}
}
