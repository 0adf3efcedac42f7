package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/web"
)

const sessionCookie = web.SessionCookie

// The whole way in for an account made on the command line: activation link from the e-mail,
// password, signed in, declaration accepted, signed out.
func TestJourneyActivateSignInSignOut(t *testing.T) {
	h := newHarness(t)
	u := h.userWith(userSpec{Email: "erika.muster@stadt.example", NotActivated: true, SkipDeclaration: true})
	link := h.lastLink(u.Email, "/activate/")
	b := h.browser()

	p := b.get(link)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `name="password_confirm"`) || !strings.Contains(p.Body, u.Email) {
		t.Fatalf("activation page: %d\n%s", p.Status, p.Body)
	}
	p = b.post(link, url.Values{"password": {"password1234"}, "password_confirm": {"password1234"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "verbreitet") {
		t.Fatalf("common password: %d\n%s", p.Status, p.Body)
	}
	p = b.post(link, url.Values{"password": {defaultPassword}, "password_confirm": {defaultPassword + "x"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="e-password_confirm"`) {
		t.Fatalf("mismatch: %d\n%s", p.Status, p.Body)
	}
	p = b.post(link, url.Values{"password": {defaultPassword}, "password_confirm": {defaultPassword}})
	if p.Status != http.StatusSeeOther || p.Location() != "/" || b.cookie(sessionCookie) == "" {
		t.Fatalf("activation: %d → %q", p.Status, p.Location())
	}

	// Signed in, but the declaration comes first.
	p = b.get("/account")
	if p.Status != http.StatusSeeOther || p.Location() != "/declaration?next=%2Faccount" {
		t.Fatalf("before accepting: %d → %q", p.Status, p.Location())
	}
	if p := b.follow(p); p.Status != http.StatusOK || !strings.Contains(p.Body, `name="accept"`) {
		t.Fatalf("declaration page: %d", p.Status)
	}
	p = b.post("/declaration", url.Values{"accept": {"yes"}, "version": {"1"}, "next": {"/account"}})
	if p.Status != http.StatusSeeOther || p.Location() != "/account" {
		t.Fatalf("accepting: %d → %q\n%s", p.Status, p.Location(), p.Body)
	}
	p = b.get("/account")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, u.Email) {
		t.Fatalf("account page: %d", p.Status)
	}

	p = b.post("/logout", nil)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("logout: %d → %q", p.Status, p.Location())
	}
	if p := b.follow(p); !strings.Contains(p.Body, "Sie wurden abgemeldet") {
		t.Error("no confirmation after signing out")
	}
	if p = b.get("/account"); p.Status != http.StatusSeeOther || p.Location() != "/login?next=%2Faccount" {
		t.Fatalf("after logout: %d → %q", p.Status, p.Location())
	}
	b.signIn(u.Email, defaultPassword)
	if p = b.get("/account"); p.Status != http.StatusOK {
		t.Fatalf("signed in again: %d", p.Status)
	}

	for _, secret := range []string{link[len("/activate/"):], defaultPassword} {
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("the log contains a secret %q", secret)
		}
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE detail LIKE ? OR target LIKE ? OR actor LIKE ?`,
		"%"+link[len("/activate/"):]+"%", "%Kastanien%", "%Kastanien%"); n != 0 {
		t.Error("the audit log contains a secret")
	}
}

// Every activation or reset link that was used, has expired, or was altered gets the same
// "invalid link" page, on GET and POST, and sets no password.
func TestUsedExpiredAndTamperedLinksAreRefused(t *testing.T) {
	h := newHarness(t)
	form := url.Values{"password": {"Ein neues langes Passwort"}, "password_confirm": {"Ein neues langes Passwort"}}
	refused := func(b *browser, path, why string) {
		t.Helper()
		for _, p := range []*page{b.get(path), b.post(path, form)} {
			if p.Status != http.StatusGone || strings.Contains(p.Body, `name="password"`) || b.cookie(sessionCookie) != "" {
				t.Errorf("%s %s: status %d, form shown: %v", why, path, p.Status, strings.Contains(p.Body, `name="password"`))
			}
		}
	}
	tamper := func(link string) string {
		last := link[len(link)-1]
		if last == 'A' {
			return link[:len(link)-1] + "Q" // another canonical final character
		}
		return link[:len(link)-1] + "A"
	}

	// Activation: used.
	u := h.userWith(userSpec{NotActivated: true})
	link := h.lastLink(u.Email, "/activate/")
	refused(h.browser(), tamper(link), "tampered")
	refused(h.browser(), link[:len(link)-1], "too short")
	refused(h.browser(), link+"A", "too long")
	refused(h.browser(), "/activate/"+strings.Repeat("A", 43), "forged")
	if p := h.browser().post(link, form); p.Status != http.StatusSeeOther {
		t.Fatalf("first use: %d", p.Status)
	}
	refused(h.browser(), link, "reused")

	// Activation: expired after 72 hours; valid just before.
	v := h.userWith(userSpec{NotActivated: true})
	link = h.lastLink(v.Email, "/activate/")
	h.clock.Advance(72*time.Hour - time.Minute)
	if p := h.browser().get(link); p.Status != http.StatusOK {
		t.Fatalf("a minute before expiry: %d", p.Status)
	}
	h.clock.Advance(time.Minute)
	refused(h.browser(), link, "expired")

	// Reset: used, expired after an hour, tampered, and not usable as activation link.
	w := h.user(account.RoleLearner)
	h.browser().post("/password/forgot", url.Values{"email": {w.Email}})
	reset := h.lastLink(w.Email, "/password/reset/")
	refused(h.browser(), "/activate/"+reset[len("/password/reset/"):], "reset token as activation")
	refused(h.browser(), tamper(reset), "tampered reset")
	if p := h.browser().post(reset, form); p.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d", p.Status)
	}
	refused(h.browser(), reset, "reused reset")
	h.clock.Advance(3 * time.Minute) // past the resend gap
	h.browser().post("/password/forgot", url.Values{"email": {w.Email}})
	reset = h.lastLink(w.Email, "/password/reset/")
	h.clock.Advance(time.Hour)
	refused(h.browser(), reset, "expired reset")
}

func TestSignInThrottling(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)
	b := h.browser()
	for i := range 5 {
		p := b.post("/login", url.Values{"email": {u.Email}, "password": {"falsch aber lang genug"}})
		if p.Status != http.StatusOK {
			t.Fatalf("failure %d: %d", i+1, p.Status)
		}
	}
	p := b.post("/login", url.Values{"email": {u.Email}, "password": {u.Password}})
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") != "30" || b.cookie(sessionCookie) != "" {
		t.Fatalf("6th attempt with the right password: %d, Retry-After %q", p.Status, p.Header.Get("Retry-After"))
	}
	if !strings.Contains(p.Body, `value="`+u.Email+`"`) {
		t.Error("throttled page lost the e-mail address")
	}
	h.clock.Advance(30 * time.Second)
	b.signIn(u.Email, u.Password)

	// Per address: 50 failures from one address, spread over accounts, stop every sign-in from it.
	v := h.user(account.RoleLearner)
	for i := range 50 {
		h.browser().post("/login", url.Values{"email": {"probe" + string(rune('a'+i%10)) + "@stadt.example"}, "password": {"x"}})
		if i%10 == 9 {
			h.clock.Advance(31 * time.Second)
		}
	}
	if p := h.browser().post("/login", url.Values{"email": {v.Email}, "password": {v.Password}}); p.Status != http.StatusTooManyRequests {
		t.Fatalf("after 50 failures from the address: %d", p.Status)
	}
}

