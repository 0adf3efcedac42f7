package web_test

import (
	"regexp"
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
)

// Pages write numbers the way each language does: in German a no-break space before "%" (never a
// normal one, which can break the line between number and sign), in English none; no plural
// makeshifts such as "Minute(n)".
func TestPagesWritePercentAndPluralsProperly(t *testing.T) {
	h := newHarness(t, learningContent(t))
	if _, err := h.acc.CreateCohort(t.Context(), audit.CLI, "Nord", ""); err != nil {
		t.Fatal(err)
	}
	admin := h.userWith(userSpec{Role: account.RoleAdmin, Cohort: "Nord"})
	_, l := learnerSession(t, h, userSpec{Cohort: "Nord"})
	l.post("/modules/alpha/lessons/one/complete", nil)
	attempt := l.follow(l.post("/modules/alpha/check", failAnswers))
	a := h.browser()
	a.signIn(admin.Email, admin.Password)
	pages := map[string]*page{"attempt": attempt}
	for _, p := range []string{"/", "/modules/alpha", "/modules/alpha/check", "/modules/alpha/lessons/one", "/certificates"} {
		pages[p] = l.get(p)
	}
	for _, p := range []string{"/trainer", "/trainer/cohorts/1", "/admin", "/admin/audit"} {
		pages[p] = a.get(p)
	}
	normalSpace := regexp.MustCompile(`\d %`)
	makeshift := regexp.MustCompile(`\p{L}\((n|en|s|e)\)`)
	for name, p := range pages {
		if p.Status != 200 {
			t.Errorf("%s: %d", name, p.Status)
			continue
		}
		body := mainOf(p.Body)
		if m := normalSpace.FindString(body); m != "" {
			t.Errorf("%s: %q — a normal space before %%", name, m)
		}
		if m := makeshift.FindString(body); m != "" {
			t.Errorf("%s: %q", name, m)
		}
	}
	en := h.userWith(userSpec{Lang: "en"})
	b := h.browser()
	b.signIn(en.Email, en.Password)
	if m := regexp.MustCompile(`\d[\s\x{00a0}]%`).FindString(mainOf(b.get("/").Body)); m != "" {
		t.Errorf("English dashboard: %q", m)
	}
}
