package xapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
	"saferspaces/internal/xapi"
)

const base = "https://training.example.org"

// testCatalog: "alpha" has two lessons and a self-check, "beta" one lesson and a self-check.
func testCatalog(t *testing.T) *content.Catalog {
	t.Helper()
	return testkit.Catalog(t,
		testkit.Module{ID: "alpha", TitleDE: "Grundlagen", TitleEN: "Basics", Lessons: []string{"one", "two"}},
		testkit.Module{ID: "beta", TitleDE: "Übungen", TitleEN: "Exercises", Lessons: []string{"only"}})
}

func day(d, hour int) time.Time { return time.Date(2026, time.March, d, hour, 0, 0, 0, time.UTC) }

// seed stores progress as it was kept before there were statements: Anna's in alpha and an
// erased learner's lesson in beta.
func seed(t *testing.T) (*sqlite.DB, int64, int64) {
	t.Helper()
	ctx := context.Background()
	db := testkit.OpenDB(t)
	exec := func(q string, args ...any) int64 {
		t.Helper()
		res, err := db.W.ExecContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		id, _ := res.LastInsertId()
		return id
	}
	user := func(name, email, status, lang string) int64 {
		return exec(`INSERT INTO users(email, name, status, lang, created_at) VALUES (?, ?, ?, ?, ?)`,
			email, name, status, lang, day(1, 0).Unix())
	}
	lesson := func(u int64, m, l string, at time.Time) {
		exec(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at) VALUES (?, ?, ?, ?)`, u, m, l, at.Unix())
	}
	attempt := func(u int64, m string, score int, at time.Time) {
		exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at) VALUES (?, ?, ?, ?, '{}', ?)`,
			u, m, score, score >= 50, at.Unix())
	}
	anna := user("Anna Ärger", "anna@example.org", "approved", "de")
	erased := user("—", "erased-2@erased.invalid", "erased", "en")
	// Inserted out of time order: the backfill sorts.
	attempt(anna, "alpha", 100, day(5, 9))
	lesson(anna, "alpha", "two", day(3, 10))
	lesson(anna, "alpha", "one", day(2, 10))
	attempt(anna, "alpha", 40, day(3, 12))
	attempt(anna, "alpha", 100, day(4, 9))
	lesson(anna, "alpha", "gone", day(3, 11)) // left the content: not exported
	attempt(anna, "removed", 100, day(3, 13)) // module left the content
	lesson(erased, "beta", "only", day(6, 10))
	return db, anna, erased
}

// export writes every stored statement and parses it strictly.
func export(t *testing.T, svc *xapi.Service) (string, []xapi.Statement) {
	t.Helper()
	var buf bytes.Buffer
	if err := svc.Export(context.Background(), &buf, audit.CLI, "a test"); err != nil {
		t.Fatal(err)
	}
	return buf.String(), parse(t, buf.String())
}

func parse(t *testing.T, jsonl string) []xapi.Statement {
	t.Helper()
	var out []xapi.Statement
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	for sc.Scan() {
		var st xapi.Statement
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&st); err != nil {
			t.Fatalf("line %d: %v\n%s", len(out)+1, err, sc.Text())
		}
		out = append(out, st)
	}
	return out
}

