package account_test

import (
	"context"
	"crypto/rand"
	"io"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// authEnv is a migrated database with the account service and session store on a clock the test
// moves, for the sign-in, token and session tests.
type authEnv struct {
	t     *testing.T
	db    *sqlite.DB
	acc   *account.Service
	clock *testkit.Clock
}

func newAuthEnv(t *testing.T) *authEnv {
	t.Helper()
	dir := t.TempDir()
	db := testkit.OpenDBIn(t, dir)
	e := &authEnv{t: t, db: db, clock: testkit.NewClock(time.Date(2026, 4, 14, 8, 0, 0, 0, time.UTC))}
	log := testkit.Logger(io.Discard)
	e.acc = account.New(db, e.clock.Now, func(p string) string { return "https://ss.example" + p }, log)
	return e
}

// create makes an approved account through CreateAccount and returns it with its activation link.
func (e *authEnv) create(email string, role account.Role) (*account.User, string) {
	e.t.Helper()
	u, link, err := e.acc.CreateAccount(context.Background(), audit.Actor{Email: "test"}, account.NewAccount{Email: email, Name: "Test " + string(role), Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return u, link
}

// active makes a learner's account that can sign in with password.
func (e *authEnv) active(email, password string) *account.User {
	e.t.Helper()
	return e.activeWith(email, password, account.RoleLearner)
}

// activeAs makes an account of the role that can sign in.
func (e *authEnv) activeAs(email string, role account.Role) *account.User {
	e.t.Helper()
	return e.activeWith(email, goodPassword, role)
}

func (e *authEnv) activeWith(email, password string, role account.Role) *account.User {
	e.t.Helper()
	_, link := e.create(email, role)
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

// login starts a session of userID as the web layer does and returns its id hash. Sessions given
// in end are deleted first, as a new sign-in replaces the old session.
func (e *authEnv) login(userID int64, end ...[]byte) []byte {
	e.t.Helper()
	for _, h := range end {
		if err := e.acc.DeleteSession(context.Background(), h); err != nil {
			e.t.Fatal(err)
		}
	}
	h := make([]byte, 32)
	rand.Read(h)
	if err := e.acc.SaveSession(context.Background(), h, account.Session{UserID: userID}, true); err != nil {
		e.t.Fatal(err)
	}
	return h
}

// sessionUser loads the session, as the web layer does on every request.
func (e *authEnv) sessionUser(h []byte) (int64, bool) {
	e.t.Helper()
	s, err := e.acc.Session(context.Background(), h)
	if errs.Is(err, errs.NotFound) {
		return 0, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return s.UserID, s.UserID > 0
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