// Unknown address, wrong password and accounts that may not sign in all get the same page.
func TestSignInDoesNotTellWhichAccountsExist(t *testing.T) {
	h := newHarness(t)
	known := h.user(account.RoleLearner)
	pending := h.userWith(userSpec{Status: account.StatusPending})
	rejected := h.userWith(userSpec{Status: account.StatusRejected})
	disabled := h.userWith(userSpec{Status: account.StatusDisabled})
	notActivated := h.userWith(userSpec{NotActivated: true})

	attempt := func(email, pw string) string {
		p := h.browser().post("/login", url.Values{"email": {email}, "password": {pw}})
		if p.Status != http.StatusOK {
			t.Fatalf("%s: status %d", email, p.Status)
		}
		// Byte-identical, the typed address included: it is not echoed back.
		if strings.Contains(p.Body, email) {
			t.Errorf("%s: the failure page repeats the typed address", email)
		}
		return p.Body
	}
	want := attempt("niemand@stadt.example", "irgendein langes Passwort")
	for name, got := range map[string]string{
		"wrong password": attempt(known.Email, "irgendein langes Passwort"),
		"pending":        attempt(pending.Email, pending.Password),
		"rejected":       attempt(rejected.Email, rejected.Password),
		"disabled":       attempt(disabled.Email, disabled.Password),
		"not activated":  attempt(notActivated.Email, notActivated.Password),
	} {
		if got != want {
			t.Errorf("%s: the page differs from the one for an unknown address", name)
		}
	}

	forgot := func(email string) string {
		p := h.browser().post("/password/forgot", url.Values{"email": {email}})
		if p.Status != http.StatusOK {
			t.Fatalf("forgot %s: %d", email, p.Status)
		}
		return p.Body
	}
	if forgot(known.Email) != forgot("niemand@stadt.example") || forgot(disabled.Email) != forgot("niemand@stadt.example") {
		t.Error("the forgot-password answer differs between known and unknown addresses")
	}
	resets := func(addr string) (n int) {
		for _, m := range h.mails(addr) {
			if strings.Contains(m.Body, "/password/reset/") {
				n++
			}
		}
		return n
	}
	if n := resets(known.Email); n != 1 {
		t.Errorf("%d reset mails to the known address, want 1", n)
	}
	if n := resets(disabled.Email); n != 0 {
		t.Errorf("a disabled account got %d reset mails", n)
	}
}

