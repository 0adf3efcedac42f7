package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
)

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)
	here, elsewhere := h.browser(), h.browser()
	here.signIn(u.Email, u.Password)
	elsewhere.signIn(u.Email, u.Password)
	before := here.cookie(sessionCookie)

	const newPassword = "Dreizehn Zeichen und mehr"
	p := here.post("/account/password", url.Values{"current_password": {"falsch falsch falsch"},
		"password": {newPassword}, "password_confirm": {newPassword}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="e-current_password"`) {
		t.Fatalf("wrong current password: %d", p.Status)
	}
	p = here.post("/account/password", url.Values{"current_password": {u.Password},
		"password": {u.Email + "!"}, "password_confirm": {u.Email + "!"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "E-Mail-Adresse nicht enthalten") {
		t.Fatalf("password with the e-mail: %d", p.Status)
	}
	p = here.post("/account/password", url.Values{"current_password": {u.Password},
		"password": {newPassword}, "password_confirm": {newPassword}})
	if p.Status != http.StatusSeeOther || p.Location() != "/account" {
		t.Fatalf("change: %d → %q\n%s", p.Status, p.Location(), p.Body)
	}
	if after := here.cookie(sessionCookie); after == "" || after == before {
		t.Error("this session did not get a new id")
	}
	if p := here.get("/account"); p.Status != http.StatusOK || !strings.Contains(p.Body, "Ihr Passwort wurde geändert") {
		t.Errorf("this session after the change: %d", p.Status)
	}
	if p := here.get("/account"); strings.Contains(p.Body, "Ihr Passwort wurde geändert") {
		t.Error("the confirmation is shown twice")
	}
	if p := elsewhere.get("/account"); p.Status != http.StatusSeeOther {
		t.Errorf("the other session survived: %d", p.Status)
	}
	var changed int
	for _, m := range h.mails(u.Email) {
		if strings.Contains(m.Subject, "Passwort wurde geändert") {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("%d password-changed mails", changed)
	}
	h.browser().signIn(u.Email, newPassword)
}

func TestResetSignsInAfreshAndEndsOldSessions(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)
	old := h.browser()
	old.signIn(u.Email, u.Password)

	b := h.browser()
	if p := b.get("/password/forgot"); p.Status != http.StatusOK || !strings.Contains(p.Body, `name="email"`) {
		t.Fatalf("forgot form: %d", p.Status)
	}
	if p := b.post("/password/forgot", url.Values{"email": {"kein-at-zeichen"}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("malformed address: %d", p.Status)
	}
	b.post("/password/forgot", url.Values{"email": {strings.ToUpper(u.Email)}})
	link := h.lastLink(u.Email, "/password/reset/")
	if p := b.get(link); p.Status != http.StatusOK || !strings.Contains(p.Body, `autocomplete="new-password"`) {
		t.Fatalf("reset page: %d", p.Status)
	}
	const newPassword = "Herbstlaub auf dem Gehweg"
	p := b.post(link, url.Values{"password": {newPassword}, "password_confirm": {newPassword}})
	if p.Status != http.StatusSeeOther || b.cookie(sessionCookie) == "" {
		t.Fatalf("reset: %d", p.Status)
	}
	if p := b.get("/account"); p.Status != http.StatusOK {
		t.Errorf("not signed in after the reset: %d", p.Status)
	}
	if p := old.get("/account"); p.Status != http.StatusSeeOther {
		t.Errorf("an old session survived the reset: %d", p.Status)
	}
	if p := h.browser().post("/login", url.Values{"email": {u.Email}, "password": {u.Password}}); p.Status != http.StatusOK {
		t.Errorf("the old password still works: %d", p.Status)
	}
}

func TestSignOutEverywhere(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleTrainer)
	a, b := h.browser(), h.browser()
	a.signIn(u.Email, u.Password)
	b.signIn(u.Email, u.Password)
	p := a.post("/account/sessions/revoke", nil)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Fatalf("revoke: %d → %q", p.Status, p.Location())
	}
	for name, br := range map[string]*browser{"this": a, "other": b} {
		if p := br.get("/account"); p.Status != http.StatusSeeOther {
			t.Errorf("%s session survived: %d", name, p.Status)
		}
	}
	if h.count(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID) != 0 {
		t.Error("session rows left")
	}
}

func TestLanguageIsStoredOnTheUser(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)
	b := h.browser()
	b.signIn(u.Email, u.Password)
	if p := b.get("/account"); !strings.Contains(p.Body, `<html lang="de">`) {
		t.Fatal("default language is not German")
	}
	if p := b.post("/account/language", url.Values{"language": {"xx"}}); p.Status != http.StatusBadRequest {
		t.Errorf("unsupported language: %d", p.Status)
	}
	b.post("/account/language", url.Values{"language": {"en"}})
	if p := b.get("/account"); !strings.Contains(p.Body, `<html lang="en">`) || !strings.Contains(p.Body, "Your language setting has been saved") {
		t.Fatalf("after choosing English:\n%s", p.Body)
	}
	// The setting follows the user to another browser, whatever that one asks for.
	other := h.browser()
	other.header.Set("Accept-Language", "de-DE")
	other.signIn(u.Email, u.Password)
	if p := other.get("/account"); !strings.Contains(p.Body, `<html lang="en">`) {
		t.Error("the language is not the user's")
	}
	// The language switch in the header changes the stored setting too.
	other.post("/lang", url.Values{"lang": {"de"}, "next": {"/account"}})
	if got, _ := h.acc.UserByID(t.Context(), u.ID); got.Lang != "de" {
		t.Errorf("stored language %q after the switch", got.Lang)
	}
}

func TestExportMyData(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)
	b := h.browser()
	if p := b.get("/account/export.json"); p.Status != http.StatusSeeOther {
		t.Fatalf("anonymous export: %d", p.Status)
	}
	b.signIn(u.Email, u.Password)
	p := b.get("/account/export.json")
	if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %v", p.Status, p.Header)
	}
	var doc struct {
		Profile struct {
			Email, Role string
		}
		DeclarationAcceptances []struct{ Version int }   `json:"declaration_acceptances"`
		SecurityEvents         []struct{ Action string } `json:"security_events"`
	}
	if err := json.Unmarshal([]byte(p.Body), &doc); err != nil {
		t.Fatalf("%v\n%s", err, p.Body)
	}
	if doc.Profile.Email != u.Email || account.Role(doc.Profile.Role) != account.RoleLearner || len(doc.DeclarationAcceptances) != 1 || len(doc.SecurityEvents) == 0 {
		t.Errorf("export: %+v", doc)
	}
	if strings.Contains(p.Body, "argon2id") {
		t.Error("the export contains the password hash")
	}
}

// The idle timeout is measured from the last request; requests keep a session alive.
func TestAccountPageKeepsSessionAlive(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)
	b := h.browser()
	b.signIn(u.Email, u.Password)
	for range 4 {
		h.clock.Advance(25 * time.Minute)
		if p := b.get("/account"); p.Status != http.StatusOK {
			t.Fatalf("active session ended: %d", p.Status)
		}
	}
}

// The export lists everything docs/data-protection.md records about the person: the second factor
// (without its secret), linked sign-on identities, cohorts joined and led, reminders received, the
// progress summary, the xAPI statements and every audit line about them, beyond the first 1000.
func TestExportListsEveryRecordOfProcessing(t *testing.T) {
	h := newHarness(t, learningContent(t))
	ctx := t.Context()
	joined, err := h.acc.CreateCohort(ctx, audit.CLI, "Nordstadt", "")
	if err != nil {
		t.Fatal(err)
	}
	led, err := h.acc.CreateCohort(ctx, audit.CLI, "Südstadt", "")
	if err != nil {
		t.Fatal(err)
	}
	u, b := learnerSession(t, h, userSpec{Cohort: joined.Name})
	h.enrol(u)
	h.exec(`UPDATE recovery_codes SET used_at = ? WHERE rowid = (SELECT min(rowid) FROM recovery_codes WHERE user_id = ?)`, h.clock.Now().Unix(), u.ID)
	h.exec(`INSERT INTO cohort_trainers(cohort_id, user_id) VALUES (?, ?)`, led.ID, u.ID)
	h.exec(`INSERT INTO user_identities(issuer, subject, user_id, linked_at, last_used_at) VALUES ('https://idp.stadt.example', 'sub-42', ?, ?, ?)`,
		u.ID, h.clock.Now().Unix()-3600, h.clock.Now().Unix())
	h.exec(`INSERT INTO reminders(user_id, cohort_id, kind, sent_at) VALUES (?, ?, 'inactive', ?)`, u.ID, joined.ID, h.clock.Now().Unix())
	h.exec(`UPDATE users SET reminders_off = 1 WHERE id = ?`, u.ID)
	b.get("/modules/beta/lessons/three")
	b.post("/modules/beta/lessons/three/complete", nil)
	h.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
		INSERT INTO audit_log(at, actor_id, actor, action, target_id, target, detail, ip)
		SELECT ?, NULL, 'system', 'test.line', ?, ?, 'line ' || i, '' FROM n`, h.clock.Now().Add(-time.Hour).Unix(), u.ID, u.Email)
	lines := h.count(`SELECT count(*) FROM audit_log WHERE target_id = ? OR actor_id = ?`, u.ID, u.ID)
	statements := h.count(`SELECT count(*) FROM xapi_statements WHERE user_id = ?`, u.ID)
	if statements == 0 {
		t.Fatal("no statements recorded for the learner")
	}

	p := b.get("/account/export.json")
	if p.Status != http.StatusOK {
		t.Fatalf("export: %d", p.Status)
	}
	var doc struct {
		Profile struct {
			Cohorts      string `json:"cohorts"`
			RemindersOff bool   `json:"reminders_off"`
		} `json:"profile"`
		SecurityEvents []struct{ Action string } `json:"security_events"`
		SecondFactor   struct {
			SetUp          bool      `json:"set_up"`
			ConfirmedAt    time.Time `json:"confirmed_at"`
			LastCodeUsedAt time.Time `json:"last_code_used_at"`
			Codes          int       `json:"recovery_codes"`
			Used           int       `json:"recovery_codes_used"`
		} `json:"second_factor"`
		Identities []struct {
			Issuer, Subject string
			LinkedAt        time.Time `json:"linked_at"`
			LastUsedAt      time.Time `json:"last_used_at"`
		} `json:"linked_identities"`
		Memberships []struct {
			Cohort   string
			JoinedAt time.Time `json:"joined_at"`
		} `json:"cohort_memberships"`
		Led       []struct{ Cohort string } `json:"cohorts_led"`
		Reminders []struct {
			Cohort, Reason string
			SentAt         time.Time `json:"sent_at"`
		} `json:"reminders_received"`
		Statements []struct {
			ID    string
			Actor struct{ Account struct{ Name string } }
		} `json:"xapi_statements"`
		Learning struct {
			Progress struct {
				Percent      int
				LastActivity time.Time `json:"last_activity_at"`
				Modules      []struct {
					Module  string
					Percent int
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(p.Body), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.SecurityEvents) != lines || lines <= 1200 {
		t.Errorf("%d audit lines exported, %d stored about the person", len(doc.SecurityEvents), lines)
	}
	f := doc.SecondFactor
	if !f.SetUp || f.ConfirmedAt.IsZero() || f.LastCodeUsedAt.IsZero() || f.Codes != len(u.Recovery) || f.Used != 1 || len(u.Recovery) == 0 {
		t.Errorf("second factor = %+v (recovery codes given: %d)", f, len(u.Recovery))
	}
	if strings.Contains(p.Body, u.Secret) {
		t.Error("the export contains the second factor's secret")
	}
	for _, c := range u.Recovery {
		if strings.Contains(p.Body, c) {
			t.Fatal("the export contains a recovery code")
		}
	}
	if len(doc.Identities) != 1 || doc.Identities[0].Issuer != "https://idp.stadt.example" || doc.Identities[0].Subject != "sub-42" ||
		doc.Identities[0].LinkedAt.IsZero() || doc.Identities[0].LastUsedAt.IsZero() {
		t.Errorf("linked identities = %+v", doc.Identities)
	}
	if len(doc.Memberships) != 1 || doc.Memberships[0].Cohort != "Nordstadt" || doc.Memberships[0].JoinedAt.IsZero() || doc.Profile.Cohorts != "Nordstadt" {
		t.Errorf("memberships = %+v, profile cohorts %q", doc.Memberships, doc.Profile.Cohorts)
	}
	if len(doc.Led) != 1 || doc.Led[0].Cohort != "Südstadt" {
		t.Errorf("cohorts led = %+v", doc.Led)
	}
	if len(doc.Reminders) != 1 || doc.Reminders[0].Cohort != "Nordstadt" || doc.Reminders[0].Reason != "inactive" ||
		doc.Reminders[0].SentAt.IsZero() || !doc.Profile.RemindersOff {
		t.Errorf("reminders = %+v, reminders off %v", doc.Reminders, doc.Profile.RemindersOff)
	}
	if len(doc.Statements) != statements || doc.Statements[0].ID == "" || doc.Statements[0].Actor.Account.Name == "" {
		t.Errorf("%d statements exported, %d stored: %+v", len(doc.Statements), statements, doc.Statements)
	}
	pr := doc.Learning.Progress
	if pr.Percent == 0 || pr.LastActivity.IsZero() || len(pr.Modules) == 0 {
		t.Errorf("progress = %+v", pr)
	}
}
