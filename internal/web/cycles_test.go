package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/content"
	"saferspaces/internal/remind"
)

// A person in two cohorts appears in both, with the same progress: it is the person's.
func TestPersonInTwoCohorts(t *testing.T) {
	w := newTrainerWorld(t)
	if err := w.acc.AddMember(context.Background(), audit.CLI, w.sued, w.anna.ID); err != nil {
		t.Fatal(err)
	}
	nord := w.as(w.tanja).get(fmt.Sprintf("/trainer/cohorts/%d", w.nord)).Body
	sued := w.as(w.uwe).get(fmt.Sprintf("/trainer/cohorts/%d", w.sued)).Body
	row := regexp.MustCompile(`(?s)>Anna Ärger</a>.*?</tr>`)
	a, b := row.FindString(nord), row.FindString(sued)
	if a == "" || b == "" {
		t.Fatalf("Anna is missing from a cohort she belongs to: Nord %v, Süd %v", a != "", b != "")
	}
	if !strings.Contains(a, `class="cell">20`+"\u00a0%") || !strings.Contains(b, `class="cell">20%`) { // Uwe reads English

		t.Errorf("her progress differs between the cohorts:\n%s\n%s", a, b)
	}
	// Her account page names both.
	if p := w.as(w.anna).get("/account"); !strings.Contains(p.Body, "Nord, Süd") {
		t.Errorf("account page does not list both cohorts")
	}
	// Each trainer may open her detail through their own cohort, not through the other's.
	if p := w.as(w.uwe).get(fmt.Sprintf("/trainer/cohorts/%d/learners/%d", w.sued, w.anna.ID)); p.Status != http.StatusOK {
		t.Errorf("Uwe on Anna via Süd: %d", p.Status)
	}
	if p := w.as(w.uwe).get(fmt.Sprintf("/trainer/cohorts/%d/learners/%d", w.nord, w.anna.ID)); p.Status != http.StatusNotFound {
		t.Errorf("Uwe on Anna via Nord: %d, want 404", p.Status)
	}
}

// A trainer gets the same 404 for everything of a cohort they do not lead, and for a person
// who is not a member of their cohort.
func TestTrainerOtherCohortIs404(t *testing.T) {
	w := newTrainerWorld(t)
	tanja := w.as(w.tanja)
	sued := w.sued
	for _, path := range []string{
		fmt.Sprintf("/trainer/cohorts/%d/learners/%d", sued, w.emil.ID),
		fmt.Sprintf("/trainer/cohorts/%d/learners/%d", w.nord, w.emil.ID), // Emil is not in Nord
		fmt.Sprintf("/trainer/cohorts/%d/learners/abc", w.nord),
		fmt.Sprintf("/trainer/cohorts/%d/questions", sued),
		fmt.Sprintf("/trainer/cohorts/%d/progress.xlsx", sued),
		fmt.Sprintf("/trainer/cohorts/%d/progress.csv", sued),
	} {
		if p := tanja.get(path); p.Status != http.StatusNotFound || strings.Contains(p.Body, "Emil") {
			t.Errorf("GET %s: %d, want 404 without the learner", path, p.Status)
		}
	}
	for _, path := range []string{fmt.Sprintf("/trainer/cohorts/%d/remind", sued), fmt.Sprintf("/trainer/cohorts/%d/message", sued)} {
		if p := tanja.post(path, url.Values{"message": {"Hallo"}}); p.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, p.Status)
		}
	}
	if n := len(w.mails("emil@example.org")); n != 1 { // his activation mail only
		t.Errorf("Emil got %d mails", n)
	}
	// Her own cohort's pages work.
	for _, path := range []string{
		fmt.Sprintf("/trainer/cohorts/%d/learners/%d", w.nord, w.anna.ID),
		fmt.Sprintf("/trainer/cohorts/%d/questions", w.nord),
		fmt.Sprintf("/trainer/cohorts/%d/progress.xlsx", w.nord),
	} {
		if p := tanja.get(path); p.Status != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.Status)
		}
	}
}

