package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// loginFormFields returns the hidden fields of the sign-in form on p, or nil if p has none.
func loginFormFields(p *page) url.Values {
	i := strings.Index(p.Body, `<form method="post" action="/login"`)
	if i < 0 {
		return nil
	}
	form := p.Body[i:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(form, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// No lost work: a POST to every route a learner uses, sent with a session that has expired or
// that the server does not know, never gets a 403. It is answered with the sign-in page, which
// says so; signing in there returns to the page — and finishes "mark as done", and brings the
// self-check answers back as the draft.
func TestPostWithoutSessionLeadsBackAfterSignIn(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u := h.user("learner")
	concreteFor := func(pattern string) (string, url.Values, string) {
		_, path := concrete(pattern)
		path = strings.NewReplacer("risk-assessment", "alpha", "identify", "one").Replace(path)
		switch {
		case strings.HasSuffix(path, "/check"):
			return path, url.Values{"q1": {"b"}, "q2": {"a", "c"}}, "/modules/alpha/check"
		case strings.HasSuffix(path, "/complete"):
			return path, url.Values{}, "/modules/alpha/lessons/two"
		case strings.HasPrefix(path, "/account/second-factor"):
			return path, url.Values{"code": {"000000"}}, "/account/second-factor"
		case strings.HasPrefix(path, "/account/"):
			return path, url.Values{"language": {"en"}}, "/account"
		}
		return path, url.Values{"accept": {"yes"}}, path
	}
	kinds := map[string]func(b *browser){
		"expired": func(b *browser) { h.clock.Advance(2*time.Hour + time.Minute) },
		"unknown": func(b *browser) { h.exec(`DELETE FROM sessions`) },
		"forged":  func(b *browser) { b.setCookie(sessionCookie, "bm90IGEgc2Vzc2lvbg") },
	}
	n := 0
	for pattern, rule := range authz {
		if !strings.HasPrefix(pattern, "POST ") || rule != signedIn {
			continue
		}
		n++
		for kind, spoil := range kinds {
			path, form, back := concreteFor(pattern)
			b := h.browser()
			b.signIn(u.Email, u.Password)
			spoil(b)
			p := b.post(path, form)
			if p.Status == http.StatusForbidden {
				t.Errorf("POST %s (%s session): 403", path, kind)
				continue
			}
			hidden := loginFormFields(p)
			if p.Status != http.StatusOK || hidden == nil {
				t.Errorf("POST %s (%s session): %d without the sign-in page", path, kind, p.Status)
				continue
			}
			if kind != "forged" && !strings.Contains(p.Body, "Ihre Sitzung ist abgelaufen") {
				t.Errorf("POST %s (%s session): the page does not say the session expired", path, kind)
			}
			hidden.Set("email", u.Email)
			hidden.Set("password", u.Password)
			after := b.post("/login", hidden)
			if after.Status != http.StatusSeeOther || after.Location() != back {
				t.Errorf("POST %s (%s session), then sign-in: %d to %q, want %q", path, kind, after.Status, after.Location(), back)
			}
			if strings.HasSuffix(path, "/check") {
				mustContain(t, b.follow(after), "sind wiederhergestellt", `id="c-q1-b" name="q1" value="b" checked`,
					`id="c-q2-c" name="q2" value="c" checked`)
			}
			h.exec(`DELETE FROM lesson_completions`)
			h.exec(`DELETE FROM check_drafts`)
		}
	}
	if n < 6 {
		t.Fatalf("only %d learner POST routes in the table", n)
	}
	// "Mark as done" was carried out by the sign-in, not just offered.
	b := h.browser()
	b.signIn(u.Email, u.Password)
	h.exec(`DELETE FROM sessions`)
	p := b.post("/modules/alpha/lessons/one/complete", nil)
	mustContain(t, p, "Nach der Anmeldung wird die Lektion als erledigt markiert.")
	hidden := loginFormFields(p)
	hidden.Set("email", u.Email)
	hidden.Set("password", u.Password)
	b.post("/login", hidden)
	if n := h.count(`SELECT count(*) FROM lesson_completions WHERE user_id = ? AND lesson_id = 'one'`, u.ID); n != 1 {
		t.Errorf("the lesson is not marked as done after signing in (%d rows)", n)
	}
	mustContain(t, b.get("/modules/alpha/lessons/two"), "Die Lektion ist als erledigt markiert.")
}

// A GET with an expired session goes to sign-in and comes back; the sign-in page says why.
func TestGetWithExpiredSessionComesBack(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u := h.user("learner")
	b := h.browser()
	b.signIn(u.Email, u.Password)
	h.clock.Advance(3 * time.Hour)
	p := b.get("/modules/alpha/lessons/two")
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login?next=%2Fmodules%2Falpha%2Flessons%2Ftwo") {
		t.Fatalf("GET with an expired session: %d %q", p.Status, p.Location())
	}
	login := b.follow(p)
	mustContain(t, login, "Ihre Sitzung ist abgelaufen")
	hidden := loginFormFields(login)
	hidden.Set("email", u.Email)
	hidden.Set("password", u.Password)
	if after := b.post("/login", hidden); after.Location() != "/modules/alpha/lessons/two" {
		t.Errorf("after sign-in: %q", after.Location())
	}
}
