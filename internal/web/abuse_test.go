package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/audit"
	"saferspaces/internal/i18n"
)

// 30 registrations from one client address, all for one victim's address: only the first is
// stored and mailed; the address limit and the per-target limit answer the rest with 429 in the
// layout, and the victim and the admin get one mail each. Then 30 for different addresses from
// one client: the client address limit lets 10 through.
func TestRegistrationBurstsAreLimited(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	b := h.browser()
	count := map[int]int{}
	for i := range 30 {
		form := regForm("opfer@stadt.example")
		form.Set("name", fmt.Sprintf("Angreifer %d", i))
		p := b.post("/register", form)
		count[p.Status]++
		if p.Status == http.StatusTooManyRequests && (p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, "<main") ||
			!strings.Contains(p.Body, "Zu viele") || !strings.Contains(p.Body, `href="/privacy"`)) {
			t.Fatalf("429 not a page in the layout with Retry-After:\n%s", p.Body)
		}
	}
	if count[http.StatusSeeOther] != 3 || count[http.StatusTooManyRequests] != 27 {
		t.Errorf("30 registrations for one target: %v, want 3 answered (one stored, two duplicates) and 27 × 429", count)
	}
	if got := len(h.mails("opfer@stadt.example")); got != 1 {
		t.Errorf("the victim got %d mails, want 1", got)
	}
	if got := countSubject(h.mails(admin.Email), "Neue Registrierung"); got != 1 {
		t.Errorf("the admin got %d registration notices, want 1", got)
	}

	// Different targets from one client address (another one than above).
	other := newHarness(t)
	otherAdmin := other.user(account.RoleAdmin)
	ob := other.browser()
	count = map[int]int{}
	for i := range 30 {
		p := ob.post("/register", regForm(fmt.Sprintf("person%d@stadt.example", i)))
		count[p.Status]++
	}
	if count[http.StatusSeeOther] != 10 || count[http.StatusTooManyRequests] != 20 {
		t.Errorf("30 registrations from one address: %v, want 10 stored and 20 × 429", count)
	}
	if n := other.count(`SELECT count(*) FROM users WHERE status = 'pending'`); n != 10 {
		t.Errorf("%d applicants stored", n)
	}
	if got := countSubject(other.mails(otherAdmin.Email), "Neue Registrierung"); got != 10 {
		t.Errorf("the admin got %d notices, want 10", got)
	}
	// An hour later the address may register again.
	other.clock.Advance(time.Hour)
	if p := ob.post("/register", regForm("spaeter@stadt.example")); p.Status != http.StatusSeeOther {
		t.Errorf("an hour later: %d", p.Status)
	}
}

// The hourly cap on mail holds across client addresses: once the outbox has taken the cap's worth
// of the public forms' mail within the hour, they answer 429 whoever sends them. Mail that staff
// cause does not count: accounts an admin creates (an activation mail each) leave the forms open.
func TestHourlyMailCap(t *testing.T) {
	h := newHarness(t, func(p *app.Parts) {
		p.Config.MailHourlyCap = 6
		p.Config.TrustedProxies = "127.0.0.1"
	})
	for range 3 {
		h.user(account.RoleAdmin) // each registration notifies every admin: not counted
	}
	for range 10 {
		h.user(account.RoleLearner) // 13 activation mails in all, more than the cap, none public
	}
	statuses := []int{}
	for i := range 8 {
		b := h.browser()
		p := b.postWith("/register", regForm(fmt.Sprintf("p%d@stadt.example", i)), http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}})
		statuses = append(statuses, p.Status)
	}
	// One counted mail per registration (to the applicant): the seventh and eighth are refused.
	if fmt.Sprint(statuses) != "[303 303 303 303 303 303 429 429]" {
		t.Errorf("statuses %v", statuses)
	}
	if p := h.browser().postWith("/password/forgot", url.Values{"email": {"x@stadt.example"}}, http.Header{"X-Forwarded-For": {"203.0.113.9"}}); p.Status != http.StatusTooManyRequests {
		t.Errorf("reset form over the cap: %d", p.Status)
	}
	h.clock.Advance(61 * time.Minute)
	if p := h.browser().postWith("/register", regForm("neu@stadt.example"), http.Header{"X-Forwarded-For": {"203.0.113.10"}}); p.Status != http.StatusSeeOther {
		t.Errorf("after the hour: %d", p.Status)
	}
}

