package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/testkit"
)

// storeEnv is the cookie side of sessions over real account rows.
type storeEnv struct {
	t     *testing.T
	st    *sessionStore
	clock *testkit.Clock
}

func newStoreEnv(t *testing.T) (*storeEnv, *account.Service, func(q string, args ...any) int) {
	t.Helper()
	dir := t.TempDir()
	db := testkit.OpenDBIn(t, dir)
	keys, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock(time.Date(2026, 4, 14, 8, 0, 0, 0, time.UTC))
	log := testkit.Logger(io.Discard)
	acc := account.New(db, clock.Now, func(p string) string { return "https://ss.example" + p }, log)
	e := &storeEnv{t: t, st: newSessionStore(acc, keys, true, log), clock: clock}
	return e, acc, func(q string, args ...any) int { return testkit.Count(t, db, q, args...) }
}

func (e *storeEnv) login(userID int64, cookies ...*http.Cookie) *http.Cookie {
	e.t.Helper()
	r := httptest.NewRequest("POST", "/login", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	if _, err := e.st.login(w, r, userID); err != nil {
		e.t.Fatal(err)
	}
	for _, c := range w.Result().Cookies() {
		// Behind https (this store is secure) the cookie carries the __Host- prefix.
		if c.Name == hostPrefix+SessionCookie {
			return c
		}
	}
	e.t.Fatal("no session cookie set")
	return nil
}

func (e *storeEnv) sessionUser(c *http.Cookie) (int64, bool) {
	e.t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	sess, err := e.st.Get(r, SessionCookie)
	if err != nil {
		e.t.Fatal(err)
	}
	return sessionUserID(sess)
}

func TestSessionCookieAndFixation(t *testing.T) {
	e, acc, count := newStoreEnv(t)
	u, _, err := acc.CreateAccount(context.Background(), audit.Actor{Email: "test"}, account.NewAccount{Email: "erika@stadt.example", Name: "Erika Muster"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.login(u.ID)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Errorf("cookie attributes: %+v", c)
	}
	if uid, ok := e.sessionUser(c); !ok || uid != u.ID {
		t.Fatalf("session user = %d, %v", uid, ok)
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
	if n := count(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID); n != 1 {
		t.Errorf("%d session rows after re-sign-in, want 1", n)
	}
	// A forged or damaged cookie is just no session.
	for _, v := range []string{"", "x", c2.Value[:len(c2.Value)-2] + "AA", c2.Value + "A"} {
		if _, ok := e.sessionUser(&http.Cookie{Name: hostPrefix + SessionCookie, Value: v}); ok {
			t.Errorf("forged cookie %q accepted", v)
		}
	}
	// Logging out expires the cookie and ends the row.
	r := httptest.NewRequest("POST", "/logout", nil)
	r.AddCookie(c2)
	w := httptest.NewRecorder()
	if err := e.st.logout(w, r, actorOf(u)); err != nil {
		t.Fatal(err)
	}
	var expired bool
	for _, k := range w.Result().Cookies() {
		expired = expired || (k.Name == hostPrefix+SessionCookie && k.MaxAge < 0)
	}
	if !expired {
		t.Error("cookie not expired")
	}
	if _, ok := e.sessionUser(c2); ok {
		t.Error("session alive after logout")
	}
}

func actorOf(u *account.User) audit.Actor {
	return audit.Actor{ID: u.ID, Email: u.Email, IP: "192.0.2.1"}
}