func TestSessionIDChangesAtSignInAndDiesAtSignOut(t *testing.T) {
	h := newHarness(t)
	attacker, victim := h.user(account.RoleLearner), h.user(account.RoleLearner)

	// Session fixation: a session id planted in the victim's browser is replaced at sign-in.
	a := h.browser()
	a.signIn(attacker.Email, attacker.Password)
	planted := a.cookie(sessionCookie)
	b := h.browser()
	b.setCookie(sessionCookie, planted)
	b.signIn(victim.Email, victim.Password)
	if got := b.cookie(sessionCookie); got == "" || got == planted {
		t.Fatal("the session id did not change at sign-in")
	}
	if p := a.get("/account"); p.Status != http.StatusSeeOther {
		t.Error("the planted session still works")
	}

	// A copied cookie replayed after sign-out gets the sign-in page.
	stolen := b.cookie(sessionCookie)
	b.post("/logout", nil)
	thief := h.browser()
	thief.setCookie(sessionCookie, stolen)
	if p := thief.get("/account"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("replayed cookie: %d → %q", p.Status, p.Location())
	}
}

func TestDisablingEndsALiveSession(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	u := h.user(account.RoleLearner)
	b := h.browser()
	b.signIn(u.Email, u.Password)
	if p := b.get("/account"); p.Status != http.StatusOK {
		t.Fatalf("signed in: %d", p.Status)
	}
	if err := h.acc.Disable(t.Context(), audit.Actor{ID: admin.ID, Email: admin.Email, IP: "127.0.0.1"}, u.ID); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/account"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("disabled user's next request: %d → %q", p.Status, p.Location())
	}
	// A session that somehow outlived the status change is dropped on its next request.
	h.exec(`UPDATE users SET status = 'approved' WHERE id = ?`, u.ID)
	b.signIn(u.Email, u.Password)
	h.exec(`UPDATE users SET status = 'disabled' WHERE id = ?`, u.ID)
	if p := b.get("/account"); p.Status != http.StatusSeeOther {
		t.Fatalf("session of a disabled account: %d", p.Status)
	}
	if h.count(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID) != 0 {
		t.Error("the session row of a disabled account was kept")
	}
}

