package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"saferspaces/internal/app"
	"saferspaces/internal/content"
	"saferspaces/internal/testkit"
	"saferspaces/modules"
)

// formChoices reads a self-check form as it is shown: question ids in order, each with its choice
// ids in order.
var choiceInput = regexp.MustCompile(`<input type="(?:radio|checkbox)" id="c-[^"]+" name="([^"]+)" value="([^"]+)"`)

type shownQuestion struct {
	ID      string
	Choices []string
}

func formChoices(body string) []shownQuestion {
	var out []shownQuestion
	for _, m := range choiceInput.FindAllStringSubmatch(body, -1) {
		if len(out) == 0 || out[len(out)-1].ID != m[1] {
			out = append(out, shownQuestion{ID: m[1]})
		}
		out[len(out)-1].Choices = append(out[len(out)-1].Choices, m[2])
	}
	return out
}

func orderOf(qs []shownQuestion) string {
	var parts []string
	for _, q := range qs {
		parts = append(parts, q.ID+":"+strings.Join(q.Choices, ""))
	}
	return strings.Join(parts, " ")
}

// The promise of the feedback, checked on every shipped module: after a failed attempt the page
// explains the choices the learner ticked and nothing else — no explanation of a correct choice
// they did not pick (nor of any other choice they did not pick), and no choice marked as the
// right one.
func TestFailedAttemptPageHidesTheKey(t *testing.T) {
	h := newHarness(t) // the shipped modules
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	_, b := learnerSession(t, h, userSpec{})
	for _, m := range cat.Modules {
		form := b.get("/modules/" + m.ID + "/check")
		shown := formChoices(form.Body)
		if len(shown) != m.Check.Drawn() {
			t.Fatalf("%s: the form shows %d questions, want %d", m.ID, len(shown), m.Check.Drawn())
		}
		// Every question wrong: a wrong choice; in multiple-choice questions also one correct
		// choice, whose explanation may then be shown.
		answers := url.Values{}
		ticked := map[string]bool{}
		for _, sq := range shown {
			q := m.Check.Question(sq.ID)
			tick := func(c *content.Choice) { answers.Add(q.ID, c.ID); ticked[q.ID+"/"+c.ID] = true }
			// (A multiple-choice question whose choices are all correct is wrong with one tick.)
			if w := slices.IndexFunc(q.Choices, func(c *content.Choice) bool { return !c.Correct }); w >= 0 {
				tick(q.Choices[w])
			}
			if q.Kind == content.Multiple {
				tick(q.Choices[slices.IndexFunc(q.Choices, func(c *content.Choice) bool { return c.Correct })])
			}
		}
		p := b.follow(b.post("/modules/"+m.ID+"/check", answers))
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Noch nicht bestanden") {
			t.Fatalf("%s: failed attempt: %d\n%s", m.ID, p.Status, mainOf(p.Body))
		}
		text := html.UnescapeString(mainOf(p.Body))
		for _, sq := range shown {
			q := m.Check.Question(sq.ID)
			for _, c := range q.Choices {
				shownExpl := strings.Contains(text, c.Explanation.In("de"))
				switch {
				case ticked[q.ID+"/"+c.ID] && !shownExpl:
					t.Errorf("%s/%s/%s: the learner's own choice is not explained", m.ID, q.ID, c.ID)
				case !ticked[q.ID+"/"+c.ID] && shownExpl && c.Correct:
					t.Errorf("%s/%s/%s: the explanation of a correct choice the learner did not pick is shown", m.ID, q.ID, c.ID)
				case !ticked[q.ID+"/"+c.ID] && shownExpl:
					t.Errorf("%s/%s/%s: the explanation of a choice the learner did not pick is shown", m.ID, q.ID, c.ID)
				}
			}
		}
		for _, marker := range []string{"richtige Antwort", "choice-correct"} {
			if strings.Contains(text, marker) {
				t.Errorf("%s: the failed attempt's page marks the right answers (%q)", m.ID, marker)
			}
		}
	}
}

func poolContent(t testing.TB, n, draw int) harnessOption {
	t.Helper()
	cat := testkit.Catalog(t,
		testkit.Module{ID: "pool", TitleDE: "Modul mit Fragenpool", TitleEN: "Module with a pool", Lessons: []string{"one"},
			Check: testkit.PoolCheckYAML(n, draw, "one")},
		testkit.Module{ID: "beta", Lessons: []string{"three"}})
	return func(p *app.Parts) { p.Content = cat }
}

