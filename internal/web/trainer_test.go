package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
)

// trainerWorld: Tanja leads "Nord" (Anna, active; Bernd, inactive), Uwe leads "Süd" (Emil), Ada
// is an admin. The clock stands twenty days after the cohorts were made.
type trainerWorld struct {
	*harness
	nord, sued                         int64
	tanja, uwe, ada, anna, bernd, emil *testUser
}

func newTrainerWorld(t *testing.T) trainerWorld {
	h := newHarness(t)
	ctx := context.Background()
	nord, err := h.acc.CreateCohort(ctx, audit.CLI, "Nord", "")
	if err != nil {
		t.Fatal(err)
	}
	sued, err := h.acc.CreateCohort(ctx, audit.CLI, "Süd", "")
	if err != nil {
		t.Fatal(err)
	}
	w := trainerWorld{harness: h, nord: nord.ID, sued: sued.ID,
		tanja: h.userWith(userSpec{Email: "tanja@example.org", Name: "Tanja Trainer", Role: account.RoleTrainer, Cohort: "Nord"}),
		uwe:   h.userWith(userSpec{Email: "uwe@example.org", Name: "Uwe Trainer", Role: account.RoleTrainer, Cohort: "Süd", Lang: "en"}),
		ada:   h.userWith(userSpec{Email: "ada@example.org", Name: "Ada Admin", Role: account.RoleAdmin}),
		anna:  h.userWith(userSpec{Email: "anna@example.org", Name: "Anna Ärger", Cohort: "Nord"}),
		bernd: h.userWith(userSpec{Email: "bernd@example.org", Name: "=Bernd Bauer", Cohort: "Nord"}),
		emil:  h.userWith(userSpec{Email: "emil@example.org", Name: "Emil Ernst", Cohort: "Süd"}),
	}
	// Twenty days later Anna did a lesson yesterday; Bernd has done nothing since joining.
	h.clock.Advance(20 * 24 * time.Hour)
	h.exec(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at) VALUES (?, 'public-spaces', 'soft-targets', ?)`,
		w.anna.ID, h.clock.Now().Add(-24*time.Hour).Unix())
	return w
}

// as is a browser signed in as u.
func (w trainerWorld) as(u *testUser) *browser {
	b := w.browser()
	b.signIn(u.Email, u.Password)
	return b
}

func TestTrainerAccess(t *testing.T) {
	w := newTrainerWorld(t)
	tanja, anna, admin, anon := w.as(w.tanja), w.as(w.anna), w.as(w.ada), w.browser()
	nord, sued := fmt.Sprint(w.nord), fmt.Sprint(w.sued)

	for _, tt := range []struct {
		who    string
		client *browser
		path   string
		want   int
	}{
		{"anonymous", anon, "/trainer", http.StatusSeeOther},
		{"anonymous", anon, "/trainer/cohorts/" + nord + "/progress.csv", http.StatusSeeOther},
		{"learner", anna, "/trainer", http.StatusForbidden},
		{"learner", anna, "/trainer/cohorts/" + nord, http.StatusForbidden},
		{"learner", anna, "/trainer/cohorts/" + nord + "/progress.csv", http.StatusForbidden},
		{"trainer", tanja, "/trainer", http.StatusOK},
		{"trainer", tanja, "/trainer/cohorts/" + nord, http.StatusOK},
		{"trainer", tanja, "/trainer/cohorts/" + nord + "/progress.csv", http.StatusOK},
		{"trainer, other cohort", tanja, "/trainer/cohorts/" + sued, http.StatusNotFound},
		{"trainer, other cohort", tanja, "/trainer/cohorts/" + sued + "/progress.csv", http.StatusNotFound},
		{"trainer, unknown cohort", tanja, "/trainer/cohorts/99999", http.StatusNotFound},
		{"trainer, not an id", tanja, "/trainer/cohorts/abc", http.StatusNotFound},
		{"trainer, negative id", tanja, "/trainer/cohorts/-1", http.StatusNotFound},
		{"admin", admin, "/trainer/cohorts/" + sued, http.StatusOK},
	} {
		p := tt.client.get(tt.path)
		if p.Status != tt.want {
			t.Errorf("%s GET %s: %d, want %d", tt.who, tt.path, p.Status, tt.want)
		}
		if p.Status == http.StatusNotFound && strings.Contains(p.Body, "Emil") {
			t.Errorf("%s GET %s: the 404 page shows a learner of the cohort", tt.who, tt.path)
		}
	}

	list := tanja.get("/trainer").Body
	if !strings.Contains(list, `href="/trainer/cohorts/`+nord+`"`) || strings.Contains(list, "Süd") {
		t.Errorf("Tanja's list should show Nord only:\n%s", list)
	}
	list = admin.get("/trainer").Body
	if !strings.Contains(list, "Nord") || !strings.Contains(list, "Süd") || !strings.Contains(list, "/admin/export/xapi.jsonl") {
		t.Errorf("the admin's list should show every cohort and the xAPI export")
	}
}

func TestTrainerCohortPage(t *testing.T) {
	w := newTrainerWorld(t)
	// Emil (other cohort) completes a module today: it must not show in Nord's chart.
	w.exec(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at)
		SELECT u.id, 'public-spaces', l.column1, ? FROM users u, (VALUES ('soft-targets'), ('threat-spectrum'), ('eu-framework'), ('local-role')) l
		WHERE u.id = ?`, w.clock.Now().Unix(), w.emil.ID)
	w.exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at) VALUES (?, 'public-spaces', 100, 1, '{}', ?)`,
		w.emil.ID, w.clock.Now().Unix())
	body := w.as(w.tanja).get(fmt.Sprintf("/trainer/cohorts/%d", w.nord)).Body
	for _, want := range []string{
		`<table class="matrix"`, "<caption>", `<th scope="col"`, `<th scope="row" class="name">Anna Ärger`,
		`<svg class="chart"`, `role="img"`, "<title", // the chart, with its text alternative
		"Modulabschlüsse je Tag", // the table beside the chart (the cohort is 20 days old)
	} {
		if !strings.Contains(body, want) {
			t.Errorf("cohort page lacks %q", want)
		}
	}
	if strings.Contains(body, "Emil") || strings.Contains(body, `<rect class="bar"`) {
		t.Error("a learner of another cohort is on the page or in the chart")
	}
	// Bernd is inactive (highlighted and named so in text); Anna is not.
	matrix := body[strings.Index(body, `<table class="matrix"`):]
	matrix = matrix[:strings.Index(matrix, "</table>")]
	rows := regexp.MustCompile(`(?s)<tr( class="inactive")?>\s*<th scope="row" class="name">([^<]*)`).FindAllStringSubmatch(matrix, -1)
	inactive := map[string]bool{}
	for _, r := range rows {
		inactive[r[2]] = r[1] != ""
	}
	if len(inactive) != 2 || !inactive["=Bernd Bauer"] || inactive["Anna Ärger"] {
		t.Errorf("rows and inactive flags: %v", inactive)
	}
	if !strings.Contains(body, `<strong class="inactive-mark">inaktiv</strong>`) {
		t.Error("the inactive row has no text marker")
	}
	if !strings.Contains(matrix, "<td class=\"cell\">20\u00a0%") { // Anna: one of the module's four lessons and its check
		t.Error("Anna's percentage is missing")
	}
}

func TestTrainerCSV(t *testing.T) {
	w := newTrainerWorld(t)
	p := w.as(w.tanja).get(fmt.Sprintf("/trainer/cohorts/%d/progress.csv", w.nord))
	body := p.Body
	if ct := p.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := p.Header.Get("Content-Disposition"); cd != `attachment; filename=saferspaces-nord-2026-05-24.csv` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if !strings.HasPrefix(body, "\uFEFFName;E-Mail;Organisation;Letzte Aktivität;") {
		t.Errorf("no BOM or no German header: %q", body[:min(80, len(body))])
	}
	lines := strings.Split(body, "\r\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("want header, two learners and a final CRLF, got %q", lines)
	}
	// Rows are sorted by name as stored: "=Bernd" before "Anna".
	if !strings.HasPrefix(lines[1], "'=Bernd Bauer;bernd@example.org;Stadt Beispiel;;0;;") {
		t.Errorf("a name starting with = is not defused: %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "Anna Ärger;anna@example.org;Stadt Beispiel;23.05.2026;20;;") {
		t.Errorf("Anna's row = %q", lines[2])
	}

	// Uwe's interface language is English: so is his header.
	body = w.as(w.uwe).get(fmt.Sprintf("/trainer/cohorts/%d/progress.csv", w.sued)).Body
	if !strings.HasPrefix(body, "\uFEFFName;E-mail;Organisation;Last activity;") {
		t.Errorf("English header: %q", body[:min(80, len(body))])
	}
}

func TestTrainerChartBars(t *testing.T) {
	w := newTrainerWorld(t)
	// Anna finishes the first module today: one bar, on today's date.
	w.exec(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at)
		SELECT u.id, 'public-spaces', l.column1, ? FROM users u, (VALUES ('threat-spectrum'), ('eu-framework'), ('local-role')) l
		WHERE u.id = ?`, w.clock.Now().Unix(), w.anna.ID)
	w.exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at) VALUES (?, 'public-spaces', 80, 1, '{}', ?)`,
		w.anna.ID, w.clock.Now().Unix())
	body := w.as(w.tanja).get(fmt.Sprintf("/trainer/cohorts/%d", w.nord)).Body
	if n := strings.Count(body, `<rect class="bar"`); n != 1 {
		t.Errorf("%d bars, want 1", n)
	}
	for _, want := range []string{
		"<title>24.05.2026: 1</title>",
		"Abgeschlossene Module insgesamt: 1",
		`<tr><th scope="row">24.05.2026</th><td>1</td><td>1</td></tr>`,
		`Selbsttest, bestes Ergebnis: </span>80` + "\u00a0%" + ` <span aria-hidden="true">✓</span><span class="visually-hidden">bestanden</span>`,
		"<td class=\"cell complete\">100\u00a0%", "1 Versuch</summary>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("cohort page lacks %q", want)
		}
	}
}

// matrixNames lists the names of the matrix's rows, in order.
func matrixNames(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<th scope="row" class="name">([^<]*)`).FindAllStringSubmatch(body, -1) {
		out = append(out, strings.TrimSpace(m[1]))
	}
	return out
}

