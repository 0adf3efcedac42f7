package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/testkit"
)

// The learning tests run on a small content of their own, so they do not change when the shipped
// modules are edited: module alpha (lessons one, two), module beta (lesson three), each with the
// same three-question self-check, pass mark 60.

var (
	failAnswers = url.Values{"q1": {"a"}, "q2": {"a"}, "q3": {"y"}}      // 1 of 3: 33 %
	passAnswers = url.Values{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"y"}} // 2 of 3: 66 %
	fullAnswers = url.Values{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"x"}} // 100 %
)

func learningContent(t testing.TB) harnessOption {
	t.Helper()
	cat := testkit.Catalog(t,
		testkit.Module{ID: "alpha", TitleDE: "Modul Alpha über Plätze", TitleEN: "Module Alpha on squares", Lessons: []string{"one", "two"}},
		testkit.Module{ID: "beta", TitleDE: "Modul Beta über Plätze", TitleEN: "Module Beta on squares", Lessons: []string{"three"}})
	return func(p *app.Parts) { p.Content = cat }
}

// learner signs in a new learner on a harness with the small content.
func learnerSession(t *testing.T, h *harness, spec userSpec) (*testUser, *browser) {
	t.Helper()
	spec.Role = account.RoleLearner
	u := h.userWith(spec)
	b := h.browser()
	b.signIn(u.Email, u.Password)
	return u, b
}

func mustContain(t *testing.T, p *page, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(p.Body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("page (status %d):\n%s", p.Status, mainOf(p.Body))
	}
}

func mainOf(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if i := strings.Index(body, "</main>"); i >= 0 {
		body = body[:i]
	}
	return body
}

func TestAnonymousHomeStaysTheStartPage(t *testing.T) {
	h := newHarness(t, learningContent(t))
	p := h.browser().get("/")
	if p.Status != http.StatusOK || strings.Contains(p.Body, "<progress") || !strings.Contains(p.Body, `href="/login"`) {
		t.Errorf("anonymous / = %d\n%s", p.Status, mainOf(p.Body))
	}
}

func TestDashboardShowsProgressAfterMarkAsDone(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u, b := learnerSession(t, h, userSpec{})

	p := b.get("/")
	if p.Status != http.StatusOK {
		t.Fatalf("dashboard: %d", p.Status)
	}
	mustContain(t, p, "Modul Alpha über Plätze", "Modul Beta über Plätze", "Worum es in Modul Alpha über Plätze geht.",
		`<progress value="0" max="100"`, "0\u00a0% erledigt · 0 von 2 Lektionen erledigt", "noch etwa 60 Minuten",
		`href="/modules/alpha/lessons/one"`, "Selbsttest noch nicht bearbeitet.")

	// Mark as done goes on to the next lesson; the last one back to the module.
	p = b.post("/modules/alpha/lessons/one/complete", nil)
	if p.Status != http.StatusSeeOther || p.Location() != "/modules/alpha/lessons/two" {
		t.Fatalf("complete one: %d → %q", p.Status, p.Location())
	}
	// Two tabs, a double click: harmless, one row.
	b.post("/modules/alpha/lessons/one/complete", nil)
	if n := h.count(`SELECT count(*) FROM lesson_completions WHERE user_id = ?`, u.ID); n != 1 {
		t.Errorf("%d completion rows after a double post", n)
	}

	p = b.get("/")
	mustContain(t, p, `<progress value="33" max="100" aria-labelledby="m-alpha"`, "33\u00a0% erledigt · 1 von 2 Lektionen erledigt",
		"noch etwa 40 Minuten", `href="/modules/alpha/lessons/two"`, "Weitermachen, wo Sie aufgehört haben")
	// The programme: 1 of 5 units.
	mustContain(t, p, `<progress value="20" max="100" aria-labelledby="programme-label"`, "20\u00a0% erledigt")

	// The lesson page knows it is done, and offers previous/next.
	p = b.get("/modules/alpha/lessons/one")
	mustContain(t, p, "Lektion one (de)", "Text von one auf de.", "erledigt", "bereits als erledigt markiert",
		`href="/modules/alpha/lessons/two" rel="next"`, `aria-current="page"`)
	p = b.get("/modules/alpha/lessons/two")
	mustContain(t, p, `href="/modules/alpha/lessons/one" rel="prev"`, "Als erledigt markieren und zurück zum Modul")
	p = b.post("/modules/alpha/lessons/two/complete", nil)
	if p.Status != http.StatusSeeOther || p.Location() != "/modules/alpha" {
		t.Fatalf("complete last: %d → %q", p.Status, p.Location())
	}
	p = b.follow(p)
	mustContain(t, p, "Ziel von Modul Alpha über Plätze", "Geschätzte Lernzeit: 60 Minuten", "2 von 2 Lektionen erledigt", "66\u00a0% erledigt",
		`href="/modules/alpha/check"`)
	if strings.Count(p.Body, `<span class="state done"><span class="label">erledigt</span></span>`) != 2 {
		t.Errorf("module page does not mark both lessons done in text:\n%s", mainOf(p.Body))
	}
	// With the lessons done, "continue" leads to the self-check.
	mustContain(t, b.get("/"), `<a role="button" href="/modules/alpha/check">Fortsetzen`)
}

