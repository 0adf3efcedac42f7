package web_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/config"
	"saferspaces/internal/legal"
)

// withOperator names the operator (every fact the legal pages need).
func withOperator() harnessOption {
	return func(p *app.Parts) {
		p.Config.Operator = config.Operator{
			Name: "Stadt Beispielhausen", Representative: "Oberbürgermeister Max Beispiel",
			Address: "Rathausplatz 7, 54321 Beispielhausen", Email: "kontakt@beispielhausen.example",
			Phone: "+49 5432 10-0", DPOName: "Datenschutzbeauftragte der Stadt", DPOEmail: "datenschutz@beispielhausen.example",
			Authority: "Landesbeauftragte für den Datenschutz Beispielland", AuthorityURL: "https://ldi.beispielland.example",
			Conciliation: "Schlichtungsstelle BGG", ConciliationURL: "https://www.schlichtungsstelle-bgg.de",
		}
	}
}

var legalPaths = []string{"/imprint", "/privacy", "/accessibility"}

// Every page that the route table serves as HTML carries the operator, the contact address and
// the links to the three legal pages in its footer — for anonymous visitors and signed-in users.
func TestEveryPageLinksTheLegalPages(t *testing.T) {
	h := newHarness(t, withOperator())
	admin := h.user(account.RoleAdmin)
	signedIn := h.browser()
	signedIn.signIn(admin.Email, admin.Password)
	checked := 0
	for _, pattern := range routesInSource(t) {
		method, path := concrete(pattern)
		if method != http.MethodGet {
			continue
		}
		for _, b := range []*browser{h.browser(), signedIn} {
			p := b.get(path)
			if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || p.Status >= 300 && p.Status < 400 {
				continue // files, exports, redirects (to the sign-in page, to the declaration)
			}
			checked++
			for _, want := range append([]string{`href="mailto:kontakt@beispielhausen.example"`, "Betrieben von Stadt Beispielhausen"},
				`href="/imprint"`, `href="/privacy"`, `href="/accessibility"`) {
				if !strings.Contains(p.Body, want) {
					t.Errorf("%s (status %d) lacks %s in its footer", path, p.Status, want)
				}
			}
		}
	}
	// Error pages are pages too.
	for _, path := range []string{"/no/such/page", "/admin/users/abc"} {
		if p := signedIn.get(path); !strings.Contains(p.Body, `href="/privacy"`) {
			t.Errorf("%s: no legal links", path)
		}
	}
	if checked < 30 {
		t.Errorf("only %d HTML pages checked", checked)
	}
}

// The legal pages are public, in every language, and filled from the settings.
func TestLegalPagesFilledFromSettings(t *testing.T) {
	h := newHarness(t, withOperator(), func(p *app.Parts) { p.Config.Retention.Inactive = config.Months(24) })
	want := map[string][]string{
		"/imprint": {"Stadt Beispielhausen", "Oberbürgermeister Max Beispiel", "Rathausplatz 7, 54321 Beispielhausen",
			"mailto:kontakt@beispielhausen.example", "5432 10-0", "§ 5"},
		"/privacy": {"Datenschutzbeauftragte der Stadt", "mailto:datenschutz@beispielhausen.example",
			"Landesbeauftragte für den Datenschutz Beispielland", `href="https://ldi.beispielland.example"`,
			"Art. 21", "Art. 77", "24 Monate", "Art. 6 Abs. 1 lit. e", `<table class="legal-records">`},
		"/accessibility": {"BITV 2.0", "§ 12a", "teilweise", "Schlichtungsstelle BGG", "innerhalb eines Monats",
			`action="/accessibility/feedback"`, `name="message"`, `name="email"`},
	}
	for path, wants := range want {
		p := h.browser().get(path)
		if p.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.Status)
		}
		mustContain(t, p, wants...)
		if strings.Contains(p.Body, "noch nicht angegeben") {
			t.Errorf("%s says details are missing although all are set", path)
		}
	}
	// Every record of processing is on the privacy page.
	priv := h.browser().get("/privacy")
	if n, want := strings.Count(priv.Body, `<th scope="row">`), len(legal.Records()); n != want {
		t.Errorf("privacy notice lists %d kinds of data, the record of processing %d", n, want)
	}
	for _, lang := range []string{"en", "fr", "it"} {
		b := h.browser()
		b.header.Set("Accept-Language", lang)
		for _, path := range legalPaths {
			p := b.get(path)
			if p.Status != http.StatusOK || !strings.Contains(p.Body, `<html lang="`+lang+`">`) || strings.Contains(p.Body, "[legal.") {
				t.Errorf("%s in %s: %d", path, lang, p.Status)
			}
		}
	}
	en := h.browser()
	en.header.Set("Accept-Language", "en")
	mustContain(t, en.get("/privacy"), "Privacy notice", "24 months", "Art. 21 GDPR")
	mustContain(t, en.get("/imprint"), "Imprint", "Represented by")
	mustContain(t, en.get("/accessibility"), "Accessibility statement", "Conciliation procedure")
}