// A pool of 12 with draw: 8 shows 8 questions; reloading shows the same paper; each attempt is a
// new order, graded on its 8 questions, and its page shows them in the order they were asked.
func TestSelfCheckDrawsAndShufflesPerAttempt(t *testing.T) {
	h := newHarness(t, poolContent(t, 12, 8))
	_, b := learnerSession(t, h, userSpec{})
	p := b.get("/modules/pool/check")
	shown := formChoices(p.Body)
	if len(shown) != 8 || strings.Count(p.Body, "<fieldset ") != 8 {
		t.Fatalf("the form shows %d questions, want 8 of the pool of 12", len(shown))
	}
	mustContain(t, p, "8 Fragen, für jeden Versuch neu ausgewählt aus 12 Fragen")
	if again := formChoices(b.get("/modules/pool/check").Body); orderOf(again) != orderOf(shown) {
		t.Errorf("reloading the form changed it:\n%s\n%s", orderOf(shown), orderOf(again))
	}

	orders := map[string]bool{}
	for attempt := 1; attempt <= 3; attempt++ {
		form := formChoices(b.get("/modules/pool/check").Body)
		if orders[orderOf(form)] {
			t.Errorf("attempt %d presents an order seen before: %s", attempt, orderOf(form))
		}
		orders[orderOf(form)] = true
		// The first six right: 6 of the 8 drawn is 75 %, whatever the other four of the pool are.
		answers := url.Values{}
		for i, q := range form {
			answers.Set(q.ID, map[bool]string{true: "a", false: "b"}[i < 6])
		}
		res := b.follow(b.post("/modules/pool/check", answers))
		mustContain(t, res, "Ergebnis: 75\u00a0% (6 von 8 Fragen richtig)")
		// The result lists the questions in the order they were asked.
		var asked []string
		for _, q := range form {
			asked = append(asked, q.ID)
		}
		var reviewed []string
		for _, m := range regexp.MustCompile(`<h3 id="q-([^"]+)">`).FindAllStringSubmatch(res.Body, -1) {
			reviewed = append(reviewed, m[1])
		}
		if !slices.Equal(asked, reviewed) {
			t.Errorf("attempt %d: asked %v, the result shows %v", attempt, asked, reviewed)
		}
	}
	if n := h.count(`SELECT count(*) FROM check_attempts WHERE json_array_length(shown) = 8`); n != 3 {
		t.Errorf("%d attempts store their 8 questions, want 3", n)
	}
}

// An attempt with unanswered questions is not graded or stored: the form comes back (422) saying
// which questions are missing, with every answer given still ticked; the answers are kept on the
// server, so leaving and coming back shows them again.
func TestIncompleteSubmissionComesBackWithItsAnswers(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u, b := learnerSession(t, h, userSpec{})
	p := b.post("/modules/alpha/check", url.Values{"q2": {"a", "c"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("incomplete submission: %d, want 422", p.Status)
	}
	mustContain(t, p, "2 Fragen sind noch nicht beantwortet", `href="#q-q1"`, `href="#q-q3"`,
		`id="e-q1"`, `aria-describedby="e-q1"`, "Bitte beantworten Sie diese Frage.",
		`id="c-q2-a" name="q2" value="a" checked`, `id="c-q2-c" name="q2" value="c" checked`, "<title>Fehler:")
	if strings.Contains(p.Body, `id="e-q2"`) || strings.Contains(p.Body, `value="b" checked`) {
		t.Errorf("the answered question is marked as missing, or an answer not given is ticked")
	}
	if n := h.count(`SELECT count(*) FROM check_attempts WHERE user_id = ?`, u.ID); n != 0 {
		t.Errorf("%d attempts stored for an incomplete submission", n)
	}
	// Later, in a new session: the draft is still there.
	b2 := h.browser()
	b2.signIn(u.Email, u.Password)
	p = b2.get("/modules/alpha/check")
	mustContain(t, p, "sind wiederhergestellt", `value="a" checked`, `value="c" checked`)
	// Completing it grades it and clears the draft.
	p = b2.post("/modules/alpha/check", url.Values{"q1": {"a"}, "q2": {"a", "c"}, "q3": {"x"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("complete submission: %d", p.Status)
	}
	if strings.Contains(b2.get("/modules/alpha/check").Body, "checked") {
		t.Error("the next attempt starts with the old answers ticked")
	}
	if n := h.count(`SELECT count(*) FROM check_drafts`); n != 0 {
		t.Errorf("%d drafts after a graded attempt", n)
	}
}

// The history under a self-check lists the ten newest attempts and says how many there are in
// all; the oldest of twelve is no longer linked there.
func TestAttemptHistoryShowsTheNewestTen(t *testing.T) {
	h := newHarness(t, poolContent(t, 12, 8))
	_, b := learnerSession(t, h, userSpec{})
	var first string
	for attempt := 1; attempt <= 12; attempt++ {
		answers := url.Values{}
		for _, q := range formChoices(b.get("/modules/pool/check").Body) {
			answers.Set(q.ID, "b")
		}
		res := b.post("/modules/pool/check", answers)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("attempt %d: %d", attempt, res.Status)
		}
		if attempt == 1 {
			first = res.Header.Get("Location")
		}
	}
	p := b.get("/modules/pool/check")
	if n := strings.Count(p.Body, `/check/attempts/`); n != 10 {
		t.Errorf("the history links %d attempts, want the newest 10", n)
	}
	if strings.Contains(p.Body, `href="`+first+`"`) {
		t.Errorf("the oldest attempt %s is still listed", first)
	}
	mustContain(t, p, "Die letzten 10 von 12 Versuchen")
	mustContain(t, p, "12 Versuche")
}
