package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/text/language"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
)

// The OpenID Provider of these tests is zitadel/oidc's provider package (op) with its example
// storage and login page, run in-process: a real implementation of the protocol, not a fake.

const (
	ssoClientID     = "saferspaces"
	ssoClientSecret = "client-secret-for-tests"
)

// opUsers is the provider's directory.
type opUsers map[string]*storage.User

func (u opUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u opUsers) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u opUsers) ExampleClientID() string { return "service" }

// ssoWorld is the platform with an OpenID provider.
type ssoWorld struct {
	*harness
	op     *httptest.Server
	users  opUsers
	client *http.Client // a browser's way to the provider (it keeps no cookies we need)
}

func newSSOWorld(t *testing.T) *ssoWorld {
	op := httptest.NewUnstartedServer(nil)
	issuer := "http://" + op.Listener.Addr().String()
	h := newHarness(t, func(p *app.Parts) {
		p.Config.OIDCIssuer, p.Config.OIDCClientID, p.Config.OIDCClientSecret = issuer, ssoClientID, ssoClientSecret
	})
	// The provider signs with the real clock; the platform's clock starts there too.
	h.clock.Set(time.Now().UTC().Truncate(time.Second))
	users := opUsers{}
	client := storage.WebClient(ssoClientID, ssoClientSecret, h.url+"/login/sso/callback")
	st := storage.NewStorageWithClients(users, map[string]*storage.Client{ssoClientID: client})
	op.Config.Handler = exampleop.SetupServer(issuer, st, nil, false)
	op.Start()
	t.Cleanup(op.Close)
	return &ssoWorld{harness: h, op: op, users: users,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// person adds someone to the provider's directory.
func (w *ssoWorld) person(id, email string, verified bool) {
	w.users[id] = &storage.User{ID: id, Username: id, Password: "op-password", FirstName: "Vera", LastName: strings.ToUpper(id[:1]) + id[1:],
		Email: email, EmailVerified: verified, PreferredLanguage: language.German}
}

// startSSO presses the provider's button on /login and returns the authorization URL.
func (w *ssoWorld) startSSO(b *browser) string {
	w.t.Helper()
	p := b.post("/login/sso", url.Values{})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), w.op.URL) {
		w.t.Fatalf("start single sign-on: %d → %q\n%s", p.Status, p.Location(), p.Body)
	}
	return p.Location()
}

// atProvider follows the authorization URL through the provider's login page as the person id
// and returns the callback path (with code and state) the provider sends the browser to.
func (w *ssoWorld) atProvider(authURL, id string) string {
	w.t.Helper()
	next := authURL
	for range 10 {
		resp, err := w.client.Get(next)
		if err != nil {
			w.t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			w.t.Fatalf("provider: %s answered %d without a redirect", next, resp.StatusCode)
		}
		if strings.HasPrefix(loc.String(), w.url) {
			return strings.TrimPrefix(loc.String(), w.url)
		}
		if loc.Path == "/login/username" {
			form := url.Values{"id": {loc.Query().Get("authRequestID")}, "username": {id}, "password": {"op-password"}}
			resp, err := w.client.PostForm(w.op.URL+"/login/username", form)
			if err != nil {
				w.t.Fatal(err)
			}
			resp.Body.Close()
			if loc, err = resp.Location(); err != nil {
				w.t.Fatalf("provider login as %s: %d", id, resp.StatusCode)
			}
		}
		next = loc.String()
	}
	w.t.Fatal("the provider did not send the browser back")
	return ""
}

// ssoSignIn runs the whole flow in b and returns the platform's answer to the callback.
func (w *ssoWorld) ssoSignIn(b *browser, id string) *page {
	w.t.Helper()
	return b.get(w.atProvider(w.startSSO(b), id))
}