// Without the settings the pages say plainly that the operator has not filled them in.
func TestLegalPagesSayWhatIsMissing(t *testing.T) {
	h := newHarness(t)
	for _, path := range legalPaths {
		p := h.browser().get(path)
		if p.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.Status)
		}
		mustContain(t, p, "hat die Angaben für diese Seite noch nicht vollständig hinterlegt", "<code>--operator-name</code>",
			"<code>--contact-email</code>", "vom Betreiber noch nicht angegeben")
	}
	if p := h.browser().get("/"); !strings.Contains(p.Body, "Betreiber noch nicht angegeben") {
		t.Error("footer without operator does not say so")
	}
}

// The operator's Markdown files replace the built-in text, rendered like lessons (raw HTML shown
// as text); a language without its own file gets the operator's German one.
func TestLegalPagesReplaceableByFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "imprint.de.md"), []byte("# Impressum der Stadt\n\nVerantwortlich: **Amt 12**\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "privacy.en.md"), []byte("Our own *privacy* notice.\n"), 0o644)
	pages, err := legal.New(config.Operator{Name: "Stadt"}, config.DefaultRetention(), "https://x.example", dir)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(p *app.Parts) { p.Legal = pages })
	p := h.browser().get("/imprint")
	mustContain(t, p, "<h1", "Impressum der Stadt", "<strong>Amt 12</strong>", "&lt;script&gt;alert(1)&lt;/script&gt;")
	if strings.Contains(p.Body, "<script>") || strings.Contains(p.Body, "javascript:") || strings.Contains(p.Body, "§ 5 Digitale") {
		t.Errorf("imprint file not rendered safely or built-in text shown:\n%s", p.Body)
	}
	en := h.browser()
	en.header.Set("Accept-Language", "en")
	mustContain(t, en.get("/imprint"), "Impressum der Stadt")
	mustContain(t, en.get("/privacy"), "Our own <em>privacy</em> notice.")
	mustContain(t, h.browser().get("/privacy"), "Our own <em>privacy</em> notice.") // German visitors: the only file there is
	// The built-in accessibility statement stays, with its feedback form.
	mustContain(t, h.browser().get("/accessibility"), "BITV 2.0", `name="message"`)

	// Wrong file names stop start-up with a message.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "impressum.de.md"), []byte("x"), 0o644)
	if _, err := legal.New(config.Operator{}, config.DefaultRetention(), "", bad); err == nil || !strings.Contains(err.Error(), "impressum.de.md") {
		t.Errorf("wrong name: %v", err)
	}
}

