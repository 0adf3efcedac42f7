package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
)

// adminBrowser signs in a new admin.
func adminBrowser(h *harness) (*testUser, *browser) {
	h.t.Helper()
	a := h.user(account.RoleAdmin)
	b := h.browser()
	b.signIn(a.Email, a.Password)
	return a, b
}

func (h *harness) userID(email string) int64 {
	h.t.Helper()
	u, err := h.acc.UserByEmail(h.t.Context(), email)
	if err != nil {
		h.t.Fatalf("%s: %v", email, err)
	}
	return u.ID
}

// The whole way in for the public: declaration → admin approves into a cohort → activation link
// from the e-mail → password → signed in, with the declaration already accepted.
func TestJourneyRegisterApproveActivate(t *testing.T) {
	h := newHarness(t)
	cohort, err := h.acc.CreateCohort(t.Context(), audit.CLI, "Innenstadt 2026", "INNEN26")
	if err != nil {
		t.Fatal(err)
	}
	_, admin := adminBrowser(h)

	form := regForm("jana.ordnung@stadt.example")
	form.Set("cohort_code", "innen26")
	form.Set("language", "en")
	if p := h.browser().post("/register", form); p.Status != http.StatusSeeOther {
		t.Fatalf("register: %d", p.Status)
	}
	id := h.userID("jana.ordnung@stadt.example")

	p := admin.get("/admin/registrations")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "jana.ordnung@stadt.example") ||
		!strings.Contains(p.Body, fmt.Sprintf(`<option value="%d" selected>Innenstadt 2026</option>`, cohort.ID)) ||
		!strings.Contains(p.Body, `aria-current="page"`) {
		t.Fatalf("queue: %d\n%s", p.Status, p.Body)
	}
	p = admin.post(fmt.Sprintf("/admin/registrations/%d/approve", id), url.Values{"cohort": {fmt.Sprint(cohort.ID)}})
	if p.Status != http.StatusSeeOther || p.Location() != "/admin/registrations" {
		t.Fatalf("approve: %d → %q", p.Status, p.Location())
	}
	if p = admin.follow(p); !strings.Contains(p.Body, "has been approved") && !strings.Contains(p.Body, "wurde freigeschaltet") {
		t.Error("no confirmation after approving")
	}
	if strings.Contains(p.Body, "jana.ordnung@stadt.example") {
		t.Error("approved applicant still in the queue")
	}

	link := h.lastLink("jana.ordnung@stadt.example", "/activate/")
	if m := h.mails("jana.ordnung@stadt.example"); !strings.Contains(m[len(m)-1].Subject, "access is ready") {
		t.Errorf("activation mail not in the applicant's language: %q", m[len(m)-1].Subject)
	}
	b := h.browser()
	p = b.post(link, url.Values{"password": {"Marktplatz bei Nacht 2026"}, "password_confirm": {"Marktplatz bei Nacht 2026"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("activate: %d\n%s", p.Status, p.Body)
	}
	// The declaration was accepted with the registration: no second acceptance needed.
	if p = b.get("/account"); p.Status != http.StatusOK || !strings.Contains(p.Body, "jana.ordnung@stadt.example") {
		t.Fatalf("signed in: %d → %q", p.Status, p.Location())
	}
	u, _ := h.acc.UserByID(t.Context(), id)
	if u.CohortID != cohort.ID || u.Status != account.StatusApproved {
		t.Errorf("user = %+v", u)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'registration.approved' AND target_id = ?`, id); n != 1 {
		t.Error("approval not audited")
	}
	// A second decision on the same registration is refused, not a 500.
	if p := admin.post(fmt.Sprintf("/admin/registrations/%d/reject", id), url.Values{"reason": {"zu spät"}}); p.Status != http.StatusConflict {
		t.Errorf("reject after approval: %d", p.Status)
	}
}

func TestRejectWithReason(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	h.browser().post("/register", regForm("privat@example.org"))
	id := h.userID("privat@example.org")
	path := fmt.Sprintf("/admin/registrations/%d/reject", id)

	p := admin.post(path, url.Values{"reason": {"  "}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Begründung an") || !strings.Contains(p.Body, `aria-invalid="true"`) {
		t.Fatalf("empty reason: %d", p.Status)
	}
	long := strings.Repeat("x", 1001)
	if p := admin.post(path, url.Values{"reason": {long}}); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, long) {
		t.Errorf("long reason: %d (kept: %v)", p.Status, strings.Contains(p.Body, long))
	}
	reason := "Der Zugang ist Beschäftigten öffentlicher Stellen vorbehalten. Bitte nutzen Sie Ihre dienstliche Adresse."
	if p := admin.post(path, url.Values{"reason": {reason}}); p.Status != http.StatusSeeOther {
		t.Fatalf("reject: %d", p.Status)
	}
	m := h.mails("privat@example.org")
	if len(m) != 2 || !strings.Contains(m[1].Body, reason) {
		t.Fatalf("rejection mail: %+v", m)
	}
	u, _ := h.acc.UserByID(t.Context(), id)
	if u.Status != account.StatusRejected {
		t.Errorf("status %s", u.Status)
	}
	// A rejected applicant cannot sign in, even with a password set behind the platform's back.
	hash, _ := account.HashPassword("Ein sehr langes Passwort")
	h.exec(`UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
	if p := h.browser().post("/login", url.Values{"email": {"privat@example.org"}, "password": {"Ein sehr langes Passwort"}}); p.Status == http.StatusSeeOther {
		t.Error("a rejected account signed in")
	}
}

// Publishing a new declaration sends every signed-in user to it before any other page.
func TestReacceptanceAfterNewVersion(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	learner := h.user(account.RoleLearner)
	lb := h.browser()
	lb.signIn(learner.Email, learner.Password)
	if p := lb.get("/account"); p.Status != http.StatusOK {
		t.Fatalf("before: %d", p.Status)
	}

	p := admin.get("/admin/declarations")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Nutzungsrechteerklärung für die Schulungsplattform") {
		t.Fatalf("declarations page: %d", p.Status)
	}
	unchanged := admin.post("/admin/declarations", url.Values{"text_de": {"x"}, "text_en": {""}})
	if unchanged.Status != http.StatusUnprocessableEntity || !strings.Contains(unchanged.Body, `id="e-text_en"`) {
		t.Errorf("missing English text: %d", unchanged.Status)
	}
	p = admin.post("/admin/declarations", url.Values{
		"text_de": {"Fassung 2\r\n\r\nNeue Regeln für <Szenarien>."}, "text_en": {"Version 2\n\nNew rules."}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("publish: %d\n%s", p.Status, p.Body)
	}

	for _, path := range []string{"/account", "/", "/admin/users"} {
		p := lb.get(path)
		if p.Status != http.StatusSeeOther || p.Location() != "/declaration?next="+url.QueryEscape(path) {
			t.Errorf("learner GET %s: %d → %q", path, p.Status, p.Location())
		}
	}
	if p := admin.get("/admin/users"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/declaration") {
		t.Errorf("admin not sent to the declaration: %d", p.Status)
	}
	p = lb.get("/declaration?next=%2Faccount")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Neue Regeln für &lt;Szenarien&gt;.") || !strings.Contains(p.Body, `name="version" value="2"`) {
		t.Fatalf("declaration page: %d\n%s", p.Status, p.Body)
	}
	if p := lb.post("/declaration", url.Values{"version": {"2"}, "next": {"/account"}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("without ticking: %d", p.Status)
	}
	if p := lb.post("/declaration", url.Values{"accept": {"yes"}, "version": {"1"}, "next": {"/account"}}); p.Status != http.StatusConflict {
		t.Errorf("accepting the old version: %d", p.Status)
	}
	lb.header.Set("User-Agent", "Lernbrowser/1.0")
	p = lb.post("/declaration", url.Values{"accept": {"yes"}, "version": {"2"}, "next": {"https://evil.example/"}})
	if p.Status != http.StatusSeeOther || p.Location() != "/" {
		t.Fatalf("accept: %d → %q", p.Status, p.Location())
	}
	if p := lb.get("/account"); p.Status != http.StatusOK {
		t.Errorf("after accepting: %d", p.Status)
	}
	if n := h.count(`SELECT count(*) FROM declaration_acceptances WHERE user_id = ? AND version = 2 AND user_agent = 'Lernbrowser/1.0'`, learner.ID); n != 1 {
		t.Errorf("%d acceptance records of version 2", n)
	}
}

// Whatever an applicant types is shown to admins as text, never as markup.
func TestAdminPagesEscapeApplicantInput(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	const x = `<script>alert(1)</script>`
	form := regForm("xss@stadt.example")
	for _, f := range []string{"name", "organisation", "position", "cohort_code"} {
		form.Set(f, f+x)
	}
	b := h.browser()
	b.header.Set("User-Agent", "UA"+x)
	if p := b.post("/register", form); p.Status != http.StatusSeeOther {
		t.Fatalf("register: %d\n%s", p.Status, p.Body)
	}
	id := h.userID("xss@stadt.example")
	pages := []string{"/admin/registrations", "/admin/users", fmt.Sprintf("/admin/users/%d", id), "/admin/audit", "/admin/mail"}
	for _, path := range pages {
		p := admin.get(path)
		if p.Status != http.StatusOK {
			t.Errorf("%s: %d", path, p.Status)
			continue
		}
		if strings.Contains(p.Body, "<script") {
			t.Errorf("%s: raw script tag in the page", path)
		}
		if !strings.Contains(p.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: escaped input not shown", path)
		}
	}
	p := admin.get("/admin/registrations")
	for _, f := range []string{"name", "organisation", "position", "cohort_code", "UA"} {
		if !strings.Contains(p.Body, f+"&lt;script&gt;") {
			t.Errorf("queue does not show %s escaped", f)
		}
	}
}

func TestAdminRefusesBadIDsWithout500(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/admin/users/abc"}, {"GET", "/admin/users/0"}, {"GET", "/admin/users/-1"},
		{"GET", "/admin/users/99999"}, {"GET", "/admin/users/99999999999999999999"},
		{"POST", "/admin/users/abc/role"}, {"POST", "/admin/users/99999/disable"}, {"POST", "/admin/users/99999/erase"},
		{"POST", "/admin/registrations/xyz/approve"}, {"POST", "/admin/registrations/99999/reject"},
		{"POST", "/admin/cohorts/1.5/trainers"}, {"POST", "/admin/cohorts/99999/trainers"},
		{"POST", "/admin/mail/abc/retry"}, {"POST", "/admin/mail/99999/retry"},
	} {
		var p *page
		if tc.method == "GET" {
			p = admin.get(tc.path)
		} else {
			p = admin.post(tc.path, url.Values{"role": {"trainer"}, "reason": {"r"}, "confirm": {"yes"}, "user": {"1"}})
		}
		if p.Status != http.StatusNotFound || !strings.Contains(p.Body, "<html") {
			t.Errorf("%s %s: %d, want the 404 page", tc.method, tc.path, p.Status)
		}
	}
}

func TestAdminUserActions(t *testing.T) {
	h := newHarness(t)
	a, admin := adminBrowser(h)
	u := h.user(account.RoleLearner)
	base := fmt.Sprintf("/admin/users/%d", u.ID)
	act := func(action string, form url.Values, want int) *page {
		t.Helper()
		p := admin.post(base+"/"+action, form)
		if p.Status != want {
			t.Fatalf("%s: %d, want %d\n%s", action, p.Status, want, p.Body)
		}
		return p
	}

	if p := admin.get("/admin/users?q=" + url.QueryEscape(u.Email[:6]) + "&role=learner"); !strings.Contains(p.Body, u.Email) || strings.Contains(p.Body, a.Email) {
		t.Error("search by address and role")
	}
	if p := act("role", url.Values{"role": {"trainer"}}, http.StatusSeeOther); p.Location() != base {
		t.Errorf("role → %q", p.Location())
	}
	act("role", url.Values{"role": {"king"}}, http.StatusUnprocessableEntity)
	cohort, _ := h.acc.CreateCohort(t.Context(), audit.CLI, "Nordstadt", "")
	act("cohort", url.Values{"cohort": {fmt.Sprint(cohort.ID)}}, http.StatusSeeOther)
	act("cohort", url.Values{"cohort": {"nonsense"}}, http.StatusUnprocessableEntity)
	act("resend", nil, http.StatusSeeOther)
	if link := h.lastLink(u.Email, "/activate/"); h.browser().get(link).Status != http.StatusOK {
		t.Error("re-sent link does not work")
	}
	// Disabling ends the user's session at once; enabling lets them back in.
	ub := h.browser()
	ub.signIn(u.Email, u.Password)
	act("disable", nil, http.StatusSeeOther)
	if p := ub.get("/account"); p.Status == http.StatusOK {
		t.Error("disabled user still signed in")
	}
	act("resend", nil, http.StatusConflict) // only approved accounts get links
	act("enable", nil, http.StatusSeeOther)
	ub.signIn(u.Email, u.Password)

	got, _ := h.acc.UserByID(t.Context(), u.ID)
	if got.Role != account.RoleTrainer || got.CohortID != cohort.ID || got.Status != account.StatusApproved {
		t.Errorf("after actions: %+v", got)
	}
	page := admin.get(base)
	for _, want := range []string{"Nordstadt", "Trainer", `action="` + base + `/erase"`, `name="confirm"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("user page lacks %q", want)
		}
	}
	for _, action := range []string{"user.role", "user.cohort", "credential.resent", "user.disabled", "user.enabled"} {
		if n := h.count(`SELECT count(*) FROM audit_log WHERE action = ? AND target_id = ? AND actor = ?`, action, u.ID, a.Email); n != 1 {
			t.Errorf("%s audited %d times", action, n)
		}
	}
}

func TestAdminEraseAndLastAdmin(t *testing.T) {
	h := newHarness(t)
	a, admin := adminBrowser(h)
	u := h.user(account.RoleLearner)
	base := fmt.Sprintf("/admin/users/%d", u.ID)

	if p := admin.post(base+"/erase", nil); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Häkchen") {
		t.Fatalf("erase without confirmation: %d", p.Status)
	}
	if h.count(`SELECT count(*) FROM users WHERE id = ? AND status = 'erased'`, u.ID) != 0 {
		t.Fatal("erased without confirmation")
	}
	if p := admin.post(base+"/erase", url.Values{"confirm": {"yes"}}); p.Status != http.StatusSeeOther || p.Location() != "/admin/users" {
		t.Fatalf("erase: %d → %q", p.Status, p.Location())
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE actor LIKE ?1 OR target LIKE ?1 OR detail LIKE ?1`, "%"+u.Email+"%"); n != 0 {
		t.Errorf("%d audit lines still name the erased user", n)
	}
	if n := h.count(`SELECT count(*) FROM users WHERE email = ? OR name = ?`, u.Email, u.Name); n != 0 {
		t.Error("personal data left in users")
	}
	if p := admin.get(base); p.Status != http.StatusOK || strings.Contains(p.Body, `/erase"`) {
		t.Errorf("erased user's page: %d, still offers actions", p.Status)
	}
	if p := admin.get("/admin/audit?q=" + url.QueryEscape(fmt.Sprintf("user #%d", u.ID))); !strings.Contains(p.Body, "Personenbezogene Daten gelöscht") ||
		!strings.Contains(p.Body, fmt.Sprintf("gelöschte Person Nr. %d", u.ID)) {
		t.Error("the pseudonymised trail is not in the audit log")
	}

	// The only admin can neither demote, disable nor erase themselves.
	self := fmt.Sprintf("/admin/users/%d", a.ID)
	for _, tc := range []struct {
		action string
		form   url.Values
	}{{"role", url.Values{"role": {"learner"}}}, {"disable", nil}, {"erase", url.Values{"confirm": {"yes"}}}} {
		if p := admin.post(self+"/"+tc.action, tc.form); p.Status != http.StatusConflict || !strings.Contains(p.Body, `role="alert"`) {
			t.Errorf("%s of the last admin: %d", tc.action, p.Status)
		}
	}
	if got, _ := h.acc.UserByID(t.Context(), a.ID); got.Role != account.RoleAdmin || got.Status != account.StatusApproved {
		t.Errorf("last admin changed: %+v", got)
	}
}

func TestAdminCohortsAndMail(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	trainer := h.user(account.RoleTrainer)
	learner := h.user(account.RoleLearner)

	if p := admin.post("/admin/cohorts", url.Values{"name": {"Südstadt Frühjahr"}, "code": {"SUED-FJ"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", p.Status)
	}
	for _, tc := range []struct {
		form  url.Values
		want  int
		field string
	}{
		{url.Values{"name": {"südstadt frühjahr"}}, http.StatusConflict, "name"},
		{url.Values{"name": {"X"}}, http.StatusUnprocessableEntity, "name"},
		{url.Values{"name": {"Weststadt"}, "code": {"mit leerzeichen"}}, http.StatusUnprocessableEntity, "code"},
	} {
		p := admin.post("/admin/cohorts", tc.form)
		if p.Status != tc.want || !strings.Contains(p.Body, `id="e-`+tc.field+`"`) || !strings.Contains(p.Body, `value="`+tc.form.Get("name")+`"`) {
			t.Errorf("%v: %d", tc.form, p.Status)
		}
	}
	c, err := h.acc.CohortByCode(t.Context(), "SUED-FJ")
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/cohorts/%d/trainers", c.ID)
	if p := admin.post(path, url.Values{"user": {fmt.Sprint(learner.ID)}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("learner as trainer: %d", p.Status)
	}
	if p := admin.post(path, url.Values{"user": {fmt.Sprint(trainer.ID)}}); p.Status != http.StatusSeeOther {
		t.Errorf("trainer: %d", p.Status)
	}
	p := admin.get("/admin/cohorts")
	if !strings.Contains(p.Body, "Südstadt Frühjahr") || !strings.Contains(p.Body, "SUED-FJ") || !strings.Contains(p.Body, trainer.Name) {
		t.Errorf("cohort list:\n%s", p.Body)
	}

	// Mail: a waiting mail can be retried at once; a sent one cannot.
	h.exec(`UPDATE mail_outbox SET status = 'failed', attempts = 10, last_error = 'smtp: 421 try later'`)
	p = admin.get("/admin/mail?status=failed")
	if !strings.Contains(p.Body, "smtp: 421 try later") || strings.Contains(p.Body, "/activate/") {
		t.Errorf("outbox page (must show errors, never bodies):\n%s", p.Body)
	}
	var id int64
	h.db.R.QueryRow(`SELECT min(id) FROM mail_outbox`).Scan(&id)
	if p := admin.post(fmt.Sprintf("/admin/mail/%d/retry", id), nil); p.Status != http.StatusSeeOther {
		t.Fatalf("retry: %d", p.Status)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE action = 'mail.retried'`); n != 1 {
		t.Errorf("retry audited %d times, want once", n)
	}
	if n := h.count(`SELECT count(*) FROM mail_outbox WHERE id = ? AND status = 'pending'`, id); n != 1 {
		t.Error("retried mail not pending")
	}
	h.mails("") // delivers it
	if p := admin.post(fmt.Sprintf("/admin/mail/%d/retry", id), nil); p.Status != http.StatusConflict {
		t.Errorf("retry of a sent mail: %d", p.Status)
	}
}

func TestAdminListsArePaged(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	for i := range 130 {
		h.exec(`INSERT INTO audit_log(at, actor, action, target) VALUES(?, 'cli', 'test.event', ?)`, 1_700_000_000+i, fmt.Sprintf("ziel-%03d", i))
	}
	p := admin.get("/admin/audit?q=test.event")
	if !strings.Contains(p.Body, "Seite 1 von 2") || !strings.Contains(p.Body, `href="/admin/audit?page=2&amp;q=test.event"`) ||
		!strings.Contains(p.Body, "ziel-129") || strings.Contains(p.Body, "ziel-029") {
		t.Fatalf("page 1:\n%s", p.Body)
	}
	p = admin.get("/admin/audit?q=test.event&page=2")
	if !strings.Contains(p.Body, "ziel-029") || strings.Contains(p.Body, "ziel-030") || !strings.Contains(p.Body, `rel="prev"`) {
		t.Errorf("page 2 is wrong")
	}
	if p := admin.get("/admin/audit?page=999&q=%25"); p.Status != http.StatusOK {
		t.Errorf("page beyond the end: %d", p.Status)
	}
}

// The approve form's cohort field takes the cohort's id (the platform's own select) or its name
// (as a script that created it with `cohort create --name` would send); an unknown name is refused.
func TestApproveIntoCohortByName(t *testing.T) {
	h := newHarness(t)
	cohort, err := h.acc.CreateCohort(t.Context(), audit.CLI, "Altstadt Süd", "")
	if err != nil {
		t.Fatal(err)
	}
	_, admin := adminBrowser(h)
	for _, email := range []string{"a@stadt.example", "b@stadt.example"} {
		h.browser().post("/register", regForm(email))
	}
	a, b := h.userID("a@stadt.example"), h.userID("b@stadt.example")
	if p := admin.post(fmt.Sprintf("/admin/registrations/%d/approve", a), url.Values{"cohort": {"Nirgendwo"}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown cohort name: %d, want 422", p.Status)
	}
	if p := admin.post(fmt.Sprintf("/admin/registrations/%d/approve", a), url.Values{"cohort": {"Altstadt Süd"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("approve by name: %d", p.Status)
	}
	if p := admin.post(fmt.Sprintf("/admin/registrations/%d/approve", b), url.Values{"cohort": {""}}); p.Status != http.StatusSeeOther {
		t.Fatalf("approve without cohort: %d", p.Status)
	}
	ua, _ := h.acc.UserByID(t.Context(), a)
	ub, _ := h.acc.UserByID(t.Context(), b)
	if ua.CohortID != cohort.ID || ub.CohortID != 0 {
		t.Errorf("cohorts after approval: %d and %d, want %d and 0", ua.CohortID, ub.CohortID, cohort.ID)
	}
}
