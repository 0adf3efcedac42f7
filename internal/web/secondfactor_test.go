package web_test

import (
	"bytes"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
)

var secretPattern = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)
var recoveryPattern = regexp.MustCompile(`<li><code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code></li>`)

// signedInAs reports whether b's session opens the account page.
func signedInAs(b *browser) bool {
	return b.get("/account").Status == http.StatusOK
}

// An admin without a second factor sets it up at sign-in, before any page opens; the enrolment
// shows the secret as text and as a QR code and is confirmed with a code; the recovery codes are
// shown once.
func TestSecondFactorEnrolmentAtSignIn(t *testing.T) {
	h := newHarness(t)
	admin := h.userWith(userSpec{Role: account.RoleAdmin, NoFactor: true})
	b := h.browser()
	p := b.post("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}})
	if p.Status != http.StatusSeeOther || p.Location() != "/login/enrol" {
		t.Fatalf("password of an admin without a second factor: %d → %q", p.Status, p.Location())
	}
	// The half-session opens nothing behind the gate.
	if got := b.get("/admin/users"); got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location(), "/login?next=") {
		t.Errorf("admin page during enrolment: %d → %q", got.Status, got.Location())
	}
	// A POST behind the gate gets the sign-in page (never 403, see the session rules) and does nothing.
	if got := b.post("/account/language", url.Values{"language": {"en"}}); got.Status != http.StatusOK || !strings.Contains(got.Body, `action="/login"`) {
		t.Errorf("POST behind the gate during enrolment: %d", got.Status)
	}

	page := b.get("/login/enrol")
	m := secretPattern.FindStringSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil || !strings.Contains(page.Body, `src="/login/enrol/qr.png"`) {
		t.Fatalf("enrolment page: %d\n%s", page.Status, page.Body)
	}
	admin.Secret = strings.ReplaceAll(m[1], " ", "")
	qr := b.get("/login/enrol/qr.png")
	if qr.Status != http.StatusOK || qr.Header.Get("Content-Type") != "image/png" || qr.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("QR code: %d %v", qr.Status, qr.Header)
	}
	if _, err := png.Decode(bytes.NewReader([]byte(qr.Body))); err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	// The secret in the database is sealed: the base32 text is not in it.
	if n := h.count(`SELECT count(*) FROM second_factors WHERE instr(secret, ?) > 0`, admin.Secret); n != 0 {
		t.Error("the second-factor secret is stored in clear")
	}

	if got := b.post("/login/enrol", url.Values{"code": {"000000"}}); got.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(got.Body, `id="e-code"`) {
		t.Errorf("wrong first code: %d", got.Status)
	}
	done := b.post("/login/enrol", url.Values{"code": {h.code(admin)}})
	codes := recoveryPattern.FindAllStringSubmatch(done.Body, -1)
	if done.Status != http.StatusOK || len(codes) != account.RecoveryCount {
		t.Fatalf("confirmed enrolment: %d, %d recovery codes\n%s", done.Status, len(codes), done.Body)
	}
	if !signedInAs(b) || b.get("/admin/users").Status != http.StatusOK {
		t.Error("not signed in after the enrolment")
	}
	if n := h.count(`SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, admin.ID); n != account.RecoveryCount {
		t.Errorf("%d recovery codes stored", n)
	}
	for _, c := range codes {
		if n := h.count(`SELECT count(*) FROM recovery_codes WHERE instr(hash, ?) > 0`, c[1]); n != 0 {
			t.Error("a recovery code is stored in clear")
		}
	}
	// The codes are not shown again.
	if p := b.get("/account/second-factor"); recoveryPattern.MatchString(p.Body) {
		t.Error("the account page shows recovery codes again")
	}
}

// Sign-in asks for the code after the password; a wrong code is refused, the right one signs in,
// and a code that was used once is never taken again.
func TestSecondFactorSignInAndReplay(t *testing.T) {
	h := newHarness(t)
	trainer := h.user(account.RoleTrainer)
	b := h.browser()
	p := b.post("/login", url.Values{"email": {trainer.Email}, "password": {trainer.Password}, "next": {"/trainer"}})
	if p.Location() != "/login/code" {
		t.Fatalf("password of a trainer with a second factor: %d → %q", p.Status, p.Location())
	}
	if signedInAs(b) {
		t.Fatal("signed in with the password alone")
	}
	form := b.get("/login/code")
	if !strings.Contains(form.Body, `name="code"`) || !strings.Contains(form.Body, `autocomplete="one-time-code"`) {
		t.Errorf("code form:\n%s", form.Body)
	}
	if got := b.post("/login/code", url.Values{"code": {"123456"}}); got.Status != http.StatusUnprocessableEntity {
		t.Errorf("wrong code: %d", got.Status)
	}
	code := h.code(trainer)
	if got := b.post("/login/code", url.Values{"code": {code}}); got.Status != http.StatusSeeOther || got.Location() != "/trainer" {
		t.Fatalf("right code: %d → %q", got.Status, got.Location())
	}
	if !signedInAs(b) {
		t.Fatal("not signed in after the code")
	}

	// The same code again, in the same 30 seconds, from another browser that knows the password.
	other := h.browser()
	other.post("/login", url.Values{"email": {trainer.Email}, "password": {trainer.Password}})
	if got := other.post("/login/code", url.Values{"code": {code}}); got.Status != http.StatusUnprocessableEntity || signedInAs(other) {
		t.Errorf("replayed code: %d", got.Status)
	}
	// A code of an older step than the one used is refused too, also a minute later.
	h.clock.Advance(time.Minute)
	old := totpAt(t, trainer.Secret, trainer.lastStep-1)
	other.post("/login", url.Values{"email": {trainer.Email}, "password": {trainer.Password}})
	if got := other.post("/login/code", url.Values{"code": {old}}); got.Status != http.StatusUnprocessableEntity {
		t.Errorf("older code: %d", got.Status)
	}
	if got := other.post("/login/code", url.Values{"code": {h.code(trainer)}}); got.Status != http.StatusSeeOther {
		t.Errorf("fresh code: %d", got.Status)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'login.succeeded' AND target_id = ? AND detail = 'second factor: app code'`, trainer.ID); n != 2 {
		t.Errorf("%d sign-ins with the second factor audited, want 2", n)
	}
}