// The feedback form stores the message, mails it to the contact address, and shows it to admins
// as open with its due date until one of them marks it done.
func TestAccessibilityFeedback(t *testing.T) {
	h := newHarness(t, withOperator())
	admin := h.user(account.RoleAdmin)
	b := h.browser()

	// Per-field messages, values kept.
	p := b.post("/accessibility/feedback", url.Values{"message": {"  "}, "email": {"nicht-gueltig"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="e-message"`) || !strings.Contains(p.Body, `id="e-email"`) ||
		!strings.Contains(p.Body, `value="nicht-gueltig"`) {
		t.Fatalf("invalid feedback: %d\n%s", p.Status, p.Body)
	}
	msg := "Der Kontrast der Schaltfläche <Weiter> ist zu schwach.\nSeite: Modul 2"
	p = b.post("/accessibility/feedback", url.Values{"message": {msg}, "email": {"melder@example.org"}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/accessibility/feedback?due=2026-06-04") {
		t.Fatalf("feedback: %d → %q", p.Status, p.Location())
	}
	mustContain(t, b.follow(p), "Vielen Dank", "4.\u00a0Juni 2026", "an die angegebene Adresse")
	if n := h.count(`SELECT count(*) FROM accessibility_feedback WHERE message = ? AND email = 'melder@example.org' AND done_at IS NULL`, strings.ReplaceAll(msg, "\r\n", "\n")); n != 1 {
		t.Fatal("feedback not stored")
	}
	mails := h.mails("kontakt@beispielhausen.example")
	if len(mails) != 1 || !strings.Contains(mails[0].Body, "<Weiter>") || !strings.Contains(mails[0].Body, "melder@example.org") ||
		!strings.Contains(mails[0].Body, "4.\u00a0Juni 2026") || !strings.Contains(mails[0].Body, h.url+"/admin/feedback") {
		t.Fatalf("mail to the contact: %+v", mails)
	}
	if len(h.mails("melder@example.org")) != 0 {
		t.Error("the form mailed the address typed into it")
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'feedback.received' AND detail NOT LIKE '%melder%'`); n != 1 {
		t.Error("feedback not audited (without the address)")
	}

	ab := h.browser()
	ab.signIn(admin.Email, admin.Password)
	if home := ab.get("/admin"); !strings.Contains(home.Body, `<span class="count">1</span> <a href="/admin/feedback">`) {
		t.Errorf("the admin overview does not count the open feedback:\n%s", home.Body)
	}
	list := ab.get("/admin/feedback")
	mustContain(t, list, "Offene Rückmeldungen: 1", "&lt;Weiter&gt;", "4.\u00a0Juni 2026", "offen", "Als erledigt markieren")
	h.clock.Advance(32 * 24 * time.Hour)
	ab = h.browser() // the old session has long expired
	ab.signIn(admin.Email, admin.Password)
	mustContain(t, ab.get("/admin/feedback"), "überfällig")
	var id int64
	h.db.R.QueryRow(`SELECT id FROM accessibility_feedback`).Scan(&id)
	if p := ab.post("/admin/feedback/"+itoa(id)+"/done", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("mark done: %d", p.Status)
	}
	done := ab.get("/admin/feedback")
	mustContain(t, done, "Offene Rückmeldungen: 0", "erledigt am")
	if p := ab.post("/admin/feedback/999999/done", nil); p.Status != http.StatusNotFound {
		t.Errorf("unknown feedback: %d", p.Status)
	}

	// Limited per client address: the sixth message within minutes is refused.
	for i := range 6 {
		p := b.post("/accessibility/feedback", url.Values{"message": {"Nachricht " + itoa(int64(i))}})
		if i < 5 && p.Status != http.StatusSeeOther {
			t.Fatalf("message %d: %d", i+1, p.Status)
		}
		if i == 5 && (p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, `href="/privacy"`)) {
			t.Errorf("sixth message: %d (Retry-After %q)", p.Status, p.Header.Get("Retry-After"))
		}
	}
	everyMailIsAutoSubmitted(t, h)
}

// everyMailIsAutoSubmitted checks every .eml written so far: Auto-Submitted (RFC 3834), and the
// operator's contact as Reply-To when one is set.
func everyMailIsAutoSubmitted(t *testing.T, h *harness) {
	t.Helper()
	all := h.mails("")
	if len(all) == 0 {
		t.Fatal("no mail written")
	}
	for _, m := range all {
		if m.Header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("%s (%s): Auto-Submitted %q", m.Subject, filepath.Base(m.File), m.Header.Get("Auto-Submitted"))
		}
		if rt := m.Header.Get("Reply-To"); rt != "<kontakt@beispielhausen.example>" {
			t.Errorf("%s: Reply-To %q", m.Subject, rt)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