// The matrix sorts by any column, both ways, narrows to the inactive learners, labels its module
// columns short with the full title at hand, and shows each learner's self-check attempts.
func TestTrainerMatrixSortsFiltersAndShowsAttempts(t *testing.T) {
	w := newTrainerWorld(t)
	// Bernd tried the first module's self-check twice (40 %, then 70 %); Anna never did.
	for i, score := range []int{40, 70} {
		w.exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at) VALUES (?, 'public-spaces', ?, 0, '{}', ?)`,
			w.bernd.ID, score, w.clock.Now().Add(time.Duration(i-30)*24*time.Hour).Unix())
	}
	b := w.as(w.tanja)
	path := fmt.Sprintf("/trainer/cohorts/%d", w.nord)
	for _, tt := range []struct {
		query string
		want  []string
		sort  string // the header marked aria-sort
	}{
		{"", []string{"=Bernd Bauer", "Anna Ärger"}, `aria-sort="ascending"><a href="?dir=desc&amp;sort=name`},
		{"?sort=name&dir=desc", []string{"Anna Ärger", "=Bernd Bauer"}, `aria-sort="descending"><a href="?sort=name`},
		{"?sort=total", []string{"=Bernd Bauer", "Anna Ärger"}, `aria-sort="ascending"><a href="?dir=desc&amp;sort=total`},
		{"?sort=total&dir=desc", []string{"Anna Ärger", "=Bernd Bauer"}, `aria-sort="descending"`},
		{"?sort=last&dir=desc", []string{"Anna Ärger", "=Bernd Bauer"}, `aria-sort="descending"`},
		{"?sort=m.public-spaces", []string{"=Bernd Bauer", "Anna Ärger"}, `aria-sort="ascending"`},
		{"?sort=m.public-spaces&dir=desc", []string{"Anna Ärger", "=Bernd Bauer"}, `aria-sort="descending"`},
		{"?sort=nonsense", []string{"=Bernd Bauer", "Anna Ärger"}, `aria-sort="ascending"`},
		{"?inactive=1", []string{"=Bernd Bauer"}, `aria-sort="ascending"`},
	} {
		p := b.get(path + tt.query)
		if got := matrixNames(p.Body); !slices.Equal(got, tt.want) {
			t.Errorf("%s: rows %v, want %v", tt.query, got, tt.want)
		}
		if !strings.Contains(p.Body, tt.sort) {
			t.Errorf("%s: no %q", tt.query, tt.sort)
		}
		if n := strings.Count(p.Body, `aria-sort=`); n != 1 {
			t.Errorf("%s: %d columns marked sorted", tt.query, n)
		}
	}
	p := b.get(path + "?inactive=1&sort=total&dir=desc")
	mustContain(t, p, "Angezeigt: 1 von 2 Teilnehmenden", `name="inactive" value="1" checked`, `href="?inactive=1&amp;sort=name`)
	// Short module labels with the title at hand, and a legend; the attempts one by one.
	p = b.get(path)
	cat := w.svc.Content
	mustContain(t, p, `<abbr title="`+cat.Modules[0].Title.In("de")+`">M1</abbr>`, `<dt>M9</dt>`,
		"<dd>"+cat.Modules[8].Title.In("de")+"</dd>", "2 Versuche</summary>", "<li>40\u00a0%</li><li>70\u00a0%</li>")
	if n := strings.Count(p.Body, `<th scope="col" class="module"`); n != len(cat.Modules) {
		t.Errorf("%d module columns, want %d", n, len(cat.Modules))
	}
}