func TestDashboardInEnglish(t *testing.T) {
	h := newHarness(t, learningContent(t))
	_, b := learnerSession(t, h, userSpec{Lang: "en"})
	b.post("/modules/beta/lessons/three/complete", nil)
	p := b.get("/")
	mustContain(t, p, `<html lang="en">`, "Module Beta on squares", "50% done · 1 of 1 lesson done", "Self-check not taken yet.")
	mustContain(t, b.get("/modules/beta/lessons/three"), "Lektion three (en)", "Text von three auf en.")
}

func TestSelfCheckGradesFailsThenPasses(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u, b := learnerSession(t, h, userSpec{})

	p := b.get("/modules/alpha/check")
	if p.Status != http.StatusOK {
		t.Fatalf("check page: %d", p.Status)
	}
	mustContain(t, p, `<fieldset id="q-q1">`, "<legend>", "Erste Frage?", "60\u00a0%",
		`type="radio" id="c-q1-a" name="q1" value="a"`, `type="radio" id="c-q1-b" name="q1" value="b"`,
		`type="checkbox" id="c-q2-a" name="q2" value="a"`, `type="checkbox" id="c-q2-c" name="q2" value="c"`,
		`<label for="c-q2-c">`)
	if n := strings.Count(p.Body, "<fieldset "); n != 3 {
		t.Errorf("%d fieldsets, want one per question", n)
	}

	// Fail: 1 of 3. The answer is a redirect to the attempt's own page (reloading it does not
	// submit again), which says which questions were wrong and explains the learner's own choices
	// only, with the lesson to read up — not the key.
	p = b.post("/modules/alpha/check", failAnswers)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/modules/alpha/check/attempts/") {
		t.Fatalf("submit: %d to %q, want 303 to the attempt", p.Status, p.Location())
	}
	p = b.follow(p)
	if p.Status != http.StatusOK {
		t.Fatalf("submit: %d", p.Status)
	}
	mustContain(t, p, "Noch nicht bestanden", "Ergebnis: 33\u00a0% (1 von 3 Fragen richtig)", "Bestes Ergebnis: 33\u00a0%",
		"A stimmt, weil es so ist.", "A gehört dazu.", "Y stimmt nicht.", "Ihre Antwort",
		"Richtig beantwortet.", "Nicht richtig beantwortet.", "sobald Sie den Selbsttest bestanden haben",
		`href="/modules/alpha/check"`, `href="/modules/alpha"`)
	for _, secret := range []string{"B gehört dazu.", "X stimmt.", "richtige Antwort", "falsche Antwort", "B stimmt nicht.", "C gehört nicht dazu."} {
		if strings.Contains(p.Body, secret) {
			t.Errorf("the failed attempt's page shows %q", secret)
		}
	}

	// Pass: 2 of 3 = 66 %. Now the whole key is shown, and the way goes on to the lessons still open.
	p = b.follow(b.post("/modules/alpha/check", passAnswers))
	mustContain(t, p, "Bestanden</h2>", "Ergebnis: 66\u00a0%", "Bestes Ergebnis: 66\u00a0%", "2 Versuche",
		"markieren Sie noch alle Lektionen", `href="/modules/alpha/lessons/one"`, // lessons not done: no certificate yet
		"B stimmt nicht.", "C gehört nicht dazu.", "X stimmt.", "richtige Antwort", "falsche Antwort")
	if strings.Contains(mainOf(p.Body), "Selbsttest (erneut) versuchen") {
		t.Error("after a pass the page offers the same self-check again instead of the way on")
	}
	if n := h.count(`SELECT count(*) FROM certificates WHERE user_id = ?`, u.ID); n != 0 {
		t.Errorf("certificate issued without the lessons")
	}

	// A later fail keeps the best score and the pass.
	p = b.follow(b.post("/modules/alpha/check", failAnswers))
	mustContain(t, p, "Ergebnis: 33\u00a0%", "Bestes Ergebnis: 66\u00a0%", "3 Versuche")
	mustContain(t, b.get("/modules/alpha"), "Selbsttest bestanden (bestes Ergebnis 66\u00a0%).", "3 Versuche")
	mustContain(t, b.get("/"), "Selbsttest bestanden (bestes Ergebnis 66\u00a0%).")

	// The history links every attempt; an old one can be looked at again.
	ids := regexp.MustCompile(`/modules/alpha/check/attempts/(\d+)`).FindAllStringSubmatch(p.Body, -1)
	seen := map[string]bool{}
	for _, m := range ids {
		seen[m[1]] = true
	}
	if len(seen) != 3 {
		t.Fatalf("history links %d attempts, want 3", len(seen))
	}
	var firstID int64
	h.db.R.QueryRow(`SELECT min(id) FROM check_attempts WHERE user_id = ?`, u.ID).Scan(&firstID)
	p = b.get(fmt.Sprintf("/modules/alpha/check/attempts/%d", firstID))
	mustContain(t, p, "Ergebnis: 33\u00a0%", "Versuch vom", "C gehört nicht dazu.")
}

