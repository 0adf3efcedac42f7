package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/i18n"
)

// regForm is a complete, valid registration as the form sends it.
func regForm(email string) url.Values {
	return url.Values{
		"name":                {"Erika Mustermann"},
		"email":               {email},
		"organisation":        {"Stadt Beispiel, Ordnungsamt"},
		"position":            {"Sachgebietsleitung Veranstaltungen"},
		"language":            {"de"},
		"cohort_code":         {""},
		"accept":              {"yes"},
		"declaration_version": {"2"},
	}
}

func TestRegisterPageShowsDeclarationAndForm(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ lang, text, switchTo string }{
		{"de", "Nutzungsrechteerklärung für die Schulungsplattform", `value="en"`},
		{"en", "Usage-rights declaration for the saferspaces training platform", `value="de"`},
	} {
		b := h.browser()
		b.header.Set("Accept-Language", tc.lang)
		p := b.get("/register")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `<html lang="`+tc.lang+`">`) {
			t.Fatalf("%s: %d", tc.lang, p.Status)
		}
		for _, want := range []string{tc.text, "GDPR", tc.switchTo, `name="declaration_version" value="2"`,
			`name="name"`, `name="email"`, `name="organisation"`, `name="position"`, `name="language"`,
			`name="cohort_code"`, `name="accept" type="checkbox" value="yes"`, `<option value="` + tc.lang + `" lang="` + tc.lang + `" selected>`} {
			if tc.lang == "de" && want == "GDPR" {
				want = "DSGVO"
			}
			if !strings.Contains(p.Body, want) {
				t.Errorf("%s: page lacks %q", tc.lang, want)
			}
		}
	}
}

// Every field is checked with a message in the interface language, tied to its input, and
// everything typed comes back in the form.
func TestRegisterValidationPerField(t *testing.T) {
	h := newHarness(t)
	messages := map[string][2]string{ // field → German, English
		"name":         {"Bitte geben Sie Ihren Namen an", "Please enter your name"},
		"email":        {"gültige E-Mail-Adresse", "valid e-mail address"},
		"organisation": {"Behörde oder Organisation an", "authority or organisation"},
		"position":     {"Funktion oder Abteilung an", "position or department"},
		"language":     {"eine der angebotenen Sprachen", "one of the languages offered"},
		"cohort_code":  {"höchstens 64 Zeichen", "at most 64 characters"},
		"accept":       {"dass Sie die Erklärung annehmen", "that you accept the declaration"},
	}
	cases := []struct{ field, value string }{
		{"name", ""}, {"name", "E"}, {"name", strings.Repeat("n", 201)},
		{"email", ""}, {"email", "erika"}, {"email", "Erika <erika@stadt.example>"}, {"email", strings.Repeat("e", 250) + "@x.de"},
		{"organisation", " "}, {"organisation", strings.Repeat("o", 201)},
		{"position", ""},
		{"language", "xx"}, {"language", ""},
		{"cohort_code", strings.Repeat("c", 65)},
		{"accept", ""}, {"accept", "on"},
	}
	for i, lang := range []string{"de", "en"} {
		for _, tc := range cases {
			b := h.browser()
			b.header.Set("Accept-Language", lang)
			form := regForm("valid@stadt.example")
			form.Set("organisation", "Amt für <Ordnung> & \"Sicherheit\"")
			form.Set(tc.field, tc.value)
			p := b.post("/register", form)
			if p.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s=%.20q: status %d", lang, tc.field, tc.value, p.Status)
				continue
			}
			if prefix := []string{"<title>Fehler:", "<title>Error:"}[i]; !strings.Contains(p.Body, prefix) {
				t.Errorf("%s %s: title does not start with %q", lang, tc.field, prefix)
			}
			if !strings.Contains(p.Body, messages[tc.field][i]) {
				t.Errorf("%s %s=%.20q: message %q missing", lang, tc.field, tc.value, messages[tc.field][i])
			}
			describedBy := regexp.MustCompile(`aria-describedby="[^"]*\be-` + tc.field + `\b`)
			if !describedBy.MatchString(p.Body) || !strings.Contains(p.Body, `id="e-`+tc.field+`"`) ||
				!strings.Contains(p.Body, `href="#f-`+tc.field+`"`) {
				t.Errorf("%s %s: message not tied to the input", lang, tc.field)
			}
			if n := strings.Count(p.Body, `aria-invalid="true"`); n != 1 {
				t.Errorf("%s %s=%.20q: %d fields marked invalid, want 1", lang, tc.field, tc.value, n)
			}
			if tc.field != "organisation" && !strings.Contains(p.Body, `value="Amt für &lt;Ordnung&gt; &amp; &#34;Sicherheit&#34;"`) {
				t.Errorf("%s %s: the other values were not kept", lang, tc.field)
			}
			if tc.field != "email" && !strings.Contains(p.Body, `value="valid@stadt.example"`) {
				t.Errorf("%s %s: e-mail not kept", lang, tc.field)
			}
		}
	}
	if n := h.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users stored from invalid forms", n)
	}
}

