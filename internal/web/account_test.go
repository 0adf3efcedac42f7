package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
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