// All-or-nothing through the form: an extra tick or a value for a choice that does not exist
// makes the question wrong, and a single-choice question sent twice is wrong.
func TestSelfCheckAllOrNothingThroughTheForm(t *testing.T) {
	h := newHarness(t, learningContent(t))
	_, b := learnerSession(t, h, userSpec{})
	tests := []struct {
		answers url.Values
		score   string
	}{
		{fullAnswers, "Ergebnis: 100\u00a0%"},
		{url.Values{"q1": {"a"}, "q2": {"a", "b", "c"}, "q3": {"x"}}, "Ergebnis: 66\u00a0%"},
		{url.Values{"q1": {"a", "b"}, "q2": {"a", "b"}, "q3": {"x"}}, "Ergebnis: 66\u00a0%"},
		{url.Values{"q1": {"a"}, "q2": {"a", "b", "zz"}, "q3": {"nope"}}, "Ergebnis: 33\u00a0%"},
	}
	for _, tt := range tests {
		p := b.follow(b.post("/modules/alpha/check", tt.answers))
		if p.Status != http.StatusOK || !strings.Contains(p.Body, tt.score) {
			t.Errorf("%v: status %d, want %q", tt.answers, p.Status, tt.score)
		}
	}
}

// Nothing of one learner is reachable by another: attempt ids of someone else are 404, and the
// other's progress and history do not show up.
func TestLearnerCannotReachAnotherLearnersRecords(t *testing.T) {
	h := newHarness(t, learningContent(t))
	anna, a := learnerSession(t, h, userSpec{Name: "Anna"})
	_, bob := learnerSession(t, h, userSpec{Name: "Bob"})

	a.post("/modules/alpha/lessons/one/complete", nil)
	a.follow(a.post("/modules/alpha/check", failAnswers))
	var annaAttempt int64
	h.db.R.QueryRow(`SELECT id FROM check_attempts WHERE user_id = ?`, anna.ID).Scan(&annaAttempt)

	for _, path := range []string{
		fmt.Sprintf("/modules/alpha/check/attempts/%d", annaAttempt),
		fmt.Sprintf("/modules/beta/check/attempts/%d", annaAttempt),
	} {
		if p := bob.get(path); p.Status != http.StatusNotFound {
			t.Errorf("bob GET %s = %d, want 404", path, p.Status)
		}
	}
	p := bob.get("/")
	mustContain(t, p, "0\u00a0% erledigt · 0 von 2 Lektionen erledigt")
	if p := bob.get("/modules/alpha/check"); strings.Contains(p.Body, "attempts/") || strings.Contains(p.Body, "Versuche:") {
		t.Errorf("bob sees an attempt history:\n%s", mainOf(p.Body))
	}
	// Bob's posts change Bob's records only.
	bob.post("/modules/alpha/lessons/two/complete", nil)
	if n := h.count(`SELECT count(*) FROM lesson_completions WHERE user_id = ?`, anna.ID); n != 1 {
		t.Errorf("anna has %d completions after bob's post", n)
	}
	// Anonymous: pages send to sign-in, posts get the sign-in page, nothing is written.
	anon := h.browser()
	if p := anon.get("/modules/alpha"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/login") {
		t.Errorf("anonymous module page: %d %q", p.Status, p.Location())
	}
	for _, path := range []string{"/modules/alpha/lessons/one/complete", "/modules/alpha/check"} {
		if p := anon.post(path, fullAnswers); loginFormFields(p) == nil {
			t.Errorf("anonymous POST %s = %d without the sign-in page", path, p.Status)
		}
	}
	if n := h.count(`SELECT count(*) FROM check_attempts`); n != 1 {
		t.Errorf("%d attempts, want only anna's", n)
	}
}