// "Forgot password" is limited per client address too.
func TestForgotIsLimitedPerAddress(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	count := map[int]int{}
	for i := range 15 {
		p := b.post("/password/forgot", url.Values{"email": {fmt.Sprintf("x%d@stadt.example", i)}})
		count[p.Status]++
	}
	if count[http.StatusOK] != 10 || count[http.StatusTooManyRequests] != 5 {
		t.Errorf("15 reset requests from one address: %v", count)
	}
}

// Names, organisation and position with control characters, line breaks, invalid UTF-8 or bidi
// overrides get a message under their own field.
func TestRegisterRefusesControlCharactersPerField(t *testing.T) {
	h := newHarness(t)
	for field, value := range map[string]string{
		"name":         "Erika\r\n\r\nBcc: x@evil.example",
		"organisation": "Stadt \xff Beispiel",
		"position":     "Leitung \u202Egnutiel",
	} {
		form := regForm("feld@stadt.example")
		form.Set(field, value)
		p := h.browser().post("/register", form)
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="e-`+field+`"`) || strings.Count(p.Body, `aria-invalid="true"`) != 1 {
			t.Errorf("%s=%q: %d", field, value, p.Status)
		}
	}
	if n := h.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d stored", n)
	}
}

func countSubject(ms []sentMail, part string) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(m.Subject, part) {
			n++
		}
	}
	return n
}

// An attacker who guesses passwords for an admin's address locks the address — but not the
// admin's browser that signed in before: it still signs in with the right password, while
// everybody else (a fresh browser with the right password too) is refused until the wait is over.
func TestRememberedBrowserSignsInWhileAccountIsThrottled(t *testing.T) {
	h := newHarness(t, func(p *app.Parts) { p.Config.TrustedProxies = "127.0.0.1" })
	admin := h.user(account.RoleAdmin)
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }

	owner := h.browser()
	if p := owner.postWith("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}, from("192.0.2.10")); p.Status != http.StatusSeeOther {
		t.Fatalf("first sign-in: %d", p.Status)
	} else {
		owner.secondStep(admin.Email, p)
	}
	if owner.cookie("saferspaces_device") == "" {
		t.Fatal("no device cookie after a successful sign-in")
	}
	owner.post("/logout", nil)

	attacker := h.browser()
	for i := range 12 {
		attacker.postWith("/login", url.Values{"email": {admin.Email}, "password": {fmt.Sprintf("falsch geraten %d", i)}}, from("203.0.113.66"))
	}
	if p := attacker.postWith("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}, from("203.0.113.66")); p.Status != http.StatusTooManyRequests {
		t.Fatalf("the attacker is not throttled: %d", p.Status)
	}
	stranger := h.browser()
	if p := stranger.postWith("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}, from("198.51.100.20")); p.Status != http.StatusTooManyRequests {
		t.Errorf("an unknown browser with the right password: %d, want 429 (the throttle holds for everybody else)", p.Status)
	}
	if p := owner.postWith("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}, from("192.0.2.10")); p.Status != http.StatusSeeOther {
		t.Fatalf("the remembered browser is locked out: %d\n%s", p.Status, p.Body)
	} else {
		owner.secondStep(admin.Email, p)
	}
	if p := owner.get("/admin/users"); p.Status != http.StatusOK {
		t.Errorf("signed in, admin page: %d", p.Status)
	}
	// The owner's sign-in did not lift the throttle for the others.
	if p := stranger.postWith("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}, from("198.51.100.20")); p.Status != http.StatusTooManyRequests {
		t.Errorf("after the owner signed in, a stranger: %d, want 429", p.Status)
	}
	// A stolen device cookie is worth nothing for another account, and a made-up one nothing at all.
	other := h.user(account.RoleLearner)
	thief := h.browser()
	thief.setCookie("saferspaces_device", owner.cookie("saferspaces_device"))
	for range 7 {
		thief.post("/login", url.Values{"email": {other.Email}, "password": {"falsch falsch falsch"}})
	}
	if p := thief.post("/login", url.Values{"email": {other.Email}, "password": {other.Password}}); p.Status != http.StatusTooManyRequests {
		t.Errorf("another account's device cookie bypassed the throttle: %d", p.Status)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'login.succeeded' AND detail LIKE '%remembered browser%'`); n != 1 {
		t.Errorf("%d audited sign-ins by a remembered browser", n)
	}
}

