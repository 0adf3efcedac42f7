package web

import (
	"bytes"
	"fmt"
	"html/template"
	"math/rand/v2"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/legal"
	"saferspaces/modules"
	webfiles "saferspaces/web"
)

// TestFragmentsMatchTheirTemplates renders the fragments written in Go (fragments.go) and the
// templates they replace (testdata/fragments.html) for every shipped module in every language and
// many random states — done marks, attempts, certificates, drafts, unanswered questions, and
// titles full of characters that must be escaped — and wants the same bytes.
func TestFragmentsMatchTheirTemplates(t *testing.T) {
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	r := &renderer{}
	funcs := r.funcs(time.UTC)
	// what only the reference templates use
	funcs["logo"] = func() string { return r.logo }
	funcs["moduleCards"] = moduleCards
	funcs["legalPages"] = func() [][2]string {
		var out [][2]string
		for _, p := range legal.AllPages() {
			out = append(out, [2]string{p.Path(), "legal." + string(p) + ".title"})
		}
		return out
	}
	ref, err := template.New("").Funcs(funcs).ParseFiles("testdata/fragments.html")
	if err != nil {
		t.Fatal(err)
	}
	// the partials the lesson's template used, which other pages still use
	if ref, err = ref.ParseFS(webfiles.Templates, "templates/partials/library.html"); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(9, 13))
	compare := func(name string, data any, got template.HTML) {
		t.Helper()
		var want bytes.Buffer
		if err := ref.ExecuteTemplate(&want, name, data); err != nil {
			t.Fatal(err)
		}
		if want.String() != string(got) {
			t.Fatalf("%s differs from its template:\n--- template\n%s\n--- Go\n%s", name, want.String(), got)
		}
	}
	hostile := content.Text{"de": `<b>"Räume" & 'Plätze'</b> + mehr`, "en": `a <i>"b"</i> & 'c' + d` + "\x00"}
	compared := 0
	for round := range 12 {
		for _, lang := range i18n.Languages() {
			var mods []learning.ModuleProgress
			for _, m := range cat.Modules {
				if round%4 == 3 { // escaping: every text of the module is hostile
					mm := *m
					mm.Title, mm.Summary = hostile, hostile
					m = &mm
				}
				p := randomProgress(rnd, m)
				mods = append(mods, p)
				current := ""
				if len(m.Lessons) > 0 && rnd.IntN(3) > 0 {
					current = m.Lessons[rnd.IntN(len(m.Lessons))].ID
				}
				for _, l := range m.Lessons {
					d := randomLesson(rnd, lang, l, p, round%4 == 3, hostile)
					compare("lesson_content", d, lessonContent(d))
				}
				compare("lesson_tasks", struct {
					Lang    i18n.Lang
					P       learning.ModuleProgress
					Current string
				}{lang, p, current}, lessonTasks(lang, p, current))
				if m.Check != nil {
					d := randomSheet(rnd, lang, m, round%4 == 3, hostile)
					compare("check_questions", d, checkQuestions(lang, d.Sheet, d.Open))
				}
				compared++
			}
			for _, b := range chromeStates(rnd, lang, round) {
				r.logo = ""
				if round%2 == 1 {
					r.logo = "/static/logo.3f2a.svg"
				}
				compare("header", b, r.header(b))
				compare("footer", b, footer(b))
				compare("langswitch", b, langSwitch(b))
			}
			dd := randomDashboard(rnd, lang, mods, round%4 == 3, hostile)
			compare("dashboard_content", dd, dashboardContent(dd))
			compare("module_cards", struct {
				Lang    i18n.Lang
				Modules []learning.ModuleProgress
			}{lang, mods}, moduleCards(lang, mods))
		}
	}
	if compared < 100 {
		t.Fatalf("only %d states compared", compared)
	}
}

func randomProgress(rnd *rand.Rand, m *content.Module) learning.ModuleProgress {
	p := learning.ModuleProgress{Module: m, Done: map[string]bool{}, LessonsTotal: len(m.Lessons), HasCheck: m.Check != nil}
	for _, l := range m.Lessons {
		if rnd.IntN(2) == 0 {
			p.Done[l.ID] = true
			p.LessonsDone++
		}
	}
	if p.HasCheck && rnd.IntN(2) == 0 {
		p.Attempts = 1 + rnd.IntN(4)
		p.BestScore = rnd.IntN(101)
		p.Passed = p.BestScore >= m.Check.PassMark
	}
	p.Percent = rnd.IntN(101)
	p.MinutesLeft = rnd.IntN(200)
	p.Complete = rnd.IntN(3) == 0
	if rnd.IntN(3) > 0 {
		p.LastActivity = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	}
	p.Continue = fmt.Sprintf("/modules/%s/lessons/%s", m.ID, m.Lessons[rnd.IntN(len(m.Lessons))].ID)
	if p.Complete && rnd.IntN(2) == 0 {
		p.Certificate = &learning.Certificate{Code: "7K2M-QX4P-9HTA", ModuleID: m.ID}
	}
	return p
}