// Archived cohorts are read-only and hidden from the default lists; their report stays.
func TestArchivedCohortIsReadOnly(t *testing.T) {
	w := newTrainerWorld(t)
	admin := w.as(w.ada)
	p := admin.post(fmt.Sprintf("/admin/cohorts/%d/archive", w.nord), url.Values{})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("archive: %d", p.Status)
	}
	nord := fmt.Sprint(w.nord)
	for _, tt := range []struct {
		b    *browser
		path string
		form url.Values
	}{
		{admin, "/admin/cohorts/" + nord, url.Values{"name": {"Nord neu"}}},
		{admin, "/admin/cohorts/" + nord + "/members", url.Values{"email": {"emil@example.org"}}},
		{admin, fmt.Sprintf("/admin/cohorts/%s/members/%d/remove", nord, w.anna.ID), url.Values{}},
		{admin, fmt.Sprintf("/admin/cohorts/%s/trainers/%d/remove", nord, w.tanja.ID), url.Values{}},
		{admin, "/admin/cohorts/" + nord + "/trainers", url.Values{"user": {fmt.Sprint(w.uwe.ID)}}},
		{w.as(w.tanja), "/trainer/cohorts/" + nord + "/remind", url.Values{}},
		{w.as(w.tanja), "/trainer/cohorts/" + nord + "/message", url.Values{"message": {"Workshop"}}},
	} {
		if p := tt.b.post(tt.path, tt.form); p.Status != http.StatusConflict || !strings.Contains(p.Body, "archiviert") {
			t.Errorf("POST %s on an archived cohort: %d, want 409 with the reason", tt.path, p.Status)
		}
	}
	if n := w.count(`SELECT count(*) FROM cohort_members WHERE cohort_id = ?`, w.nord); n != 2 {
		t.Errorf("%d members after refused changes", n)
	}
	if n := w.count(`SELECT count(*) FROM cohorts WHERE name = 'Nord'`); n != 1 {
		t.Error("the archived cohort was renamed")
	}
	tanja := w.as(w.tanja)
	if body := tanja.get("/trainer").Body; strings.Contains(body, `href="/trainer/cohorts/`+nord+`"`) {
		t.Error("the archived cohort is in the trainer's default list")
	}
	if body := tanja.get("/trainer?archived=1").Body; !strings.Contains(body, `href="/trainer/cohorts/`+nord+`"`) {
		t.Error("the archived cohort is missing with ?archived=1")
	}
	if body := admin.get("/admin/cohorts").Body; strings.Contains(body, ">Nord</a>") {
		t.Error("the archived cohort is in the admin's default list")
	}
	p = tanja.get("/trainer/cohorts/" + nord)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Anna Ärger") || strings.Contains(p.Body, `action="/trainer/cohorts/`+nord+`/remind"`) {
		t.Errorf("archived report: %d, or it still offers reminders", p.Status)
	}
	// Restored, it can be changed again: rename it.
	if p := admin.post("/admin/cohorts/"+nord+"/restore", url.Values{}); p.Status != http.StatusSeeOther {
		t.Fatalf("restore: %d", p.Status)
	}
	if p := admin.post("/admin/cohorts/"+nord, url.Values{"name": {"Nord 2026"}, "starts": {"2026-05-01"}, "due": {"2026-06-30"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("rename: %d\n%s", p.Status, p.Body)
	}
	if body := tanja.get("/trainer/cohorts/" + nord).Body; !strings.Contains(body, "Nord 2026") || !strings.Contains(body, "30.\u00a0Juni 2026") {
		t.Errorf("the renamed cohort's page lacks its new name or due date:\n%s", body)
	}
	// Dates the wrong way round are refused per field.
	p = admin.post("/admin/cohorts/"+nord, url.Values{"name": {"Nord 2026"}, "starts": {"2026-07-01"}, "due": {"2026-06-30"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="e-due"`) {
		t.Errorf("due before start: %d", p.Status)
	}
}

// Reminders go only to inactive or overdue learners, at most once a week each, in their language,
// never to one who switched them off; each is audited.
func TestRemindRules(t *testing.T) {
	w := newTrainerWorld(t)
	ctx := context.Background()
	carl := w.userWith(userSpec{Email: "carl@example.org", Name: "Carl Clark", Cohort: "Nord", Lang: "en"})
	dora := w.userWith(userSpec{Email: "dora@example.org", Name: "Dora Dunn", Cohort: "Nord"})
	// Carl and Dora joined today: they become inactive after 14 days. Dora switches reminders off.
	if p := w.as(dora).post("/account/reminders", url.Values{}); p.Status != http.StatusSeeOther {
		t.Fatalf("opt-out: %d", p.Status)
	}
	w.clock.Advance(15 * 24 * time.Hour)
	w.exec(`UPDATE lesson_completions SET completed_at = ? WHERE user_id = ?`, w.clock.Now().Add(-time.Hour).Unix(), w.anna.ID)

	tanja := w.as(w.tanja)
	remindNow := func() {
		t.Helper()
		p := tanja.post(fmt.Sprintf("/trainer/cohorts/%d/remind", w.nord), url.Values{})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("remind: %d\n%s", p.Status, p.Body)
		}
	}
	reminders := func(addr string) []sentMail {
		var out []sentMail
		for _, m := range w.mails(addr) {
			if strings.Contains(m.Subject, "Nord") {
				out = append(out, m)
			}
		}
		return out
	}
	remindNow()
	if got := tanja.get(fmt.Sprintf("/trainer/cohorts/%d", w.nord)).Body; !strings.Contains(got, "2 Erinnerungen wurden versandt (0 kürzlich erinnert, 1 ohne Erinnerungen übersprungen)") {
		t.Errorf("the page does not confirm what was sent")
	}
	b, c := reminders("bernd@example.org"), reminders("carl@example.org")
	if len(b) != 1 || len(c) != 1 {
		t.Fatalf("Bernd %d, Carl %d reminders; want one each", len(b), len(c))
	}
	if !strings.Contains(b[0].Subject, "Erinnerung an Ihre Schulung „Nord“") || !strings.Contains(b[0].Body, "Ihr Lernfortschritt liegt bei 0") {
		t.Errorf("German reminder:\n%s\n%s", b[0].Subject, b[0].Body)
	}
	if !strings.Contains(c[0].Subject, "a reminder about your training “Nord”") || !strings.Contains(c[0].Body, "Your progress is 0") {
		t.Errorf("English reminder:\n%s\n%s", c[0].Subject, c[0].Body)
	}
	if n := len(reminders("anna@example.org")) + len(reminders("dora@example.org")); n != 0 {
		t.Errorf("%d reminders to the active Anna or the opted-out Dora", n)
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'cohort.reminded' AND actor = 'tanja@example.org'`); n != 2 {
		t.Errorf("%d audit lines, want 2", n)
	}

	// Again the same day, and six days later: nobody is reminded twice in a week.
	remindNow()
	w.clock.Advance(6 * 24 * time.Hour)
	if res, err := w.svc.Remind.Remind(ctx, audit.Actor{ID: w.ada.ID, Email: w.ada.Email}, w.nord, account.RoleAdmin); err != nil || res.Sent != 0 || res.Recent != 2 {
		t.Errorf("within the week: %+v, %v", res, err)
	}
	if len(reminders("bernd@example.org")) != 1 || len(reminders("carl@example.org")) != 1 {
		t.Error("a learner was reminded twice within a week")
	}

	// The due date passes: Anna, active but not finished, is now overdue and gets one too; after
	// a week, Bernd and Carl get their second.
	w.clock.Advance(2 * 24 * time.Hour)
	admin := w.as(w.ada)
	due := w.clock.Now().AddDate(0, 0, -1).Format("2006-01-02")
	if p := admin.post(fmt.Sprintf("/admin/cohorts/%d", w.nord), url.Values{"name": {"Nord"}, "due": {due}}); p.Status != http.StatusSeeOther {
		t.Fatalf("set due date: %d\n%s", p.Status, p.Body)
	}
	w.exec(`UPDATE lesson_completions SET completed_at = ? WHERE user_id = ?`, w.clock.Now().Add(-time.Hour).Unix(), w.anna.ID)
	tanja = w.as(w.tanja) // a week later: her earlier session has timed out
	remindNow()
	a := reminders("anna@example.org")
	if len(a) != 1 || !strings.Contains(a[0].Body, "Bitte schließen Sie die Module bis zum") {
		t.Errorf("overdue Anna: %d reminders %v", len(a), a)
	}
	if len(reminders("bernd@example.org")) != 2 || len(reminders("carl@example.org")) != 2 || len(reminders("dora@example.org")) != 0 {
		t.Error("after a week: Bernd and Carl get a second reminder, Dora none")
	}
	if !strings.Contains(tanja.get(fmt.Sprintf("/trainer/cohorts/%d/learners/%d", w.nord, w.bernd.ID)).Body, "zuletzt erinnert am") {
		t.Error("the learner's detail does not show the last reminder")
	}
	_ = carl
}

// The daily job reminds, in cohorts that switched it on, the learners inactive for two weeks and
// everyone unfinished in the week before the due date.
func TestAutomaticReminders(t *testing.T) {
	w := newTrainerWorld(t)
	ctx := context.Background()
	if res, err := w.svc.Remind.Auto(ctx); err != nil || res.Sent != 0 {
		t.Fatalf("nothing switched on: %+v, %v", res, err)
	}
	admin := w.as(w.ada)
	due := w.clock.Now().AddDate(0, 0, 5).Format("2006-01-02")
	if p := admin.post(fmt.Sprintf("/admin/cohorts/%d", w.nord), url.Values{"name": {"Nord"}, "due": {due}, "auto_remind": {"yes"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("switch on: %d", p.Status)
	}
	res, err := w.svc.Remind.Auto(ctx)
	if err != nil || res.Sent != 2 { // Anna (due soon) and Bernd (inactive, due soon)
		t.Fatalf("auto: %+v, %v", res, err)
	}
	if n := w.count(`SELECT count(*) FROM reminders WHERE kind = ?`, remind.KindDue); n != 2 {
		t.Errorf("%d due reminders", n)
	}
	if res, _ := w.svc.Remind.Auto(ctx); res.Sent != 0 {
		t.Errorf("the next day's run reminded %d again", res.Sent)
	}
}

// The item analysis counts, per question, the attempts that showed it, the right ones and the
// wrong choice picked most — as the attempts made say. An attempt shows the questions of its paper;
// one from before papers showed every question.
func TestItemAnalysis(t *testing.T) {
	w := newTrainerWorld(t)
	m := w.svc.Content.Module("public-spaces")
	q1, q2, q3 := m.Check.Questions[0], m.Check.Questions[1], m.Check.Questions[2]
	choices := func(q *content.Question, correct bool) []string {
		var out []string
		for _, c := range q.Choices {
			if c.Correct == correct {
				out = append(out, c.ID)
			}
		}
		return out
	}
	wrong1 := choices(q1, false)[:1]
	attempt := func(user int64, answers map[string][]string, shown ...*content.Question) {
		t.Helper()
		js, _ := json.Marshal(answers)
		var paper any // NULL: an attempt from before papers
		if len(shown) > 0 {
			var p []map[string]any
			for _, q := range shown {
				p = append(p, map[string]any{"q": q.ID, "c": choices(q, true)})
			}
			b, _ := json.Marshal(p)
			paper = string(b)
		}
		w.exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, shown, submitted_at) VALUES (?, 'public-spaces', 0, 0, ?, ?, ?)`,
			user, string(js), paper, w.clock.Now().Unix())
	}
	attempt(w.anna.ID, map[string][]string{q1.ID: choices(q1, true), q2.ID: choices(q2, true)}, q1, q2)
	attempt(w.anna.ID, map[string][]string{q1.ID: wrong1, q3.ID: choices(q3, true)}, q1, q3)
	attempt(w.bernd.ID, map[string][]string{q1.ID: wrong1, q2.ID: choices(q2, true)}, q1, q2)
	attempt(w.bernd.ID, map[string][]string{})                 // before papers: every question shown, none answered
	attempt(w.emil.ID, map[string][]string{q1.ID: wrong1}, q1) // another cohort: not counted

	body := w.as(w.tanja).get(fmt.Sprintf("/trainer/cohorts/%d/questions", w.nord)).Body
	row := func(q *content.Question) string {
		i := strings.Index(body, ">"+q.Text.In("de")+"</th>")
		if i < 0 {
			t.Fatalf("question %q not on the page", q.ID)
		}
		return body[i : i+strings.Index(body[i:], "</tr>")]
	}
	wrongText := q1.Choice(wrong1[0]).Text.In("de")
	if r := row(q1); !strings.Contains(r, "<td>4</td>") || !strings.Contains(r, "<td>1 (25\u00a0%)</td>") || !strings.Contains(r, wrongText+" – 2-mal gewählt") {
		t.Errorf("question 1 (shown 4 times, right once, the same wrong choice twice): %s", r)
	}
	if r := row(q2); !strings.Contains(r, "<td>3</td>") || !strings.Contains(r, "<td>2 (66\u00a0%)</td>") {
		t.Errorf("question 2 (shown 3 times, right twice): %s", r)
	}
	if r := row(q3); !strings.Contains(r, "<td>2</td>") || !strings.Contains(r, "<td>1 (50\u00a0%)</td>") {
		t.Errorf("question 3 (shown twice, right once): %s", r)
	}
	if !strings.Contains(body, "4 Versuche") {
		t.Error("the module's attempt count is missing")
	}
}

// The learner's detail shows lessons with dates, attempts with scores and certificates.
func TestLearnerDetail(t *testing.T) {
	w := newTrainerWorld(t)
	ctx := context.Background()
	w.exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at) VALUES (?, 'public-spaces', 0, 0, '{}', ?)`,
		w.anna.ID, w.clock.Now().Unix())
	_ = ctx
	body := w.as(w.tanja).get(fmt.Sprintf("/trainer/cohorts/%d/learners/%d", w.nord, w.anna.ID)).Body
	for _, want := range []string{"Anna Ärger", "anna@example.org", "<td>23.\u00a0Mai 2026</td>", "<td>nicht bestanden</td>", "<td>0\u00a0%</td>", "Noch keine Teilnahmebescheinigung"} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %q:\n%s", want, body)
		}
	}
}

// The workbook downloads with its accented name kept (RFC 5987) and opens as a spreadsheet.
func TestXLSXDownload(t *testing.T) {
	w := newTrainerWorld(t)
	p := w.as(w.uwe).get(fmt.Sprintf("/trainer/cohorts/%d/progress.xlsx", w.sued))
	if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("%d %s", p.Status, p.Header.Get("Content-Type"))
	}
	cd := p.Header.Get("Content-Disposition")
	if !strings.Contains(cd, `filename=saferspaces-sued-2026-05-24.xlsx`) || !strings.Contains(cd, `filename*=utf-8''saferspaces-s%C3%BCd-2026-05-24.xlsx`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(p.Body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Süd", "A2"); v != "Emil Ernst" {
		t.Errorf("Süd!A2 = %q", v)
	}
	if v, _ := f.GetCellValue("Süd", "A1"); v != "Name" { // Uwe reads English
		t.Errorf("Süd!A1 = %q", v)
	}
}

// Bulk onboarding: the admin uploads the CSV that `users import` takes, sees every problem by
// line (nothing applied), then a good file's preview, and applies it.
func TestImportInTheBrowser(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	if _, err := h.acc.CreateCohort(context.Background(), audit.CLI, "Kohorte 2026", ""); err != nil {
		t.Fatal(err)
	}
	upload := func(content string) *page { t.Helper(); return uploadImport(admin, "liste.csv", content) }
	bad := "name;email;organisation;role;cohort\nErika Muster;erika@stadt.example;Ordnungsamt;learner;Kohorte 2026\nX;kaputt;;chef;Fehlt\n"
	p := upload(bad)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: %d", p.Status)
	}
	for _, want := range []string{"Zeile 3", "kaputt", "chef", "es wurde nichts übernommen"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("problems lack %q", want)
		}
	}
	good := "\uFEFFname;email;organisation;role;cohort\r\nErika Muster;erika@stadt.example;Ordnungsamt;learner;Kohorte 2026\r\nTom Trainer;tom@stadt.example;Amt;trainer;Kohorte 2026\r\n"
	p = upload(good)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Vorschau von liste.csv: 2 Konten") || !strings.Contains(p.Body, "tom@stadt.example") {
		t.Fatalf("preview: %d\n%s", p.Status, p.Body)
	}
	if n := h.count(`SELECT count(*) FROM users WHERE email LIKE '%@stadt.example' AND role <> 'admin'`); n != 0 {
		t.Fatalf("the preview created %d accounts", n)
	}
	csv := regexp.MustCompile(`name="csv" value="([^"]*)"`).FindStringSubmatch(p.Body)
	if csv == nil {
		t.Fatal("the preview has no apply form")
	}
	p = admin.post("/admin/users/import/apply", url.Values{"csv": {unescapeHTML(csv[1])}, "file": {"liste.csv"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("apply: %d\n%s", p.Status, p.Body)
	}
	if n := h.count(`SELECT count(*) FROM users WHERE email IN ('erika@stadt.example', 'tom@stadt.example') AND status = 'approved'`); n != 2 {
		t.Errorf("%d accounts after apply", n)
	}
	if len(h.mails("erika@stadt.example")) != 1 {
		t.Error("no activation mail")
	}
	// Applying the same file again: every line is a problem now, and nothing changes.
	p = admin.post("/admin/users/import/apply", url.Values{"csv": {good}, "file": {"liste.csv"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "already registered") {
		t.Errorf("apply twice: %d", p.Status)
	}
}

// A file wrong as a whole (commas, UTF-16) is said once, in the admin's language; a file wrong
// throughout lists its first problems and counts the rest.
func TestImportInTheBrowserSaysFileProblemsOnce(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	upload := func(content string) *page { t.Helper(); return uploadImport(admin, "liste.csv", content) }
	for _, tc := range []struct{ name, file, want string }{
		{"comma", "name,email,organisation,role,cohort\nErika Muster,erika@stadt.example,Amt,,\n", "Die Datei trennt die Spalten mit „,“"},
		{"UTF-16 with BOM", "\xFF\xFEn\x00a\x00m\x00e\x00;\x00", "Die Datei ist in UTF-16 gespeichert"},
		{"UTF-16 without BOM", "n\x00a\x00m\x00e\x00;\x00", "Die Datei ist in UTF-16 gespeichert"},
	} {
		p := upload(tc.file)
		if p.Status != http.StatusUnprocessableEntity || strings.Count(p.Body, tc.want) != 1 || strings.Contains(p.Body, "Zeile 1") {
			t.Errorf("%s: %d, want one %q\n%s", tc.name, p.Status, tc.want, p.Body)
		}
	}
	var many strings.Builder
	for i := range account.MaxShownProblems + 30 {
		fmt.Fprintf(&many, "Person %d;kaputt%d;Amt;;\n", i, i)
	}
	p := upload(many.String())
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("many: %d", p.Status)
	}
	if n := strings.Count(p.Body, "is not a valid e-mail address"); n != account.MaxShownProblems {
		t.Errorf("%d problems listed, want %d", n, account.MaxShownProblems)
	}
	for _, want := range []string{"liste.csv: 130 Probleme", "… und 30 weitere Probleme."} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#xA;", "\n", "&#xD;", "\r", "&#10;", "\n", "&#13;", "\r").Replace(s)
}

// Bulk approval is all or nothing; an e-mail domain listed for a cohort approves into it at once;
// a trainer may approve their cohort's applicants only where the admin allowed it.
func TestApprovalPaths(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, admin := adminBrowser(h)
	c, err := h.acc.CreateCycle(ctx, audit.CLI, account.CohortInput{Name: "Köln 2026", Code: "KOELN26"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.acc.CreateCohort(ctx, audit.CLI, "Bonn 2026", "BONN26")
	if err != nil {
		t.Fatal(err)
	}
	register := func(email, code string) int64 {
		t.Helper()
		f := regForm(email)
		f.Set("cohort_code", code)
		if p := h.browser().post("/register", f); p.Status != http.StatusSeeOther {
			t.Fatalf("register %s: %d", email, p.Status)
		}
		return h.userID(email)
	}
	a, b, x := register("a@stadt.example", ""), register("b@stadt.example", ""), register("x@stadt.example", "")
	h.exec(`UPDATE users SET status = 'approved' WHERE id = ?`, x) // decided meanwhile
	p := admin.post("/admin/registrations/approve", url.Values{"ids": {fmt.Sprint(a), fmt.Sprint(x)}, "cohort": {fmt.Sprint(c.ID)}})
	if p.Status != http.StatusConflict {
		t.Errorf("bulk with a decided one: %d", p.Status)
	}
	if n := h.count(`SELECT count(*) FROM users WHERE id = ? AND status = 'pending'`, a); n != 1 {
		t.Error("bulk approval was not all or nothing")
	}
	if p := admin.post("/admin/registrations/approve", url.Values{"ids": {fmt.Sprint(a), fmt.Sprint(b)}, "cohort": {fmt.Sprint(c.ID)}}); p.Status != http.StatusSeeOther {
		t.Fatalf("bulk: %d\n%s", p.Status, p.Body)
	}
	if n := h.count(`SELECT count(*) FROM cohort_members WHERE cohort_id = ? AND user_id IN (?, ?)`, c.ID, a, b); n != 2 {
		t.Errorf("%d of 2 in the cohort", n)
	}
	if p := admin.post("/admin/registrations/approve", url.Values{}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("bulk without a selection: %d", p.Status)
	}

	// A listed domain: approved into the cohort at once, activation link instead of "received".
	if p := admin.post(fmt.Sprintf("/admin/cohorts/%d", c.ID), url.Values{"name": {"Köln 2026"}, "code": {"KOELN26"},
		"domains": {"stadt-koeln.example\n@Koeln.example"}, "trainers_approve": {"yes"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("domains: %d\n%s", p.Status, p.Body)
	}
	if p := admin.post(fmt.Sprintf("/admin/cohorts/%d", other.ID), url.Values{"name": {"Bonn 2026"}, "domains": {"koeln.example"}}); p.Status != http.StatusConflict {
		t.Errorf("a domain of another cohort: %d", p.Status)
	}
	d := register("dana@koeln.example", "")
	if n := h.count(`SELECT count(*) FROM users u JOIN cohort_members m ON m.user_id = u.id WHERE u.id = ? AND u.status = 'approved' AND m.cohort_id = ?`, d, c.ID); n != 1 {
		t.Error("the domain's applicant was not approved into the cohort")
	}
	h.lastLink("dana@koeln.example", "/activate/")

	// Trainers: Tanja leads Köln (which allows it), Uwe leads Bonn (which does not).
	tanja := h.userWith(userSpec{Email: "tanja@example.org", Role: account.RoleTrainer, Cohort: "Köln 2026"})
	uwe := h.userWith(userSpec{Email: "uwe@example.org", Role: account.RoleTrainer, Cohort: "Bonn 2026"})
	k := register("k@stadt.example", "koeln26")
	bo := register("bo@stadt.example", "BONN26")
	tb := h.browser()
	tb.signIn(tanja.Email, tanja.Password)
	if body := tb.get("/trainer/registrations").Body; !strings.Contains(body, "k@stadt.example") || strings.Contains(body, "bo@stadt.example") {
		t.Errorf("Tanja's queue:\n%s", body)
	}
	if p := tb.post(fmt.Sprintf("/trainer/registrations/%d/approve", bo), url.Values{}); p.Status != http.StatusNotFound {
		t.Errorf("Tanja approving Bonn's applicant: %d", p.Status)
	}
	if p := tb.post(fmt.Sprintf("/trainer/registrations/%d/approve", k), url.Values{}); p.Status != http.StatusSeeOther {
		t.Errorf("Tanja approving her applicant: %d", p.Status)
	}
	if n := h.count(`SELECT count(*) FROM cohort_members WHERE user_id = ? AND cohort_id = ?`, k, c.ID); n != 1 {
		t.Error("the approved applicant is not in the cohort")
	}
	ub := h.browser()
	ub.signIn(uwe.Email, uwe.Password)
	if p := ub.post(fmt.Sprintf("/trainer/registrations/%d/approve", bo), url.Values{}); p.Status != http.StatusNotFound {
		t.Errorf("Uwe (not allowed) approving: %d", p.Status)
	}
}

// Team coverage: per organisation, how many people reached which level.
func TestCoverage(t *testing.T) {
	w := newTrainerWorld(t)
	body := w.as(w.ada).get("/trainer/coverage").Body
	if !strings.Contains(body, "<th scope=\"row\">Stadt Beispiel</th>\n<td>3</td>") {
		t.Errorf("admin coverage: Stadt Beispiel should count Anna, Bernd and Emil:\n%s", body)
	}
	body = w.as(w.tanja).get("/trainer/coverage").Body
	if !strings.Contains(body, "<th scope=\"row\">Stadt Beispiel</th>\n<td>2</td>\n<td>1</td>\n<td>1</td>") {
		t.Errorf("Tanja's coverage: her two learners, one not started, one started:\n%s", body)
	}
}

// A trainer's messages to a cohort are limited like the public forms that cause mail: ten at
// once, then one every six minutes; a refused one mails no one and says when to try again.
// Another trainer's messages are counted apart.
func TestCohortMessagesAreLimited(t *testing.T) {
	w := newTrainerWorld(t)
	tanja := w.as(w.tanja)
	path := fmt.Sprintf("/trainer/cohorts/%d/message", w.nord)
	count := map[int]int{}
	for i := range 12 {
		p := tanja.post(path, url.Values{"message": {fmt.Sprintf("Hinweis Nummer %d", i)}})
		count[p.Status]++
		if p.Status == http.StatusTooManyRequests && (p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, "<main")) {
			t.Fatalf("429 without Retry-After or not a page:\n%s", p.Body)
		}
	}
	if count[http.StatusSeeOther] != 10 || count[http.StatusTooManyRequests] != 2 {
		t.Errorf("12 messages at once: %v, want 10 sent and 2 × 429", count)
	}
	messages := func(addr string) int {
		n := 0
		for _, m := range w.mails(addr) {
			if strings.Contains(m.Body, "Hinweis Nummer") {
				n++
			}
		}
		return n
	}
	if got := messages("anna@example.org"); got != 10 {
		t.Errorf("a member got %d messages, want 10", got)
	}
	if p := w.as(w.uwe).post(fmt.Sprintf("/trainer/cohorts/%d/message", w.sued), url.Values{"message": {"Hinweis Nummer 1"}}); p.Status != http.StatusSeeOther {
		t.Errorf("another trainer's first message: %d", p.Status)
	}
	w.clock.Advance(6 * time.Minute)
	if p := tanja.post(path, url.Values{"message": {"Hinweis Nummer 13"}}); p.Status != http.StatusSeeOther {
		t.Errorf("a message six minutes later: %d", p.Status)
	}
	if got := messages("anna@example.org"); got != 11 {
		t.Errorf("a member got %d messages, want 11", got)
	}
}

// A file of some ten thousand rows goes through the browser: the preview takes it, and the apply
// form, which carries the file's text back, sends it as multipart (form encoding would blow every
// ';', '@' and umlaut up to three to six bytes and past the request limit).
func TestImportOfTenThousandRowsInTheBrowser(t *testing.T) {
	h := newHarness(t)
	_, admin := adminBrowser(h)
	var csv strings.Builder
	csv.WriteString("name;email;organisation;role;cohort\n")
	for i := range 10000 {
		fmt.Fprintf(&csv, "Jürgen Größe-Müller %d;juergen.%d@stadt.example;Ordnungsamt Köln, Straßenverkehr;learner;\n", i, i)
	}
	p := uploadImport(admin, "gross.csv", csv.String())
	if p.Status != http.StatusOK {
		t.Fatalf("preview of a %d KB file: %d", csv.Len()>>10, p.Status)
	}
	if !strings.Contains(p.Body, `action="/admin/users/import/apply" enctype="multipart/form-data"`) {
		t.Fatal("the apply form is not sent as multipart")
	}
	text := regexp.MustCompile(`name="csv" value="([^"]*)"`).FindStringSubmatch(p.Body)
	if text == nil {
		t.Fatal("the preview has no apply form")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csv", unescapeHTML(text[1]))
	mw.WriteField("file", "gross.csv")
	mw.Close()
	if n := len(url.Values{"csv": {unescapeHTML(text[1])}}.Encode()); n <= 1<<20 {
		t.Fatalf("the file is too small to show anything: %d bytes form-encoded", n)
	}
	p = admin.do("POST", "/admin/users/import/apply", &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("apply: %d", p.Status)
	}
	if n := h.count(`SELECT count(*) FROM users WHERE email LIKE 'juergen.%@stadt.example'`); n != 10000 {
		t.Errorf("%d accounts after apply, want 10000", n)
	}
}

// uploadImport sends a file to the users import's preview, as the page's form does.
func uploadImport(b *browser, name, content string) *page {
	b.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	return b.do("POST", "/admin/users/import", &body, http.Header{"Content-Type": {mw.FormDataContentType()}})
}
