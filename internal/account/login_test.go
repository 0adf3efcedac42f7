package account_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/errs"
)

func TestAuthenticateRefusesEveryInactiveAccountTheSameWay(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	u := e.active("erika.muster@stadt.example", goodPassword)
	notActivated, _ := e.create("noch.nicht@stadt.example", account.RoleLearner)
	for _, st := range []account.Status{account.StatusPending, account.StatusRejected, account.StatusDisabled, account.StatusErased} {
		v := e.active(string(st)+"@stadt.example", goodPassword)
		if _, err := e.db.W.Exec(`UPDATE users SET status = ? WHERE id = ?`, st, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ email, pw string }{
		{"unbekannt@stadt.example", goodPassword},
		{u.Email, "Falsches Passwort, lang genug"},
		{notActivated.Email, goodPassword},
		{notActivated.Email, ""},
		{"pending@stadt.example", goodPassword},
		{"rejected@stadt.example", goodPassword},
		{"disabled@stadt.example", goodPassword},
		{"erased@stadt.example", goodPassword},
	} {
		_, err := e.acc.Authenticate(ctx, c.email, c.pw, fmt.Sprintf("192.0.2.%d", len(c.email)))
		if err != account.ErrInvalidCredentials {
			t.Errorf("%s: %v, want ErrInvalidCredentials", c.email, err)
		}
	}
	got, err := e.acc.Authenticate(ctx, " Erika.Muster@stadt.example ", goodPassword, "192.0.2.1")
	if err != nil || got.ID != u.ID || got.LastLoginAt.IsZero() {
		t.Fatalf("right password: %v, %v", got, err)
	}
	// Text typed into the e-mail field that is no account's address (it may be a password typed
	// into the wrong field) is kept only as a keyed hash, in the audit log and the throttle.
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND actor LIKE 'typed:%' AND target_id IS NULL`); n != 1 {
		t.Errorf("%d login.failed lines for the unknown address", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE actor LIKE '%unbekannt%' OR target LIKE '%unbekannt%' OR detail LIKE '%unbekannt%'`) +
		e.count(`SELECT count(*) FROM login_failures WHERE email LIKE '%unbekannt%'`); n != 0 {
		t.Errorf("the typed text is stored in clear in %d rows", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND actor = ?`, u.Email); n != 1 {
		t.Errorf("%d login.failed lines name the known account", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'login.succeeded' AND target_id = ?`, u.ID); n != 1 {
		t.Errorf("%d login.succeeded lines", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE detail LIKE '%Lindenbaum%' OR detail LIKE '%Falsches%'`); n != 0 {
		t.Error("a password ended up in the audit log")
	}
}

// authenticate returns "ok", "invalid" or "throttled".
func authenticate(e *authEnv, email, pw, ip string) string {
	e.t.Helper()
	_, err := e.acc.Authenticate(context.Background(), email, pw, ip)
	var te *account.ThrottleError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &te) && errs.Is(err, errs.TooMany):
		return "throttled"
	case err == account.ErrInvalidCredentials:
		return "invalid"
	}
	e.t.Fatalf("authenticate: %v", err)
	return ""
}

func TestThrottlingPerAccountBacksOffExponentially(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("erika.muster@stadt.example", goodPassword)
	const wrong = "Falsches Passwort, lang genug"
	for i := range 5 {
		if got := authenticate(e, u.Email, wrong, "192.0.2.1"); got != "invalid" {
			t.Fatalf("failure %d: %s", i+1, got)
		}
	}
	// The sixth attempt is refused even with the right password, from any address, and however
	// the address is capitalised (the account's lookup ignores case, so the count must too).
	if got := authenticate(e, u.Email, goodPassword, "203.0.113.50"); got != "throttled" {
		t.Fatalf("6th attempt: %s", got)
	}
	if got := authenticate(e, "Erika.Muster@Stadt.example", goodPassword, "203.0.113.51"); got != "throttled" {
		t.Fatalf("6th attempt with other capitals: %s", got)
	}
	e.clock.Advance(29 * time.Second)
	if got := authenticate(e, u.Email, goodPassword, "192.0.2.1"); got != "throttled" {
		t.Fatalf("after 29 s: %s", got)
	}
	e.clock.Advance(time.Second) // 30 s after the 5th failure
	if got := authenticate(e, u.Email, wrong, "192.0.2.1"); got != "invalid" {
		t.Fatalf("after 30 s: %s", got)
	}
	// Six failures: the wait doubles to a minute.
	e.clock.Advance(59 * time.Second)
	if got := authenticate(e, u.Email, goodPassword, "192.0.2.1"); got != "throttled" {
		t.Fatalf("59 s after the 6th failure: %s", got)
	}
	e.clock.Advance(time.Second)
	if got := authenticate(e, u.Email, goodPassword, "192.0.2.1"); got != "ok" {
		t.Fatalf("a minute after the 6th failure: %s", got)
	}
	// Success forgets the failures.
	if got := authenticate(e, u.Email, wrong, "192.0.2.1"); got != "invalid" {
		t.Fatalf("after success: %s", got)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'login.throttled'`); n < 1 {
		t.Error("no login.throttled audit line")
	}
}

func TestThrottlingHardCapPerHour(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("erika.muster@stadt.example", goodPassword)
	const wrong = "Falsches Passwort, lang genug"
	// Four bursts of five failures, each once the 15-minute window has emptied (0:00, 15:01,
	// 30:02, 45:03): the backoff never exceeds 30 s, but the hour collects 20 failures.
	for burst := range 4 {
		if burst > 0 {
			e.clock.Advance(15*time.Minute + time.Second)
		}
		for i := range 5 {
			if got := authenticate(e, u.Email, wrong, "192.0.2.1"); got != "invalid" {
				t.Fatalf("burst %d failure %d: %s", burst, i, got)
			}
		}
	}
	e.clock.Advance(31 * time.Second) // the backoff is over (45:34) ...
	if got := authenticate(e, u.Email, goodPassword, "192.0.2.1"); got != "throttled" {
		t.Fatalf("20 failures within the hour: %s", got)
	}
	e.clock.Advance(14*time.Minute + 27*time.Second) // ... and at 60:01 the first burst has left the hour.
	if got := authenticate(e, u.Email, goodPassword, "192.0.2.1"); got != "ok" {
		t.Fatalf("an hour after the first failure: %s", got)
	}
}

func TestThrottlingPerAddress(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("erika.muster@stadt.example", goodPassword)
	const ip = "198.51.100.66"
	// 50 failures spread over ten unknown addresses (five each, so no account backoff matters).
	for i := range 50 {
		if got := authenticate(e, fmt.Sprintf("probe%d@stadt.example", i%10), "irgendein Passwort", ip); got != "invalid" {
			t.Fatalf("failure %d: %s", i+1, got)
		}
		if i%10 == 9 {
			e.clock.Advance(31 * time.Second)
		}
	}
	if got := authenticate(e, u.Email, goodPassword, ip); got != "throttled" {
		t.Fatalf("51st attempt from the address: %s", got)
	}
	if got := authenticate(e, u.Email, goodPassword, "198.51.100.67"); got != "ok" {
		t.Fatalf("another address: %s", got)
	}
	e.clock.Advance(15 * time.Minute)
	if got := authenticate(e, u.Email, goodPassword, ip); got != "ok" {
		t.Fatalf("15 minutes later: %s", got)
	}
	// An IPv6 client counts by its /64: a new address of the prefix for every guess is no way out.
	for i := range 50 {
		if got := authenticate(e, fmt.Sprintf("probe%d@stadt.example", i%10), "irgendein Passwort", fmt.Sprintf("2001:db8:7:7::%x", i+1)); got != "invalid" {
			t.Fatalf("IPv6 failure %d: %s", i+1, got)
		}
		if i%10 == 9 {
			e.clock.Advance(31 * time.Second)
		}
	}
	if got := authenticate(e, u.Email, goodPassword, "2001:db8:7:7::ffff"); got != "throttled" {
		t.Fatalf("51st attempt from the /64: %s", got)
	}
	if got := authenticate(e, u.Email, goodPassword, "2001:db8:7:8::1"); got != "ok" {
		t.Fatalf("another /64: %s", got)
	}
}

// A burst of parallel guesses is counted as it comes in, not after the slow password checks:
// only the five free attempts reach a password check, the rest are throttled.
func TestParallelGuessesAreThrottled(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("ziel@stadt.example", goodPassword)
	const n = 24
	results := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results <- authenticate(e, u.Email, fmt.Sprintf("Falsches Passwort Nummer %d", i), "192.0.2.50")
		})
	}
	wg.Wait()
	close(results)
	count := map[string]int{}
	for r := range results {
		count[r]++
	}
	if count["invalid"] != 5 || count["throttled"] != n-5 {
		t.Errorf("burst of %d wrong passwords: %v, want 5 checked and %d throttled", n, count, n-5)
	}
	// A reservation released by the right password does not count against the account.
	e.clock.Advance(time.Hour)
	if got := authenticate(e, u.Email, goodPassword, "192.0.2.51"); got != "ok" {
		t.Fatalf("right password after the hour: %s", got)
	}
	if n := e.count(`SELECT count(*) FROM login_failures`); n != 0 {
		t.Errorf("%d failures left after a successful sign-in", n)
	}
}