// Behind https the session and device cookies carry the __Host- prefix (Secure, Path=/, no Domain).
func TestHostPrefixedCookiesBehindHTTPS(t *testing.T) {
	h := newHarness(t, func(p *app.Parts) { p.Config.BaseURL = "https://training.stadt.example" })
	u := h.user(account.RoleLearner)
	p := h.browser().post("/login", url.Values{"email": {u.Email}, "password": {u.Password}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.Status)
	}
	var names []string
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		names = append(names, c.Name)
		if !c.Secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly {
			t.Errorf("cookie %s: %+v", c.Name, c)
		}
	}
	slices.Sort(names)
	if strings.Join(names, " ") != "__Host-saferspaces_device __Host-saferspaces_session" {
		t.Errorf("cookies %v", names)
	}
}

// A token never reaches the request log, however the path is spelled.
func TestTokensNeverLogged(t *testing.T) {
	h := newHarness(t)
	token := "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZn"
	for _, path := range []string{"/activate/" + token, "//activate/" + token, "/./activate/" + token, "/x/../activate/" + token,
		"/password/reset/" + token, "//password//reset/" + token, "/password/./reset/" + token, "/activate//" + token + "/"} {
		h.browser().get(path)
	}
	if logs := h.logs.String(); strings.Contains(logs, token) || strings.Contains(logs, token[:20]) {
		t.Errorf("a token is in the log:\n%s", logs)
	}
	if !strings.Contains(h.logs.String(), `path=/activate/{token}`) {
		t.Error("requests not logged")
	}
}

