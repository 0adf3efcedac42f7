package web_test

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/i18n"
)

// Every action the code writes to the audit log has a name in every language, so the admin's page
// never shows a code. The actions are found in the source, so a new one cannot slip past.
func TestEveryAuditActionHasAName(t *testing.T) {
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`Action: *"([a-z_]+\.[a-z_.]+|logout)"`),
		regexp.MustCompile(`audit\.Log\([^"\n]*"([a-z_.]+)"`),
		regexp.MustCompile(`action :?= "([a-z_.]+)"`),
	}
	actions := map[string]string{"user.disabled": "status.go", "user.enabled": "status.go"} // "user."+verb+"d"
	root := filepath.Join(repoRoot(t), "internal")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, re := range patterns {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				if m[1] != "user." {
					actions[m[1]] = filepath.Base(p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) < 20 {
		t.Fatalf("found only %d audit actions in the source: %v", len(actions), actions)
	}
	for code, file := range actions {
		for _, lang := range i18n.Languages() {
			if !i18n.Has(lang, "audit.action."+code) {
				t.Errorf("%s: audit action %q (%s) has no name audit.action.%s", lang, code, file, code)
			}
		}
	}
}

// The audit log page says what happened in the reader's language: actions by name, the
// platform's details and targets translated, no codes.
func TestAuditLogPageIsTranslated(t *testing.T) {
	h := newHarness(t)
	admin := h.userWith(userSpec{Role: account.RoleAdmin, Lang: "en"})
	b := h.browser()
	b.signIn(admin.Email, admin.Password)
	// A failed sign-in, an application approved into a cohort, a role change.
	h.browser().post("/login", url.Values{"email": {admin.Email}, "password": {"not the password at all"}})
	if _, err := h.acc.CreateCohort(t.Context(), audit.Actor{ID: admin.ID, Email: admin.Email}, "North", "N1"); err != nil {
		t.Fatal(err)
	}
	learner := h.user(account.RoleLearner)
	b.post(fmt.Sprintf("/admin/users/%d/role", learner.ID), url.Values{"role": {"trainer"}})
	p := b.get("/admin/audit")
	table := p.Body[strings.Index(p.Body, "<tbody>"):]
	mustContain(t, p, "Sign-in failed", "wrong password", "Role changed", "Learner → Trainer", "Cohort created", "cohort code N1", "Signed in")
	for _, code := range []string{"login.failed", "user.role", "cohort.created", "learner → trainer", "login.succeeded"} {
		if strings.Contains(table, code) {
			t.Errorf("the audit page shows the code %q", code)
		}
	}
	// The filter finds an action by its name, too.
	mustContain(t, b.get("/admin/audit?q="+url.QueryEscape("sign-in failed")), "wrong password")
	p = b.get("/admin/audit?q=" + url.QueryEscape("Role changed"))
	rows := p.Body[strings.Index(p.Body, "<tbody>"):]
	if strings.Contains(rows, "Sign-in failed") || !strings.Contains(rows, "Role changed") {
		t.Errorf("the filter by action name lists other actions:\n%s", rows)
	}
}

// The details the second factor, the learning-record queue and the retention run write are said
// in the reader's language too, not in the English they are stored in.
func TestAuditDetailsOfSecondFactorQueueAndRetentionAreTranslated(t *testing.T) {
	h := newHarness(t)
	admin := h.userWith(userSpec{Role: account.RoleAdmin, Lang: "de"})
	b := h.browser()
	b.signIn(admin.Email, admin.Password) // waiting for the second factor; second factor: app code
	wrong := h.browser()
	if p := wrong.post("/login", url.Values{"email": {admin.Email}, "password": {admin.Password}}); p.Location() != "/login/code" {
		t.Fatalf("password step → %q", p.Location())
	}
	wrong.post("/login/code", url.Values{"code": {"000000"}}) // wrong second-factor code
	act := audit.Actor{ID: admin.ID, Email: admin.Email}
	// An activation link asked for an account that has one (already activated), and one sent.
	if err := h.acc.RequestActivation(t.Context(), admin.Email, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	pending := h.userWith(userSpec{Role: account.RoleLearner, NotActivated: true})
	h.clock.Advance(3 * time.Minute) // past the gap after the first link
	if err := h.acc.RequestActivation(t.Context(), pending.Email, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.XAPI.Retry(t.Context(), act, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Retention.Run(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	p := b.get("/admin/audit")
	table := p.Body[strings.Index(p.Body, "<tbody>"):]
	mustContain(t, p, "wartet auf den zweiten Faktor", "zweiter Faktor: Code aus der App", "falscher Code des zweiten Faktors",
		"alle fehlgeschlagenen und wartenden Aussagen (0)", "Protokollzeilen gelöscht: 0", "inaktive Konten anonymisiert: 0",
		"oder schon aktiviert; nichts gesendet", "Aktivierungslink gesendet")
	for _, english := range []string{"second factor", "statements", "deleted:", "anonymised:", "warnings sent", "already activated", "link sent"} {
		if strings.Contains(table, english) {
			t.Errorf("the German audit page says %q", english)
		}
	}
}
