package account_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"saferspaces/internal/account"
)

func TestSessionCookieAndFixation(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("erika.muster@stadt.example", goodPassword)
	c := e.login(u.ID)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Errorf("cookie attributes: %+v", c)
	}
	if uid, ok := e.sessionUser(c); !ok || uid != u.ID {
		t.Fatalf("session user = %d, %v", uid, ok)
	}
	if n := e.count(`SELECT count(*) FROM sessions WHERE user_id = ? AND length(id_hash) = 32`, u.ID); n != 1 {
		t.Fatalf("%d session rows", n)
	}
	// Signing in again with the old cookie present replaces it: the old id is dead.
	c2 := e.login(u.ID, c)
	if c2.Value == c.Value {
		t.Fatal("same cookie after a new sign-in")
	}
	if _, ok := e.sessionUser(c); ok {
		t.Error("the pre-sign-in session id still works (fixation)")
	}
	if uid, ok := e.sessionUser(c2); !ok || uid != u.ID {
		t.Error("new session does not work")
	}
	if n := e.count(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID); n != 1 {
		t.Errorf("%d session rows after re-sign-in, want 1", n)
	}
	// A forged or damaged cookie is just no session.
	for _, v := range []string{"", "x", c2.Value[:len(c2.Value)-2] + "AA", c2.Value + "A"} {
		if _, ok := e.sessionUser(&http.Cookie{Name: account.SessionCookie, Value: v}); ok {
			t.Errorf("forged cookie %q accepted", v)
		}
	}
}

func TestSessionIdleAndAbsoluteTimeouts(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("erika.muster@stadt.example", goodPassword)

	idle := e.login(u.ID)
	e.clock.Advance(29 * time.Minute)
	if _, ok := e.sessionUser(idle); !ok {
		t.Fatal("ended after 29 idle minutes")
	}
	e.clock.Advance(29 * time.Minute) // active 29 minutes ago: still alive
	if _, ok := e.sessionUser(idle); !ok {
		t.Fatal("ended although used 29 minutes ago")
	}
	e.clock.Advance(30 * time.Minute)
	if _, ok := e.sessionUser(idle); ok {
		t.Fatal("alive after 30 idle minutes")
	}
	if n := e.count(`SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("expired row kept: %d", n)
	}

	busy := e.login(u.ID)
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
		e.clock.Advance(20 * time.Minute)
		if _, ok := e.sessionUser(busy); !ok {
			t.Fatalf("busy session ended after %v", elapsed+20*time.Minute)
		}
	}
	e.clock.Advance(20 * time.Minute) // 12 h since sign-in
	if _, ok := e.sessionUser(busy); ok {
		t.Fatal("alive after 12 hours")
	}
}

func TestSessionTouchIsRateLimited(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("erika.muster@stadt.example", goodPassword)
	c := e.login(u.ID)
	seen := func() int64 {
		var at int64
		e.db.R.QueryRow(`SELECT last_seen_at FROM sessions WHERE user_id = ?`, u.ID).Scan(&at)
		return at
	}
	start := seen()
	e.clock.Advance(59 * time.Second)
	e.sessionUser(c)
	if seen() != start {
		t.Error("last_seen_at written within the first minute")
	}
	e.clock.Advance(time.Second)
	e.sessionUser(c)
	if seen() != start+60 {
		t.Errorf("last_seen_at = %d, want %d", seen(), start+60)
	}
}

func TestRevokeUserKeepsOnlyTheExcepted(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	u := e.active("erika.muster@stadt.example", goodPassword)
	other := e.active("jonas.beispiel@stadt.example", goodPassword)
	a, b, o := e.login(u.ID), e.login(u.ID), e.login(other.ID)

	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(b)
	sess, _ := e.st.Get(r, account.SessionCookie)
	keep := account.SessionIDHash(sess)
	if err := e.db.Tx(ctx, func(tx *sql.Tx) error { return e.acc.RevokeUser(ctx, tx, u.ID, keep) }); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sessionUser(a); ok {
		t.Error("revoked session alive")
	}
	if _, ok := e.sessionUser(b); !ok {
		t.Error("excepted session revoked")
	}
	if _, ok := e.sessionUser(o); !ok {
		t.Error("another user's session revoked")
	}
	if err := e.acc.SignOutEverywhere(ctx, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sessionUser(b); ok {
		t.Error("session alive after signing out everywhere")
	}
}

func TestLogoutDeletesTheSession(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("erika.muster@stadt.example", goodPassword)
	c := e.login(u.ID)
	r := httptest.NewRequest("POST", "/logout", nil)
	r.AddCookie(c)
	w := httptest.NewRecorder()
	if err := e.st.Logout(w, r, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	var expired bool
	for _, k := range w.Result().Cookies() {
		expired = expired || (k.Name == account.SessionCookie && k.MaxAge < 0)
	}
	if !expired {
		t.Error("cookie not expired")
	}
	if _, ok := e.sessionUser(c); ok {
		t.Error("session alive after logout")
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'logout' AND target_id = ?`, u.ID); n != 1 {
		t.Errorf("%d logout audit lines", n)
	}
}