func randomSheet(rnd *rand.Rand, lang i18n.Lang, m *content.Module, escape bool, hostile content.Text) *checkData {
	sheet := &learning.Sheet{Module: m, Answers: map[string][]string{}}
	d := &checkData{Base: Base{Lang: lang}, Sheet: sheet}
	for i, q := range m.Check.Questions {
		if escape {
			qq := *q
			qq.Text = hostile
			q = &qq
		}
		choices := append([]*content.Choice(nil), q.Choices...)
		rnd.Shuffle(len(choices), func(i, j int) { choices[i], choices[j] = choices[j], choices[i] })
		sheet.Questions = append(sheet.Questions, learning.SheetQuestion{Question: q, Choices: choices})
		switch rnd.IntN(3) {
		case 0:
			d.Missing = append(d.Missing, missingQuestion{ID: q.ID, Number: i + 1})
		case 1:
			sheet.Answers[q.ID] = []string{choices[rnd.IntN(len(choices))].ID}
		}
	}
	return d
}

// chromeStates are pages' bases for the header and footer: anonymous and each role, an admin with
// and without waiting registrations, paths in and out of each area, an operator with and without
// name and address — and, in every fourth round, values that must be escaped.
func chromeStates(rnd *rand.Rand, lang i18n.Lang, round int) []*Base {
	pathsSeen := []string{"/", "/login", "/register", "/trainer", "/trainer/cohorts/3", "/admin", "/admin/users",
		"/account", "/accounts", "/modules/01-x/lessons/y"}
	ops := []config.Operator{{}, {Name: "Stadt Musterstadt, Ordnungsamt", Email: "sicherheit@musterstadt.de"}}
	users := []*CurrentUser{nil, {ID: 1, Name: "L", Role: account.RoleLearner}, {ID: 2, Role: account.RoleTrainer},
		{ID: 3, Role: account.RoleAdmin}, {ID: 4, Role: account.RoleAdmin, Pending: 1 + rnd.IntN(30)}}
	if round%4 == 3 {
		pathsSeen = append(pathsSeen, `/a"b'<c>&d+e`, "/ü ß?x=1&y=\"2\"")
		ops = append(ops, config.Operator{Name: `<Stadt> "Muster" & 'Co' + Partner`, Email: "müller des@example.org"})
	}
	var out []*Base
	for _, u := range users {
		out = append(out, &Base{Lang: lang, Path: pathsSeen[rnd.IntN(len(pathsSeen))], User: u, Operator: ops[rnd.IntN(len(ops))]})
	}
	return out
}

// randomLesson is a lesson page's data: done or not, in the reader's language or a fallback, with
// or without key points.
func randomLesson(rnd *rand.Rand, lang i18n.Lang, l *content.Lesson, p learning.ModuleProgress, escape bool, hostile content.Text) *lessonData {
	d := &lessonData{Base: Base{Lang: lang}, Lesson: l, BodyLang: l.In(lang), Done: rnd.IntN(2) == 0, P: p}
	if rnd.IntN(4) == 0 {
		d.BodyLang = l.Langs[rnd.IntN(len(l.Langs))]
	}
	d.Body = l.Body[d.BodyLang]
	if escape {
		ll := *l
		ll.Title = content.Text{d.BodyLang: hostile["de"], lang: hostile["en"]}
		ll.Summary = map[i18n.Lang][]string{d.BodyLang: {hostile["de"], "zwei"}}
		d.Lesson = &ll
	} else if rnd.IntN(3) == 0 {
		ll := *l
		ll.Summary = nil
		d.Lesson = &ll
	}
	return d
}

// randomDashboard is a dashboard's data over the modules' states: the programme complete or not,
// with or without its certificate and a module to resume, long or short estimates.
func randomDashboard(rnd *rand.Rand, lang i18n.Lang, mods []learning.ModuleProgress, escape bool, hostile content.Text) *dashboardData {
	name := "Jürgen Müßig"
	if escape {
		name = hostile["de"]
	}
	d := &dashboardData{Base: Base{Lang: lang, User: &CurrentUser{ID: 7, Name: name}}, Modules: mods, Certificates: rnd.IntN(4)}
	pr := learning.Programme{ModulesTotal: len(mods), ModulesDone: rnd.IntN(len(mods) + 1), Percent: rnd.IntN(101),
		MinutesLeft: []int{0, 1, 45, 119, 120, 121, 600}[rnd.IntN(7)], Complete: rnd.IntN(4) == 0}
	if pr.Complete && rnd.IntN(2) == 0 {
		pr.Certificate = &learning.Certificate{Code: "7K2M-QX4P-9HTB", ModuleID: learning.ProgrammeID}
	}
	if rnd.IntN(4) > 0 {
		r := mods[rnd.IntN(len(mods))]
		if rnd.IntN(2) == 0 && len(r.Module.Lessons) > 0 {
			r.ContinueLesson = r.Module.Lessons[0]
		}
		pr.Resume = &r
	}
	d.Programme = pr
	for _, p := range mods {
		if !p.Complete {
			d.Left = append(d.Left, p)
		}
	}
	return d
}
