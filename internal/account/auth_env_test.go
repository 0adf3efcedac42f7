package account_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// authEnv is a migrated database with the account service and session store on a clock the test
// moves, for the sign-in, token and session tests.
type authEnv struct {
	t     *testing.T
	db    *sqlite.DB
	acc   *account.Service
	st    *account.SessionStore
	clock *testkit.Clock
}

func newAuthEnv(t *testing.T) *authEnv {
	t.Helper()
	dir := t.TempDir()
	db := testkit.OpenDBIn(t, dir)
	keys, err := account.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &authEnv{t: t, db: db, clock: testkit.NewClock(time.Date(2026, 4, 14, 8, 0, 0, 0, time.UTC))}
	log := testkit.Logger(io.Discard)
	e.acc = account.New(db, e.clock.Now, func(p string) string { return "https://ss.example" + p }, log)
	e.st = account.NewSessionStore(db, e.clock.Now, keys, true, log)
	return e
}

// create makes an approved account through CreateAccount and returns it with its activation link.
func (e *authEnv) create(email, role string) (*account.User, string) {
	e.t.Helper()
	u, link, err := e.acc.CreateAccount(context.Background(), account.NewAccount{Email: email, Name: "Test " + role, Role: role}, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return u, link
}

// active makes an account that can sign in with password.
func (e *authEnv) active(email, password string) *account.User {
	e.t.Helper()
	_, link := e.create(email, account.RoleLearner)
	u, err := e.acc.Activate(context.Background(), tokenOf(link), password, "192.0.2.1", "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *authEnv) count(query string, args ...any) int {
	e.t.Helper()
	return testkit.Count(e.t, e.db, query, args...)
}

// login signs userID in through the session store and returns the session cookie.
func (e *authEnv) login(userID int64, cookies ...*http.Cookie) *http.Cookie {
	e.t.Helper()
	r := httptest.NewRequest("POST", "/login", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	if _, err := e.st.Login(w, r, userID); err != nil {
		e.t.Fatal(err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == account.SessionCookie {
			return c
		}
	}
	e.t.Fatal("no session cookie set")
	return nil
}

// sessionUser loads the session a cookie names, as the middleware would.
func (e *authEnv) sessionUser(c *http.Cookie) (int64, bool) {
	e.t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	sess, err := e.st.Get(r, account.SessionCookie)
	if err != nil {
		e.t.Fatal(err)
	}
	return account.SessionUserID(sess)
}

func tokenOf(link string) string {
	for i := len(link) - 1; i >= 0; i-- {
		if link[i] == '/' {
			return link[i+1:]
		}
	}
	return link
}

const goodPassword = "Lindenbaum am Brunnen vor dem Tore"