// Ids that do not exist are 404 pages, never 500.
func TestUnknownLearningIDsAre404(t *testing.T) {
	h := newHarness(t, learningContent(t))
	_, b := learnerSession(t, h, userSpec{})
	for _, path := range []string{
		"/modules/nope", "/modules/nope/lessons/one", "/modules/alpha/lessons/nope", "/modules/beta/lessons/one",
		"/modules/nope/check", "/modules/alpha/check/attempts/999999", "/modules/alpha/check/attempts/abc",
		"/modules/alpha/check/attempts/-1", "/modules/alpha/check/attempts/99999999999999999999",
		"/modules/%2E%2E/lessons/one", "/modules/alpha/lessons/one%00",
	} {
		if p := b.get(path); p.Status != http.StatusNotFound || !strings.Contains(p.Body, "<main") {
			t.Errorf("GET %s = %d, want the 404 page", path, p.Status)
		}
	}
	for _, path := range []string{"/modules/alpha/lessons/nope/complete", "/modules/nope/lessons/one/complete", "/modules/nope/check"} {
		if p := b.post(path, fullAnswers); p.Status != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", path, p.Status)
		}
	}
	if n := h.count(`SELECT count(*) FROM lesson_completions`) + h.count(`SELECT count(*) FROM check_attempts`); n != 0 {
		t.Errorf("%d rows written for unknown ids", n)
	}
	if strings.Contains(h.logs.String(), "status=500") {
		t.Errorf("a request ended in 500:\n%s", h.logs.String())
	}
}

// "Download my data" carries the learning records.
func TestExportCarriesLearningRecords(t *testing.T) {
	h := newHarness(t, learningContent(t))
	_, b := learnerSession(t, h, userSpec{})
	b.get("/modules/beta/lessons/three")
	b.post("/modules/beta/lessons/three/complete", nil)
	b.follow(b.post("/modules/beta/check", failAnswers))
	b.follow(b.post("/modules/beta/check", fullAnswers))
	b.post("/modules/alpha/check", url.Values{"q1": {"b"}}) // incomplete: kept as the draft
	p := b.get("/account/export.json")
	if p.Status != http.StatusOK {
		t.Fatalf("export: %d", p.Status)
	}
	var doc struct {
		Learning struct {
			Completions []struct{ Module, Lesson string } `json:"lesson_completions"`
			Visits      []struct{ Module, Lesson string } `json:"last_visited_lessons"`
			Attempts    []struct {
				Module  string
				Score   int                 `json:"score_percent"`
				Answers map[string][]string `json:"answers"`
				Shown   []struct {
					Question string   `json:"q"`
					Choices  []string `json:"c"`
				} `json:"questions_shown"`
			} `json:"self_check_attempts"`
			Drafts []struct {
				Module  string
				Answers map[string][]string `json:"answers"`
			} `json:"self_check_drafts"`
			Certificates []struct{ Code, Module string } `json:"certificates"`
		} `json:"learning"`
	}
	if err := json.Unmarshal([]byte(p.Body), &doc); err != nil {
		t.Fatal(err)
	}
	l := doc.Learning
	if len(l.Completions) != 1 || l.Completions[0].Lesson != "three" || len(l.Visits) != 1 ||
		len(l.Attempts) != 2 || l.Attempts[0].Score != 33 || l.Attempts[1].Score != 100 ||
		strings.Join(l.Attempts[1].Answers["q2"], ",") != "a,b" || len(l.Attempts[1].Shown) != 3 || len(l.Attempts[1].Shown[0].Choices) < 2 ||
		len(l.Drafts) != 1 || l.Drafts[0].Module != "alpha" || l.Drafts[0].Answers["q1"][0] != "b" ||
		len(l.Certificates) != 1 || l.Certificates[0].Module != "beta" {
		t.Errorf("export learning = %+v", l)
	}
}