// The full code flow with PKCE: an existing account is linked through the verified address and
// signed in; the next sign-in uses the link; the second factor is the provider's business; signing
// out offers the provider's sign-out.
func TestSSOFullCodeFlow(t *testing.T) {
	w := newSSOWorld(t)
	trainer := w.user(account.RoleTrainer) // has a second factor on the platform
	w.person("tina", trainer.Email, true)

	b := w.browser()
	login := b.get("/login")
	if !strings.Contains(login.Body, `action="/login/sso"`) {
		t.Fatal("/login does not offer the provider")
	}
	auth := w.startSSO(b)
	q, _ := url.Parse(auth)
	if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("code_challenge") == "" ||
		q.Query().Get("state") == "" || q.Query().Get("nonce") == "" || !strings.Contains(q.Query().Get("scope"), "email") {
		t.Errorf("authorization request lacks PKCE, state, nonce or scopes: %s", auth)
	}
	p := b.get(w.atProvider(auth, "tina"))
	if p.Status != http.StatusSeeOther || p.Location() != "/" {
		t.Fatalf("callback: %d → %q\n%s", p.Status, p.Location(), p.Body)
	}
	if !signedInAs(b) || b.get("/trainer").Status != http.StatusOK {
		t.Fatal("not signed in after the provider's callback (no code asked: the provider's business)")
	}
	if n := w.count(`SELECT count(*) FROM user_identities WHERE user_id = ? AND subject = 'tina'`, trainer.ID); n != 1 {
		t.Errorf("%d links", n)
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'sso.linked' AND target_id = ?`, trainer.ID); n != 1 {
		t.Errorf("%d sso.linked audit lines", n)
	}

	// Sign-out ends the platform's session and offers the provider's.
	out := b.post("/logout", url.Values{})
	if out.Location() != "/login?signed_out=1&sso=1" {
		t.Fatalf("logout → %q", out.Location())
	}
	page := b.get(out.Location())
	if !strings.Contains(page.Body, w.op.URL+"/end_session?") || !strings.Contains(page.Body, "client_id="+ssoClientID) {
		t.Errorf("the signed-out page does not offer the provider's end session:\n%s", page.Body)
	}
	if signedInAs(b) {
		t.Error("still signed in after logout")
	}

	// Again: through the link, even after the provider changed the address.
	w.users["tina"].Email = "tina.neu@stadt.example"
	b2 := w.browser()
	if p := w.ssoSignIn(b2, "tina"); p.Status != http.StatusSeeOther || !signedInAs(b2) {
		t.Errorf("second sign-in through the link: %d", p.Status)
	}
}

// A callback whose state this browser did not start, a reused callback, a wrong nonce and an
// expired ID token are refused and sign nobody in.
func TestSSORefusesForgedStateWrongNonceAndExpiredToken(t *testing.T) {
	w := newSSOWorld(t)
	learner := w.user(account.RoleLearner)
	w.person("lena", learner.Email, true)

	t.Run("forged state", func(t *testing.T) {
		b := w.browser()
		cb := w.atProvider(w.startSSO(b), "lena")
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", "forged"+q.Get("state")[6:])
		if p := b.get(u.Path + "?" + q.Encode()); p.Status != http.StatusBadRequest || signedInAs(b) {
			t.Errorf("forged state: %d", p.Status)
		}
		// The flow was used up by the forged attempt: the genuine callback is refused too.
		if p := b.get(cb); p.Status != http.StatusBadRequest || signedInAs(b) {
			t.Errorf("callback after a forged one: %d", p.Status)
		}
		// Another browser with a genuine code and state, but not its flow (login CSRF).
		b2, b3 := w.browser(), w.browser()
		cb2 := w.atProvider(w.startSSO(b2), "lena")
		if p := b3.get(cb2); p.Status != http.StatusBadRequest || signedInAs(b3) {
			t.Errorf("someone else's callback: %d", p.Status)
		}
	})
	t.Run("wrong nonce", func(t *testing.T) {
		b := w.browser()
		auth, _ := url.Parse(w.startSSO(b))
		q := auth.Query()
		q.Set("nonce", "a-nonce-this-browser-never-made")
		auth.RawQuery = q.Encode()
		if p := b.get(w.atProvider(auth.String(), "lena")); p.Status != http.StatusBadRequest || signedInAs(b) {
			t.Errorf("wrong nonce: %d", p.Status)
		}
	})
	t.Run("expired ID token", func(t *testing.T) {
		// The provider's token lives an hour by the real clock; the platform's clock is two hours
		// ahead (the flow itself is fresh: it starts at that time too).
		w.clock.Advance(2 * time.Hour)
		b2 := w.browser()
		auth := w.startSSO(b2)
		if p := b2.get(w.atProvider(auth, "lena")); p.Status != http.StatusBadRequest || signedInAs(b2) {
			t.Errorf("expired ID token: %d", p.Status)
		}
		w.clock.Advance(-2 * time.Hour)
	})
	// Refusals of flows a browser started are audited (a callback without one is not: it would let
	// anyone fill the audit log).
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'sso.failed'`); n != 3 {
		t.Errorf("%d refused callbacks audited, want 3", n)
	}
	for _, reason := range []string{"state does not match", "nonce does not match", "token is expired"} {
		if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'sso.failed' AND detail LIKE ?`, "%"+reason+"%"); n == 0 {
			t.Errorf("no refusal audited as %q", reason)
		}
	}
	if n := w.count(`SELECT count(*) FROM user_identities`); n != 0 {
		t.Errorf("%d identities linked by refused callbacks", n)
	}
}

// An address the provider has not verified neither links to an account with that address nor
// registers anyone.
func TestSSOUnverifiedEmail(t *testing.T) {
	w := newSSOWorld(t)
	admin := w.user(account.RoleAdmin)
	w.person("mallory", admin.Email, false)
	w.person("newbie", "newbie@stadt.example", false)
	for _, id := range []string{"mallory", "newbie"} {
		b := w.browser()
		p := w.ssoSignIn(b, id)
		if p.Status != http.StatusForbidden || signedInAs(b) {
			t.Errorf("%s with an unverified address: %d", id, p.Status)
		}
		if b.get("/register/sso").Location() != "/register" {
			t.Errorf("%s may fill in the SSO declaration", id)
		}
	}
	if n := w.count(`SELECT count(*) FROM user_identities`); n != 0 {
		t.Errorf("%d identities linked", n)
	}
	if n := w.count(`SELECT count(*) FROM users WHERE email = 'newbie@stadt.example'`); n != 0 {
		t.Error("an unverified address was registered")
	}
}

// Someone new through the provider accepts the declaration, waits for approval (signing in again
// only says so), is approved by an admin (and told by mail to sign in through the provider), and
// then signs in without a password.
func TestSSOApplicantMustBeApproved(t *testing.T) {
	w := newSSOWorld(t)
	admin := w.user(account.RoleAdmin)
	w.person("nora", "nora.neu@stadt.example", true)

	b := w.browser()
	p := w.ssoSignIn(b, "nora")
	if p.Location() != "/register/sso" {
		t.Fatalf("a new person → %q", p.Location())
	}
	form := b.get("/register/sso")
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `action="/register/sso"`) ||
		!strings.Contains(form.Body, `value="nora.neu@stadt.example" readonly`) || !strings.Contains(form.Body, `value="Vera Nora" readonly`) {
		t.Fatalf("SSO declaration form: %d\n%s", form.Status, form.Body)
	}
	version := regexpFind(form.Body, `name="declaration_version" value="(\d+)"`)
	if p := b.post("/register/sso", url.Values{"organisation": {"Stadt Beispiel"}, "position": {"Ordnungsamt"}, "language": {"de"},
		"declaration_version": {version}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("without accepting: %d", p.Status)
	}
	p = b.post("/register/sso", url.Values{"organisation": {"Stadt Beispiel"}, "position": {"Ordnungsamt"}, "language": {"de"},
		"declaration_version": {version}, "accept": {"yes"}, "email": {"someone.else@example.org"}})
	if p.Status != http.StatusSeeOther || p.Location() != "/register/done" || signedInAs(b) {
		t.Fatalf("SSO registration: %d → %q", p.Status, p.Location())
	}
	var id int64
	if err := w.db.R.QueryRow(`SELECT id FROM users WHERE email = 'nora.neu@stadt.example' AND status = 'pending'`).Scan(&id); err != nil {
		t.Fatalf("no pending applicant with the provider's address: %v", err)
	}
	if n := w.count(`SELECT count(*) FROM declaration_acceptances WHERE user_id = ?`, id); n != 1 {
		t.Errorf("%d acceptance records", n)
	}
	if ms := w.mails(admin.Email); len(ms) == 0 || !strings.Contains(ms[len(ms)-1].Body, "nora.neu@stadt.example") {
		t.Error("the admins were not told of the new registration")
	}

	// Waiting: signing in again says so and opens nothing.
	b2 := w.browser()
	if p := w.ssoSignIn(b2, "nora"); p.Status != http.StatusOK || signedInAs(b2) || !strings.Contains(p.Body, "noch geprüft") {
		t.Fatalf("pending applicant through the provider: %d\n%s", p.Status, p.Body)
	}

	ab := w.browser()
	ab.signIn(admin.Email, admin.Password)
	if p := ab.post("/admin/registrations/"+itoa(id)+"/approve", url.Values{}); p.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", p.Status)
	}
	ms := w.mails("nora.neu@stadt.example")
	last := ms[len(ms)-1]
	if !strings.Contains(last.Subject, "Zugang ist freigegeben") || strings.Contains(last.Body, "/activate/") {
		t.Errorf("approval mail of an SSO applicant: %s\n%s", last.Subject, last.Body)
	}
	b3 := w.browser()
	if p := w.ssoSignIn(b3, "nora"); p.Status != http.StatusSeeOther || !signedInAs(b3) {
		t.Fatalf("approved applicant through the provider: %d", p.Status)
	}
}

// Admins can require single sign-on for some domains: a password then opens nothing for those
// addresses (also not a new one from a reset link), and other addresses are not affected.
func TestSSORequiredForDomains(t *testing.T) {
	w := newSSOWorld(t)
	admin := w.userWith(userSpec{Role: account.RoleAdmin, Email: "ada@land.example"})
	learner := w.userWith(userSpec{Email: "lea@stadt.example"})
	ab := w.browser()
	ab.signIn(admin.Email, admin.Password)
	if p := ab.post("/admin/sso", url.Values{"required": {"domains"}, "domains": {"not a domain"}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad domain: %d", p.Status)
	}
	if p := ab.post("/admin/sso", url.Values{"required": {"domains"}, "domains": {"@Stadt.example\n"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("save policy: %d", p.Status)
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'sso.policy' AND detail = 'domains: stadt.example'`); n != 1 {
		t.Errorf("%d audit lines of the policy", n)
	}
	b := w.browser()
	p := b.post("/login", url.Values{"email": {learner.Email}, "password": {learner.Password}})
	if p.Status != http.StatusOK || signedInAs(b) || !strings.Contains(p.Body, "vorgeschrieben") {
		t.Errorf("password of a learner whose domain requires SSO: %d", p.Status)
	}
	// Unknown addresses of the domain get the same answer (it depends on the domain only).
	if p := b.post("/login", url.Values{"email": {"nobody@stadt.example"}, "password": {"x"}}); !strings.Contains(p.Body, "vorgeschrieben") {
		t.Error("an unknown address of the domain is answered differently")
	}
	b.post("/password/forgot", url.Values{"email": {learner.Email}})
	link := w.lastLink(learner.Email, "/password/reset/")
	if p := b.post(link, url.Values{"password": {"Ein neues langes Passwort"}, "password_confirm": {"Ein neues langes Passwort"}}); p.Location() != "/login?sso_required=1" || signedInAs(b) {
		t.Errorf("reset link under the SSO requirement → %q", p.Location())
	}
	ab2 := w.browser()
	ab2.signIn(admin.Email, admin.Password) // another domain: unaffected
	w.person("lea", learner.Email, true)
	if p := w.ssoSignIn(w.browser(), "lea"); p.Status != http.StatusSeeOther {
		t.Errorf("SSO of the required domain: %d", p.Status)
	}
}

// regexpFind returns the first group of pattern in s, "" if it does not match.
func regexpFind(s, pattern string) string {
	if m := regexp.MustCompile(pattern).FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}
