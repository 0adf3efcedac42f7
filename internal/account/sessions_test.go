package account_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"saferspaces/internal/account"
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

// The idle limit is the role's (30 minutes for staff, two hours for learners, read at every
// load so a change of role applies at once); 12 hours after sign-in every session ends.
func TestSessionIdleAndAbsoluteTimeouts(t *testing.T) {
	for _, tc := range []struct {
		role account.Role
		idle time.Duration
	}{
		{account.RoleAdmin, 30 * time.Minute},
		{account.RoleTrainer, 30 * time.Minute},
		{account.RoleLearner, 2 * time.Hour},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			e := newAuthEnv(t)
			u := e.activeAs("erika.muster@stadt.example", tc.role)
			if got := account.IdleLimit(tc.role); got != tc.idle {
				t.Fatalf("IdleLimit = %v, want %v", got, tc.idle)
			}
			idle := e.login(u.ID)
			e.clock.Advance(tc.idle - time.Minute)
			if _, ok := e.sessionUser(idle); !ok {
				t.Fatalf("ended after %v idle", tc.idle-time.Minute)
			}
			e.clock.Advance(tc.idle - time.Minute) // active that long ago: still alive
			if _, ok := e.sessionUser(idle); !ok {
				t.Fatalf("ended although used %v ago", tc.idle-time.Minute)
			}
			e.clock.Advance(tc.idle)
			if _, ok := e.sessionUser(idle); ok {
				t.Fatalf("alive after %v idle", tc.idle)
			}
			if n := e.count(`SELECT count(*) FROM sessions`); n != 0 {
				t.Errorf("expired row kept: %d", n)
			}
			// The sweep knows the limit too: the row of a session left alone expires with it.
			left := e.login(u.ID)
			var created, expires int64
			e.db.R.QueryRow(`SELECT created_at, expires_at FROM sessions WHERE id_hash = ?`, left).Scan(&created, &expires)
			if time.Duration(expires-created)*time.Second != tc.idle {
				t.Errorf("new row expires after %v, want %v", time.Duration(expires-created)*time.Second, tc.idle)
			}
			e.acc.DeleteSession(context.Background(), left)

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
		})
	}
	// A learner made trainer has the staff limit at once, on the session already open.
	e := newAuthEnv(t)
	u := e.activeAs("lena.lernend@stadt.example", account.RoleLearner)
	h := e.login(u.ID)
	e.clock.Advance(10 * time.Minute)
	e.sessionUser(h)
	if _, err := e.db.W.Exec(`UPDATE users SET role = 'trainer' WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(31 * time.Minute)
	if _, ok := e.sessionUser(h); ok {
		t.Error("a learner's session made trainer keeps the learners' idle limit")
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
