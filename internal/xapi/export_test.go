package xapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/audit"
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

// seed stores Anna's progress in alpha and an erased learner's lesson in beta; ids are returned
// for the assertions.
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
	// Inserted out of time order: the export sorts.
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

func export(t *testing.T, db *sqlite.DB, cat *content.Catalog) (string, []xapi.Statement) {
	t.Helper()
	var buf bytes.Buffer
	svc := xapi.New(db, cat, base+"/", time.Now)
	if err := svc.Export(context.Background(), &buf, audit.CLI, "a test"); err != nil {
		t.Fatal(err)
	}
	var out []xapi.Statement
	sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	for sc.Scan() {
		var generic map[string]any
		if err := json.Unmarshal(sc.Bytes(), &generic); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", len(out)+1, err, sc.Text())
		}
		var st xapi.Statement
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&st); err != nil {
			t.Fatal(err)
		}
		out = append(out, st)
	}
	return buf.String(), out
}

func TestExportStatements(t *testing.T) {
	db, anna, erased := seed(t)
	_, sts := export(t, db, testCatalog(t))

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
	for i, w := range wants {
		s := sts[i]
		if s.Verb.ID != w.verb || s.Object.ID != w.object || s.Timestamp != w.timestamp {
			t.Errorf("statement %d: %s %s %s; want %s %s %s", i, s.Timestamp, s.Verb.ID, s.Object.ID, w.timestamp, w.verb, w.object)
		}
		if s.Version != "1.0.3" || s.Context.Platform != "saferspaces" || s.Actor.ObjectType != "Agent" || s.Object.ObjectType != "Activity" {
			t.Errorf("statement %d: version %q, platform %q, actor %q, object %q", i, s.Version, s.Context.Platform, s.Actor.ObjectType, s.Object.ObjectType)
		}
		if w.user == anna && (s.Actor.Mbox != "mailto:anna@example.org" || s.Actor.Name != "Anna Ärger" || s.Actor.Account != nil) {
			t.Errorf("statement %d: actor %+v", i, s.Actor)
		}
	}

	// Types, names and parents.
	if d := sts[0].Object.Definition; d.Type != xapi.TypeLesson || d.Name["de-DE"] != "Lektion one (de)" || d.Name["en-GB"] != "Lektion one (en)" {
		t.Errorf("lesson definition = %+v", d)
	}
	if p := sts[0].Context.ContextActivities; p == nil || p.Parent[0].ID != a {
		t.Errorf("lesson parent = %+v", p)
	}
	if d := sts[4].Object.Definition; d.Type != xapi.TypeAssessment || d.Name["en-GB"] != "Self-check: Basics" {
		t.Errorf("check definition = %+v", d)
	}
	if d := sts[6].Object.Definition; d.Type != xapi.TypeModule || d.Name["de-DE"] != "Grundlagen" {
		t.Errorf("module definition = %+v", d)
	}

	// Results.
	failed := sts[4].Result
	if failed == nil || failed.Score == nil || failed.Score.Scaled != 0.4 || failed.Score.Raw != 40 ||
		failed.Score.Min != 0 || failed.Score.Max != 100 || failed.Success == nil || *failed.Success {
		t.Errorf("failed result = %+v", failed)
	}
	if r := sts[5].Result; r.Success == nil || !*r.Success || r.Score.Scaled != 1 {
		t.Errorf("passed result = %+v", r)
	}
	for i, pct := range map[int]float64{1: 33, 3: 66, 9: 50} {
		r := sts[i].Result
		if r == nil || r.Completion == nil || *r.Completion || r.Extensions[xapi.ExtProgress] != pct {
			t.Errorf("progressed %d result = %+v, want progress %v", i, r, pct)
		}
	}
	if r := sts[6].Result; r.Completion == nil || !*r.Completion {
		t.Errorf("module completed result = %+v", r)
	}

	// The erased learner is an account on the platform, without mbox or name.
	er := sts[8].Actor
	if er.Mbox != "" || er.Name != "" || er.Account == nil || er.Account.HomePage != base || er.Account.Name != fmt.Sprintf("user-%d", erased) {
		t.Errorf("erased actor = %+v", er)
	}
}

func TestExportIDsAreDeterministic(t *testing.T) {
	db, _, _ := seed(t)
	cat := testCatalog(t)
	first, sts := export(t, db, cat)
	second, _ := export(t, db, cat)
	if first != second {
		t.Error("two exports of the same data differ")
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

// A new completion adds statements but keeps the ids of the old ones.
func TestExportIDsSurviveNewProgress(t *testing.T) {
	db, anna, _ := seed(t)
	cat := testCatalog(t)
	_, before := export(t, db, cat)
	if _, err := db.W.Exec(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at) VALUES (?, 'beta', 'only', ?)`,
		anna, day(7, 9).Unix()); err != nil {
		t.Fatal(err)
	}
	_, after := export(t, db, cat)
	if len(after) != len(before)+2 {
		t.Fatalf("%d statements after one more lesson, want %d", len(after), len(before)+2)
	}
	for i := range before {
		if before[i].ID != after[i].ID {
			t.Errorf("statement %d changed id", i)
		}
	}
}

func TestUUID5(t *testing.T) {
	// The example of RFC 4122's successor (RFC 9562, appendix A.4) and Python's uuid.uuid5.
	got, err := xapi.UUID5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")
	if err != nil || got != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Errorf("UUID5 = %q, %v", got, err)
	}
	if _, err := xapi.UUID5("not-a-uuid", "x"); err == nil {
		t.Error("a bad namespace was accepted")
	}
}