// The answer to a registration never tells whether the address is known.
func TestRegisterKnownAddressGetsTheSameAnswer(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	member := h.user(account.RoleLearner)

	answer := func(form url.Values) (status int, location, setCookie, body string) {
		b := h.browser()
		b.header.Set("User-Agent", "Mozilla/5.0 (Test) Firefox/140.0")
		p := b.post("/register", form)
		return p.Status, p.Location(), p.Header.Get("Set-Cookie"), b.follow(p).Body
	}
	s1, l1, c1, body1 := answer(regForm("neu@stadt.example"))
	if s1 != http.StatusSeeOther || l1 != "/register/done" || !strings.Contains(body1, "Vielen Dank") {
		t.Fatalf("new address: %d → %q", s1, l1)
	}
	for name, email := range map[string]string{
		"same address again": "neu@stadt.example",
		"other case":         "NEU@Stadt.example",
		"existing member":    member.Email,
		"admin":              admin.Email,
	} {
		form := regForm(email)
		form.Set("name", "Jemand Anderes")
		s, l, c, body := answer(form)
		if s != s1 || l != l1 || c != c1 || body != body1 {
			t.Errorf("%s: answer differs (%d → %q, cookie %q)", name, s, l, c)
		}
	}
	if n := h.count(`SELECT count(*) FROM users WHERE email = 'neu@stadt.example'`); n != 1 {
		t.Errorf("%d accounts for the address, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM users WHERE name = 'Jemand Anderes'`); n != 0 {
		t.Error("a duplicate registration changed an account")
	}

	// The acceptance record and the mails of the one real registration.
	var version int
	var ip, ua string
	err := h.db.R.QueryRow(`SELECT a.version, a.ip, a.user_agent FROM declaration_acceptances a JOIN users u ON u.id = a.user_id
		WHERE u.email = 'neu@stadt.example'`).Scan(&version, &ip, &ua)
	if err != nil || version != 2 || ip != "127.0.0.1" || ua != "Mozilla/5.0 (Test) Firefox/140.0" {
		t.Errorf("acceptance = v%d %q %q (%v)", version, ip, ua, err)
	}
	if n := h.count(`SELECT count(*) FROM users WHERE email = 'neu@stadt.example' AND status = 'pending'`); n != 1 {
		t.Error("applicant not pending")
	}
	got := h.mails("neu@stadt.example")
	if len(got) != 1 || !strings.Contains(got[0].Subject, "Nutzungsrechteerklärung ist eingegangen") {
		t.Errorf("mails to the applicant: %+v", got)
	}
	var toAdmin []sentMail
	for _, m := range h.mails(admin.Email) {
		if strings.Contains(m.Subject, "Neue Registrierung") {
			toAdmin = append(toAdmin, m)
		}
	}
	if len(toAdmin) != 1 || !strings.Contains(toAdmin[0].Body, h.url+"/admin/registrations") || !strings.Contains(toAdmin[0].Body, "neu@stadt.example") {
		t.Errorf("mails to the admin: %+v", toAdmin)
	}
	if m := h.mails(member.Email); len(m) != 1 { // the activation mail from the harness only
		t.Errorf("the known member got %d mails", len(m))
	}
}

// A form that showed version 2 is sent after version 3 was published: the applicant sees the
// new text, keeps their values and must accept again.
func TestRegisterWithStaleDeclaration(t *testing.T) {
	h := newHarness(t)
	if _, err := h.acc.PublishDeclaration(t.Context(), audit.CLI, map[i18n.Lang]string{"de": "Zweite Fassung der Erklärung", "en": "Second version"}); err != nil {
		t.Fatal(err)
	}
	p := h.browser().post("/register", regForm("spaet@stadt.example"))
	if p.Status != http.StatusConflict || !strings.Contains(p.Body, "Zweite Fassung der Erklärung") ||
		!strings.Contains(p.Body, `name="declaration_version" value="3"`) || !strings.Contains(p.Body, `value="spaet@stadt.example"`) ||
		strings.Contains(p.Body, " checked>") {
		t.Fatalf("stale form: %d\n%s", p.Status, p.Body)
	}
	if n := h.count(`SELECT count(*) FROM users`); n != 0 {
		t.Error("stored against a stale declaration")
	}
	form := regForm("spaet@stadt.example")
	form.Set("declaration_version", "3")
	if p := h.browser().post("/register", form); p.Status != http.StatusSeeOther {
		t.Errorf("current version: %d", p.Status)
	}
}

// Whatever arrives in the form, the answer is a page (303, 409 or 422), never a server error.
func FuzzRegisterForm(f *testing.F) {
	h := newHarness(f)
	f.Add("Erika Mustermann", "erika@stadt.example", "Ordnungsamt", "Leitung", "de", "", "yes", "1")
	f.Add("", "", "", "", "", "", "", "")
	f.Add("<script>", "a@b", "\x00", "\xff\xfe", "en", strings.Repeat("x", 70), "yes", "-1")
	f.Add("Jürgen Größe", "juergen@müllheim.de", "Amt", "Ä", "de", "CODE", "yes", "99999999999999999999")
	f.Add("A\r\nBcc: x@y.z", "\"a b\"@example.org", "Org", "Pos", "en", "c", "on", "1")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, name, email, organisation, position, language, code, accept, version string) {
		form := url.Values{"name": {name}, "email": {email}, "organisation": {organisation}, "position": {position},
			"language": {language}, "cohort_code": {code}, "accept": {accept}, "declaration_version": {version}}
		resp, err := client.PostForm(h.url+"/register", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q", resp.StatusCode, form.Encode())
		}
	})
}