// The idle limit is the role's: 30 minutes for trainers and admins, two hours for learners; every
// session ends 12 hours after sign-in (docs/security.md).
func TestSessionTimeouts(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		role account.Role
		idle time.Duration
	}{{account.RoleTrainer, 30 * time.Minute}, {account.RoleAdmin, 30 * time.Minute}, {account.RoleLearner, 2 * time.Hour}} {
		u := h.user(tc.role)
		b := h.browser()
		b.signIn(u.Email, u.Password)
		h.clock.Advance(tc.idle - time.Minute)
		if p := b.get("/account"); p.Status != http.StatusOK {
			t.Fatalf("%s after %v idle: %d", tc.role, tc.idle-time.Minute, p.Status)
		}
		h.clock.Advance(tc.idle)
		if p := b.get("/account"); p.Status != http.StatusSeeOther {
			t.Fatalf("%s after %v idle: %d", tc.role, tc.idle, p.Status)
		}

		b.signIn(u.Email, u.Password)
		for elapsed := 20 * time.Minute; elapsed < 12*time.Hour; elapsed += 20 * time.Minute {
			h.clock.Advance(20 * time.Minute)
			if p := b.get("/account"); p.Status != http.StatusOK {
				t.Fatalf("%s: busy session ended after %v", tc.role, elapsed)
			}
		}
		h.clock.Advance(20 * time.Minute)
		if p := b.get("/account"); p.Status != http.StatusSeeOther {
			t.Fatalf("%s: session alive after 12 hours", tc.role)
		}
	}
}

func TestSignInFormEdges(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)

	for name, header := range map[string]http.Header{
		"Sec-Fetch-Site": {"Sec-Fetch-Site": {"cross-site"}},
		"Origin":         {"Origin": {"https://evil.example"}},
	} {
		b := h.browser()
		p := b.postWith("/login", url.Values{"email": {u.Email}, "password": {u.Password}}, header)
		if p.Status != http.StatusForbidden || b.cookie(sessionCookie) != "" {
			t.Errorf("cross-site sign-in (%s): %d", name, p.Status)
		}
	}

	b := h.browser()
	if p := b.post("/login", url.Values{"email": {""}, "password": {""}}); p.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.Body, `id="e-email"`) || !strings.Contains(p.Body, `id="e-password"`) {
		t.Errorf("empty form: %d", p.Status)
	}
	// ?next= brings the user back, but never to another site.
	if p := b.get("/account"); p.Location() != "/login?next=%2Faccount" {
		t.Fatalf("anonymous /account → %q", p.Location())
	}
	if p := b.get("/login?next=%2Faccount"); !strings.Contains(p.Body, `name="next" value="/account"`) {
		t.Error("the sign-in form lost next")
	}
	p := b.post("/login", url.Values{"email": {u.Email}, "password": {u.Password}, "next": {"/account"}})
	if p.Location() != "/account" {
		t.Errorf("next: → %q", p.Location())
	}
	b.post("/logout", nil)
	p = b.post("/login", url.Values{"email": {u.Email}, "password": {u.Password}, "next": {"//evil.example/x"}})
	if p.Location() != "/" {
		t.Errorf("open redirect: → %q", p.Location())
	}
	if p := b.get("/login"); p.Status != http.StatusSeeOther {
		t.Error("a signed-in user sees the sign-in form")
	}
	// Behind the gate, an anonymous POST is not refused but asked to sign in (and nothing changes).
	if p := h.browser().post("/account/password", url.Values{}); p.Status != http.StatusOK || loginFormFields(p).Get("next") != "/account" {
		t.Errorf("anonymous POST behind the gate: %d", p.Status)
	}
	if p := h.browser().post("/logout", nil); p.Status != http.StatusSeeOther {
		t.Errorf("anonymous logout: %d", p.Status)
	}
}
