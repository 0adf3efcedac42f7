package web_test

import (
	"net/http"
	"strings"
	"testing"

	"saferspaces/internal/account"
)

// Administrators land on an overview of what needs them and how the platform is used, and the
// navigation counts the applications waiting; the two cohort items have distinct names.
func TestAdminOverview(t *testing.T) {
	h := newHarness(t, learningContent(t))
	admin := h.user(account.RoleAdmin)
	for _, e := range []string{"a@stadt.example", "b@stadt.example"} {
		if p := h.browser().post("/register", regForm(e)); p.Status != http.StatusSeeOther {
			t.Fatalf("register: %d", p.Status)
		}
	}
	// One learner learns and completes a module; one mail failed for good.
	_, l := learnerSession(t, h, userSpec{})
	l.post("/modules/beta/lessons/three/complete", nil)
	l.post("/modules/beta/check", fullAnswers)
	h.exec(`UPDATE mail_outbox SET status = 'failed' WHERE id = (SELECT min(id) FROM mail_outbox)`)

	b := h.browser()
	b.signIn(admin.Email, admin.Password)
	p := b.get("/admin")
	if p.Status != http.StatusOK {
		t.Fatalf("/admin: %d", p.Status)
	}
	one := func(label string) string { return `<span class="count">` + label }
	mustContain(t, p, one("2</span> <a href=\"/admin/registrations\">Anträge warten auf Freischaltung"),
		one("1</span> Person hat in den letzten 30 Tagen gelernt"),
		one("1</span> Modulabschluss im Mai 2026"),
		one("0</span> Abschlüsse des Gesamtprogramms"),
		one("1</span> <a href=\"/admin/mail?status=failed\">E-Mail konnte nicht zugestellt werden"))
	// The header leads here and counts the applications, with a text for screen readers.
	mustContain(t, p, `<a href="/admin" aria-current="page">Verwaltung <span class="badge">2<span class="visually-hidden"> Anträge warten auf Freischaltung</span></span></a>`,
		`<a href="/admin" aria-current="page">Auf einen Blick</a>`, "Fortschritt der Kohorten", "Kohorten verwalten")
	if strings.Count(mainOf(p.Body)+p.Body[:strings.Index(p.Body, "<main")], ">Kohorten<") != 0 {
		t.Error("a menu item is still called just „Kohorten“")
	}
	// Learners and trainers see no count and no admin link.
	if p := l.get("/"); strings.Contains(p.Body, `class="badge"`) || strings.Contains(p.Body, `href="/admin"`) {
		t.Error("a learner sees the admin navigation")
	}
}