// A recovery code signs in once; the same code a second time does not.
func TestSecondFactorRecoveryCodeUsedOnce(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	rc := strings.ToLower(strings.ReplaceAll(admin.Recovery[3], "-", "")) // as someone might type it
	for i, want := range []int{http.StatusSeeOther, http.StatusUnprocessableEntity} {
		b := h.browser()
		b.post("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}})
		if got := b.post("/login/code", url.Values{"code": {rc}}); got.Status != want {
			t.Errorf("recovery code, use %d: %d, want %d", i+1, got.Status, want)
		}
	}
	if n := h.count(`SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, admin.ID); n != account.RecoveryCount-1 {
		t.Errorf("%d unused recovery codes, want %d", n, account.RecoveryCount-1)
	}
	b := h.browser()
	b.signIn(admin.Email, admin.Password)
	if p := b.get("/account/second-factor"); !strings.Contains(p.Body, "9") {
		t.Errorf("the account page does not count 9 codes left:\n%s", p.Body)
	}
}

// Code guesses are throttled like passwords: after five wrong codes the account waits, even for
// the right code, and signing in with the password again does not clear the count.
func TestSecondFactorThrottled(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	b := h.browser()
	b.post("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}})
	for i := range 5 {
		if got := b.post("/login/code", url.Values{"code": {"000000"}}); got.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code %d: %d", i+1, got.Status)
		}
		h.clock.Advance(time.Second)
	}
	// The right password again: the failures of the code stay counted.
	b2 := h.browser()
	if p := b2.post("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}); p.Status != http.StatusTooManyRequests {
		t.Errorf("password after five wrong codes: %d, want 429", p.Status)
	}
	got := b.post("/login/code", url.Values{"code": {h.code(admin)}})
	if got.Status != http.StatusTooManyRequests || got.Header.Get("Retry-After") == "" || signedInAs(b) {
		t.Fatalf("right code while throttled: %d", got.Status)
	}
	h.clock.Advance(31 * time.Second)
	b.post("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}) // the half-session's time ran on
	if got := b.post("/login/code", url.Values{"code": {h.code(admin)}}); got.Status != http.StatusSeeOther {
		t.Errorf("right code after waiting: %d\n%s", got.Status, got.Body)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND detail = 'wrong second-factor code'`); n != 5 {
		t.Errorf("%d wrong codes audited, want 5", n)
	}
}

// An admin resets another user's second factor: audited, the user's sessions end, they are told
// by e-mail, and their next sign-in sets up a new factor.
func TestSecondFactorAdminReset(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	trainer := h.user(account.RoleTrainer)
	tb := h.browser()
	tb.signIn(trainer.Email, trainer.Password)
	ab := h.browser()
	ab.signIn(admin.Email, admin.Password)
	if p := ab.get("/admin/users/" + itoa(trainer.ID)); !strings.Contains(p.Body, "/second-factor/reset") {
		t.Fatal("the user page offers no reset of the second factor")
	}
	p := ab.post("/admin/users/"+itoa(trainer.ID)+"/second-factor/reset", url.Values{})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", p.Status, p.Body)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'second_factor.reset' AND actor_id = ? AND target_id = ?`, admin.ID, trainer.ID); n != 1 {
		t.Errorf("%d audit lines of the reset", n)
	}
	if signedInAs(tb) {
		t.Error("the trainer's session survived the reset")
	}
	ms := h.mails(trainer.Email)
	if len(ms) == 0 || !strings.Contains(ms[len(ms)-1].Subject, "zweiter Faktor wurde zurückgesetzt") {
		t.Errorf("no reset mail to the trainer: %+v", ms)
	}
	// A second reset has nothing to reset.
	if p := ab.post("/admin/users/"+itoa(trainer.ID)+"/second-factor/reset", url.Values{}); p.Status != http.StatusConflict {
		t.Errorf("second reset: %d", p.Status)
	}
	// Own factor: not through this route.
	if p := ab.post("/admin/users/"+itoa(admin.ID)+"/second-factor/reset", url.Values{}); p.Status != http.StatusConflict {
		t.Errorf("reset of one's own factor: %d", p.Status)
	}
	b := h.browser()
	if p := b.post("/login", url.Values{"email": {trainer.Email}, "password": {trainer.Password}}); p.Location() != "/login/enrol" {
		t.Errorf("sign-in after the reset: → %q, want the enrolment", p.Location())
	}
}