// Progress stored before statements existed is turned into statements once, with the ids the
// earlier exports gave, an opaque actor and failed attempts that did not complete.
func TestBackfillOfEarlierProgress(t *testing.T) {
	db, anna, erased := seed(t)
	svc := xapi.New(db, testCatalog(t), base+"/", time.Now)
	_, sts := export(t, svc)

	type want struct {
		verb, object, timestamp string
		user                    int64
	}
	a, m := base+"/modules/alpha", base+"/modules/beta"
	wants := []want{
		{xapi.VerbCompleted, a + "/lessons/one", "2026-03-02T10:00:00Z", anna},
		{xapi.VerbProgressed, a, "2026-03-02T10:00:00Z", anna},
		{xapi.VerbCompleted, a + "/lessons/two", "2026-03-03T10:00:00Z", anna},
		{xapi.VerbProgressed, a, "2026-03-03T10:00:00Z", anna},
		{xapi.VerbFailed, a + "/check", "2026-03-03T12:00:00Z", anna},
		{xapi.VerbPassed, a + "/check", "2026-03-04T09:00:00Z", anna},
		{xapi.VerbCompleted, a, "2026-03-04T09:00:00Z", anna},
		{xapi.VerbPassed, a + "/check", "2026-03-05T09:00:00Z", anna},
		{xapi.VerbCompleted, m + "/lessons/only", "2026-03-06T10:00:00Z", erased},
		{xapi.VerbProgressed, m, "2026-03-06T10:00:00Z", erased},
	}
	if len(sts) != len(wants) {
		for _, s := range sts {
			t.Logf("%s %s %s", s.Timestamp, s.Verb.ID, s.Object.ID)
		}
		t.Fatalf("%d statements, want %d", len(sts), len(wants))
	}
	names := map[int64]string{}
	for _, u := range []int64{anna, erased} {
		n, err := svc.ActorName(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		names[u] = n
	}
	for i, w := range wants {
		s := sts[i]
		if s.Verb.ID != w.verb || s.Object.ID != w.object || s.Timestamp != w.timestamp {
			t.Errorf("statement %d: %s %s %s; want %s %s %s", i, s.Timestamp, s.Verb.ID, s.Object.ID, w.timestamp, w.verb, w.object)
		}
		if s.Version != "1.0.3" || s.Context.Platform != "saferspaces" || s.Actor.ObjectType != "Agent" || s.Object.ObjectType != "Activity" {
			t.Errorf("statement %d: version %q, platform %q, actor %q, object %q", i, s.Version, s.Context.Platform, s.Actor.ObjectType, s.Object.ObjectType)
		}
		if ac := s.Actor.Account; ac == nil || ac.HomePage != base || ac.Name != names[w.user] || s.Actor.Mbox != "" || s.Actor.Name != "" {
			t.Errorf("statement %d: actor %+v", i, s.Actor)
		}
	}
	if names[anna] == names[erased] || strings.Contains(names[anna], "anna") {
		t.Errorf("actor names %v", names)
	}
	if sts[0].Context.Language != "de-DE" || sts[8].Context.Language != "en-GB" {
		t.Errorf("languages %q, %q", sts[0].Context.Language, sts[8].Context.Language)
	}
	if d := sts[0].Object.Definition; d.Type != xapi.TypeLesson || d.Name["de-DE"] != "Lektion one (de)" || d.Name["en-GB"] != "Lektion one (en)" {
		t.Errorf("lesson definition = %+v", d)
	}
	if p := sts[0].Context.ContextActivities; p == nil || p.Parent[0].ID != a || p.Grouping[0].ID != base+"/" {
		t.Errorf("lesson context = %+v", p)
	}
	failed := sts[4].Result
	if failed == nil || failed.Score == nil || failed.Score.Scaled != 0.4 || failed.Score.Raw != 40 ||
		failed.Success == nil || *failed.Success || failed.Completion == nil || *failed.Completion {
		t.Errorf("failed result = %+v, want success and completion false", failed)
	}
	if r := sts[5].Result; r.Success == nil || !*r.Success || r.Completion == nil || !*r.Completion || r.Score.Scaled != 1 {
		t.Errorf("passed result = %+v", r)
	}
	for i, pct := range map[int]float64{1: 33, 3: 66, 9: 50} {
		r := sts[i].Result
		if r == nil || r.Completion == nil || *r.Completion || r.Extensions[xapi.ExtProgress] != pct {
			t.Errorf("progressed %d result = %+v, want progress %v", i, r, pct)
		}
	}

	// Once: a second export (and a restart) does not add the backfill again.
	first, _ := export(t, svc)
	again, _ := export(t, xapi.New(db, testCatalog(t), base, time.Now))
	if first != again {
		t.Error("the stored statements changed between exports")
	}
	if n := testkit.Count(t, db, `SELECT count(*) FROM xapi_statements`); n != len(wants) {
		t.Errorf("%d stored statements, want %d", n, len(wants))
	}
	v5 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	var ids []string
	for _, s := range sts {
		if !v5.MatchString(s.ID) {
			t.Errorf("id %q is not a version 5 UUID", s.ID)
		}
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(sts) {
		t.Error("statement ids repeat")
	}
	if strings.Contains(first, `\u00`) {
		t.Error("umlauts are escaped instead of written as UTF-8")
	}
}

// live is a platform whose learning events are recorded as they happen.
type live struct {
	t     *testing.T
	ctx   context.Context
	clock *testkit.Clock
	db    *sqlite.DB
	svc   *app.Services
}

func newLive(t *testing.T) *live {
	clock := testkit.NewClock(day(2, 9))
	db := testkit.OpenDB(t)
	cfg := config.Default()
	cfg.BaseURL, cfg.Data = base, t.TempDir()
	svc := app.New(app.Parts{Config: cfg, DB: db, Content: testCatalog(t), Log: testkit.Logger(io.Discard), Now: clock.Now})
	return &live{t: t, ctx: context.Background(), clock: clock, db: db, svc: svc}
}

func (l *live) learner(email, lang string) *account.User {
	l.t.Helper()
	u, _, err := l.svc.Accounts.CreateAccount(l.ctx, audit.CLI, account.NewAccount{Email: email, Name: "Test " + email, Lang: lang})
	if err != nil {
		l.t.Fatal(err)
	}
	return u
}

func (l *live) lesson(u *account.User, m, lesson string) {
	l.t.Helper()
	l.clock.Advance(time.Hour)
	if _, err := l.svc.Learning.CompleteLesson(l.ctx, u.ID, m, lesson); err != nil {
		l.t.Fatal(err)
	}
}

var (
	pass = map[string][]string{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"x"}}
	fail = map[string][]string{"q1": {"b"}, "q2": {"a"}, "q3": {"y"}} // every question answered, 0 of 3 right
)

func (l *live) check(u *account.User, m string, answers map[string][]string) {
	l.t.Helper()
	l.clock.Advance(time.Hour)
	if _, err := l.svc.Learning.SubmitCheck(l.ctx, u.ID, m, answers); err != nil {
		l.t.Fatal(err)
	}
}

// work takes Berta through the whole programme with one failed attempt on the way.
func (l *live) work(u *account.User) {
	l.lesson(u, "alpha", "one")
	l.lesson(u, "alpha", "one") // done already: nothing new
	l.check(u, "alpha", fail)
	l.lesson(u, "alpha", "two")
	l.check(u, "alpha", pass)
	l.check(u, "beta", pass)
	l.lesson(u, "beta", "only")
}

// Statements are made in the transaction of the event, as the event was: the lesson, the attempt,
// the module's progress or completion and, at the end, the programme.
func TestStatementsRecordedAtTheEvent(t *testing.T) {
	l := newLive(t)
	berta := l.learner("berta@example.org", "fr")
	l.work(berta)
	_, sts := export(t, l.svc.XAPI)
	var got []string
	for _, s := range sts {
		verb := s.Verb.ID[strings.LastIndexByte(s.Verb.ID, '/')+1:]
		got = append(got, verb+" "+strings.TrimPrefix(s.Object.ID, base))
		if s.Context.Language != "fr-FR" {
			t.Errorf("%s: language %q", s.ID, s.Context.Language)
		}
	}
	want := []string{
		"completed /modules/alpha/lessons/one", "progressed /modules/alpha",
		"failed /modules/alpha/check",
		"completed /modules/alpha/lessons/two", "progressed /modules/alpha",
		"passed /modules/alpha/check", "completed /modules/alpha",
		"passed /modules/beta/check", "progressed /modules/beta",
		"completed /modules/beta/lessons/only", "completed /modules/beta", "completed /",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("statements:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	last := sts[len(sts)-1]
	if last.Object.Definition == nil || last.Object.Definition.Type != xapi.TypeCourse || last.Result == nil || !*last.Result.Completion {
		t.Errorf("programme statement %+v", last)
	}
	if last.Timestamp != l.clock.Now().UTC().Format(time.RFC3339) {
		t.Errorf("programme completed at %s, want %s", last.Timestamp, l.clock.Now().UTC().Format(time.RFC3339))
	}
	if n := testkit.Count(t, l.db, `SELECT count(*) FROM xapi_statements WHERE state = 'waiting'`); n != len(want) {
		t.Errorf("%d statements wait for an LRS, want %d", n, len(want))
	}
}

// The stored content of a statement never changes: not when the learner changes their language,
// not when the platform runs under another base URL, not when the learner is erased — which only
// adds one voiding statement for each of theirs.
func TestStatementsAreImmutable(t *testing.T) {
	l := newLive(t)
	berta := l.learner("berta@example.org", "de")
	other := l.learner("otto@example.org", "en")
	l.work(berta)
	l.lesson(other, "beta", "only")
	before, sts := export(t, l.svc.XAPI)

	if err := l.svc.Accounts.SetLanguage(l.ctx, berta.ID, "it"); err != nil {
		t.Fatal(err)
	}
	moved := xapi.New(l.db, testCatalog(t), "https://elsewhere.example.net", l.clock.Now)
	if after, _ := export(t, moved); after != before {
		t.Fatalf("statements changed after a language change and another base URL:\n%s\n%s", before, after)
	}

	l.clock.Advance(time.Hour)
	if err := l.svc.Accounts.Erase(l.ctx, audit.Actor{Email: "admin@example.org"}, berta.ID); err != nil {
		t.Fatal(err)
	}
	after, all := export(t, l.svc.XAPI)
	if !strings.HasPrefix(after, before) {
		t.Fatalf("an erasure changed stored statements:\n%s\n%s", before, after)
	}
	voiding := all[len(sts):]
	bertaName, _ := l.svc.XAPI.ActorName(l.ctx, berta.ID)
	var bertas []string
	for _, s := range sts {
		if s.Actor.Account.Name == bertaName {
			bertas = append(bertas, s.ID)
		}
	}
	var voided []string
	for _, v := range voiding {
		if v.Verb.ID != xapi.VerbVoided || v.Object.ObjectType != "StatementRef" || v.Actor.Account == nil || v.Actor.Account.Name != xapi.Platform {
			t.Errorf("voiding statement %+v", v)
		}
		voided = append(voided, v.Object.ID)
	}
	if strings.Join(voided, " ") != strings.Join(bertas, " ") {
		t.Errorf("voided %d statements, want Berta's %d:\n%v\n%v", len(voided), len(bertas), voided, bertas)
	}
	// A second erasure attempt (refused) or another export adds nothing.
	again, _ := export(t, l.svc.XAPI)
	if again != after {
		t.Error("statements changed without an event")
	}
}
