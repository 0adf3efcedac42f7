package account_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"saferspaces/internal/audit"
)

func TestSessionRows(t *testing.T) {
	e := newAuthEnv(t)
	u := e.active("erika.muster@stadt.example", goodPassword)
	h := e.login(u.ID)
	if uid, ok := e.sessionUser(h); !ok || uid != u.ID {
		t.Fatalf("session user = %d, %v", uid, ok)
	}
	if n := e.count(`SELECT count(*) FROM sessions WHERE user_id = ? AND length(id_hash) = 32`, u.ID); n != 1 {
		t.Fatalf("%d session rows", n)
	}
	// A new sign-in ends the old session: its id is dead.
	h2 := e.login(u.ID, h)
	if _, ok := e.sessionUser(h); ok {
		t.Error("the replaced session still works")
	}
	if n := e.count(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID); n != 1 {
		t.Errorf("%d session rows after re-sign-in, want 1", n)
	}
	if _, ok := e.sessionUser([]byte("unknown id hash, 32 bytes long!!")); ok {
		t.Error("an unknown session was found")
	}
	if _, ok := e.sessionUser(h2); !ok {
		t.Error("new session does not work")
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
	h := e.login(u.ID)
	seen := func() int64 {
		var at int64
		e.db.R.QueryRow(`SELECT last_seen_at FROM sessions WHERE user_id = ?`, u.ID).Scan(&at)
		return at
	}
	start := seen()
	e.clock.Advance(59 * time.Second)
	e.sessionUser(h)
	if seen() != start {
		t.Error("last_seen_at written within the first minute")
	}
	e.clock.Advance(time.Second)
	e.sessionUser(h)
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
	if err := e.db.Tx(ctx, func(tx *sql.Tx) error { return e.acc.RevokeUser(ctx, tx, u.ID, b) }); err != nil {
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
	h := e.login(u.ID)
	if err := e.acc.Logout(context.Background(), h, audit.Actor{ID: u.ID, Email: u.Email, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sessionUser(h); ok {
		t.Error("session alive after logout")
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'logout' AND target_id = ? AND ip = '192.0.2.1'`, u.ID); n != 1 {
		t.Errorf("%d logout audit lines", n)
	}
}