// Someone whose activation link expired asks for a new one: the same answer for every address,
// a mail only for an approved account without a password.
func TestActivationLinkRenewal(t *testing.T) {
	h := newHarness(t)
	waiting := h.userWith(userSpec{NotActivated: true})
	active := h.user(account.RoleLearner)
	old := h.lastLink(waiting.Email, "/activate/")
	h.clock.Advance(73 * time.Hour)
	p := h.browser().get(old)
	if p.Status != http.StatusGone || !strings.Contains(p.Body, `href="/activation/new"`) {
		t.Fatalf("expired link page: %d", p.Status)
	}
	answers := map[string]string{}
	for _, email := range []string{waiting.Email, active.Email, "niemand@stadt.example"} {
		p := h.browser().post("/activation/new", url.Values{"email": {email}})
		if p.Status != http.StatusOK {
			t.Fatalf("%s: %d", email, p.Status)
		}
		answers[email] = p.Body
	}
	if answers[waiting.Email] != answers[active.Email] || answers[active.Email] != answers["niemand@stadt.example"] {
		t.Error("the answers differ between addresses")
	}
	fresh := h.lastLink(waiting.Email, "/activate/")
	if fresh == old {
		t.Fatal("no new link")
	}
	if p := h.browser().get(fresh); p.Status != http.StatusOK {
		t.Errorf("new link: %d", p.Status)
	}
	if got := len(h.mails(active.Email)); got != 1 { // the harness's own activation mail
		t.Errorf("the active account got %d mails", got)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'activation.requested' AND actor LIKE 'typed:%'`); n != 1 {
		t.Errorf("unknown address audited %d times as a keyed hash", n)
	}
}

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// The data export holds everything about the user — profile with rejection reason and cohort
// request, acceptances, sessions, remembered browsers, mails, audit lines, learning — with
// snake_case keys throughout.
func TestExportIsCompleteAndSnakeCase(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)
	b := h.browser()
	b.signIn(u.Email, u.Password)
	p := b.get("/account/export.json")
	if p.Status != http.StatusOK {
		t.Fatalf("export: %d", p.Status)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(p.Body), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !snakeKey.MatchString(k) && !strings.HasPrefix(path, "learning.self_check_attempts.answers") {
					t.Errorf("key %s.%s is not snake_case", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path, x)
			}
		}
	}
	walk("", doc)
	for _, key := range []string{"profile", "declaration_acceptances", "sessions", "remembered_browsers", "security_events", "mails",
		"accessibility_feedback", "learning"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("export lacks %s", key)
		}
	}
	profile := doc["profile"].(map[string]any)
	for _, key := range []string{"rejection_reason", "requested_cohort_code", "email", "name"} {
		if _, ok := profile[key]; !ok {
			t.Errorf("profile lacks %s", key)
		}
	}
	if len(doc["sessions"].([]any)) != 1 || len(doc["mails"].([]any)) != 1 || len(doc["remembered_browsers"].([]any)) != 1 ||
		len(doc["security_events"].([]any)) < 2 || len(doc["declaration_acceptances"].([]any)) != 1 {
		t.Errorf("export sections: %s", p.Body)
	}
}

// Registrations refused before anything is stored or mailed (here: against an outdated
// declaration) do not use up the address's allowance: three of them, sent by anyone, must not
// keep the address's owner from registering for hours.
func TestRefusedRegistrationsLeaveTheAddressFree(t *testing.T) {
	h := newHarness(t, func(p *app.Parts) { p.Config.TrustedProxies = "127.0.0.1" })
	if _, err := h.acc.PublishDeclaration(t.Context(), audit.CLI, map[i18n.Lang]string{"de": "Zweite Fassung", "en": "Second version"}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		p := h.browser().postWith("/register", regForm("opfer@stadt.example"), http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}})
		if p.Status != http.StatusConflict {
			t.Fatalf("registration against the old declaration: %d", p.Status)
		}
	}
	form := regForm("opfer@stadt.example")
	form.Set("declaration_version", "3")
	if p := h.browser().postWith("/register", form, http.Header{"X-Forwarded-For": {"203.0.113.7"}}); p.Status != http.StatusSeeOther {
		t.Errorf("the owner's own registration afterwards: %d (Retry-After %q), want 303", p.Status, p.Header.Get("Retry-After"))
	}
	if n := h.count(`SELECT count(*) FROM users WHERE email = 'opfer@stadt.example'`); n != 1 {
		t.Errorf("%d applicants stored", n)
	}
}

// An IPv6 client may use any address of its /64 for each request; the per-address limits count
// the /64, so "forgot password" from one office's prefix stops after ten, while another prefix
// is not affected.
func TestLimitsCountAnIPv6ClientByItsPrefix(t *testing.T) {
	h := newHarness(t, func(p *app.Parts) { p.Config.TrustedProxies = "127.0.0.1" })
	count := map[int]int{}
	for i := range 15 {
		p := h.browser().postWith("/password/forgot", url.Values{"email": {fmt.Sprintf("x%d@stadt.example", i)}},
			http.Header{"X-Forwarded-For": {fmt.Sprintf("2001:db8:1:2::%x", i+1)}})
		count[p.Status]++
	}
	if count[http.StatusOK] != 10 || count[http.StatusTooManyRequests] != 5 {
		t.Errorf("15 requests from 15 addresses of one /64: %v, want 10 answered and 5 × 429", count)
	}
	if p := h.browser().postWith("/password/forgot", url.Values{"email": {"y@stadt.example"}},
		http.Header{"X-Forwarded-For": {"2001:db8:1:3::1"}}); p.Status != http.StatusOK {
		t.Errorf("another /64: %d", p.Status)
	}
}

// Behind a town hall's shared address, 50 failed sign-ins (a faulty script, a guesser) stop every
// sign-in from the address for 15 minutes — except a remembered browser signing in to its own
// account, which the guesser cannot use.
func TestRememberedBrowserIsNotHeldByItsAddressCap(t *testing.T) {
	h := newHarness(t, func(p *app.Parts) { p.Config.TrustedProxies = "127.0.0.1" })
	admin := h.user(account.RoleAdmin)
	townHall := http.Header{"X-Forwarded-For": {"192.0.2.10"}}
	owner := h.browser()
	if p := owner.postWith("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}, townHall); p.Status != http.StatusSeeOther {
		t.Fatalf("first sign-in: %d", p.Status)
	} else {
		owner.secondStep(admin.Email, p)
	}
	owner.post("/logout", nil)
	script := h.browser()
	for i := range 50 {
		script.postWith("/login", url.Values{"email": {fmt.Sprintf("probe%d@stadt.example", i%10)}, "password": {"falsch falsch"}}, townHall)
		if i%10 == 9 {
			h.clock.Advance(31 * time.Second)
		}
	}
	colleague := h.user(account.RoleLearner)
	if p := h.browser().postWith("/login", url.Values{"email": {colleague.Email}, "password": {colleague.Password}}, townHall); p.Status != http.StatusTooManyRequests {
		t.Fatalf("a new browser behind the address after 50 failures: %d, want 429", p.Status)
	}
	if p := owner.postWith("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}, townHall); p.Status != http.StatusSeeOther {
		t.Errorf("the remembered browser behind the address: %d, want 303", p.Status)
	}
}