// A learner's second factor is voluntary: on under /account, asked at the next sign-in, off again
// with a code.
func TestSecondFactorOptionalForLearners(t *testing.T) {
	h := newHarness(t)
	learner := h.user(account.RoleLearner)
	b := h.browser()
	b.signIn(learner.Email, learner.Password) // no code asked
	if p := b.get("/account"); !strings.Contains(p.Body, "/account/second-factor") {
		t.Fatal("the account page does not lead to the second factor")
	}
	if p := b.post("/account/second-factor/enrol", url.Values{}); p.Status != http.StatusSeeOther {
		t.Fatalf("start enrolment: %d", p.Status)
	}
	page := b.get("/account/second-factor")
	m := secretPattern.FindStringSubmatch(page.Body)
	if m == nil || !strings.Contains(page.Body, `src="/account/second-factor/qr.png"`) {
		t.Fatalf("enrolment page:\n%s", page.Body)
	}
	learner.Secret = strings.ReplaceAll(m[1], " ", "")
	if qr := b.get("/account/second-factor/qr.png"); qr.Status != http.StatusOK {
		t.Errorf("QR: %d", qr.Status)
	}
	if p := b.post("/account/second-factor/confirm", url.Values{"code": {h.code(learner)}}); len(recoveryPattern.FindAllString(p.Body, -1)) != account.RecoveryCount {
		t.Fatalf("confirm: %d\n%s", p.Status, p.Body)
	}
	h.known[strings.ToLower(learner.Email)] = learner
	nb := h.browser()
	if p := nb.post("/login", url.Values{"email": {learner.Email}, "password": {learner.Password}}); p.Location() != "/login/code" {
		t.Fatalf("sign-in with the factor on: → %q", p.Location())
	}
	nb.post("/login/code", url.Values{"code": {h.code(learner)}})
	if p := nb.post("/account/second-factor/disable", url.Values{"code": {"111111"}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("disable with a wrong code: %d", p.Status)
	}
	if p := nb.post("/account/second-factor/disable", url.Values{"code": {h.code(learner)}}); p.Status != http.StatusSeeOther {
		t.Errorf("disable: %d", p.Status)
	}
	if p := h.browser().post("/login", url.Values{"email": {learner.Email}, "password": {learner.Password}}); p.Location() != "/" {
		t.Errorf("sign-in after switching off: → %q", p.Location())
	}
}

// Admins and trainers cannot switch their factor off; the page does not even offer it.
func TestSecondFactorRequiredRolesKeepIt(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	b := h.browser()
	b.signIn(admin.Email, admin.Password)
	if p := b.get("/account/second-factor"); strings.Contains(p.Body, "/account/second-factor/disable") {
		t.Error("an admin is offered to switch the second factor off")
	}
	if p := b.post("/account/second-factor/disable", url.Values{"code": {h.code(admin)}}); p.Status != http.StatusConflict {
		t.Errorf("admin switching off: %d", p.Status)
	}
	if n := h.count(`SELECT count(*) FROM second_factors WHERE user_id = ? AND confirmed_at IS NOT NULL`, admin.ID); n != 1 {
		t.Error("the admin's factor is gone")
	}
}

// A reset link sets the password but does not open an account with a second factor by itself,
// and a half-session that is left too long ends.
func TestSecondFactorAfterResetLinkAndTimeout(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	b := h.browser()
	b.post("/password/forgot", url.Values{"email": {admin.Email}})
	link := h.lastLink(admin.Email, "/password/reset/")
	p := b.post(link, url.Values{"password": {"Neues Passwort im Mai 2026"}, "password_confirm": {"Neues Passwort im Mai 2026"}})
	if p.Status != http.StatusSeeOther || p.Location() != "/login/code" {
		t.Fatalf("reset link of an admin: %d → %q", p.Status, p.Location())
	}
	if signedInAs(b) {
		t.Fatal("the reset link signed in without the second factor")
	}
	h.clock.Advance(16 * time.Minute)
	if p := b.post("/login/code", url.Values{"code": {h.code(admin)}}); p.Status != http.StatusSeeOther || p.Location() != "/login?restart=1" {
		t.Errorf("code after the half-session expired: %d → %q", p.Status, p.Location())
	}
	if signedInAs(b) {
		t.Error("signed in after the half-session expired")
	}
}

// A learner made admin (or trainer) does not carry the new power in the session they signed into
// with a password alone: the role change ends it, and the next sign-in asks for the enrolment.
func TestPromotionEndsTheSessionUntilEnrolment(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	for _, role := range []account.Role{account.RoleAdmin, account.RoleTrainer} {
		learner := h.userWith(userSpec{Role: account.RoleLearner, NoFactor: true})
		lb := h.browser()
		lb.signIn(learner.Email, learner.Password)
		ab := h.browser()
		ab.signIn(admin.Email, admin.Password)
		if p := ab.post("/admin/users/"+itoa(learner.ID)+"/role", url.Values{"role": {string(role)}}); p.Status != http.StatusSeeOther {
			t.Fatalf("make %s: %d\n%s", role, p.Status, p.Body)
		}
		for _, path := range []string{"/admin", "/admin/users", "/trainer", "/account"} {
			if got := lb.get(path); got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location(), "/login?next=") {
				t.Errorf("%s: the old session opens %s after the promotion: %d → %q", role, path, got.Status, got.Location())
			}
		}
		b := h.browser()
		if p := b.post("/login", url.Values{"email": {learner.Email}, "password": {learner.Password}}); p.Location() != "/login/enrol" {
			t.Errorf("%s: sign-in after the promotion → %q, want the enrolment", role, p.Location())
		}
	}
}
