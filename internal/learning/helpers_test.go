package learning_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/learning"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// addUser inserts an approved learner directly: the account package is not under test here.
func addUser(t *testing.T, db *sqlite.DB, name, email string) int64 {
	t.Helper()
	res, err := db.W.Exec(`INSERT INTO users(email, name, lang, role, status, created_at) VALUES (?, ?, 'de', 'learner', 'approved', 1)`, email, name)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

// module describes one fixture module: its id and lesson slugs, in order.
type module struct {
	id      string
	lessons []string
	minutes int // 0: 60
}

// contentFS builds a valid content folder of the given modules, with testkit's self-check.
func contentFS(mods ...module) fstest.MapFS {
	var tm []testkit.Module
	for _, m := range mods {
		tm = append(tm, testkit.Module{ID: m.id, Lessons: m.lessons, Minutes: m.minutes})
	}
	return testkit.ContentFS(tm...)
}

func loadCatalog(t *testing.T, mods ...module) *content.Catalog {
	t.Helper()
	cat, err := content.Load(contentFS(mods...))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// fixture is a service over two modules and one learner.
type fixture struct {
	db    *sqlite.DB
	svc   *learning.Service
	clock *testkit.Clock
	user  int64
}

var twoModules = []module{{"alpha", []string{"one", "two"}, 0}, {"beta", []string{"three"}, 0}}

func newFixture(t *testing.T, mods ...module) *fixture {
	t.Helper()
	if len(mods) == 0 {
		mods = twoModules
	}
	db := testkit.OpenDB(t)
	c := testkit.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
	f := &fixture{db: db, clock: c, svc: learning.New(db, loadCatalog(t, mods...), c.Now)}
	f.user = addUser(t, db, "Jürgen Müßig", "juergen@example.org")
	return f
}

// passing and failing answers for checkYAML.
var (
	passing = map[string][]string{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"y"}} // 2 of 3: 66 %
	perfect = map[string][]string{"q1": {"a"}, "q2": {"b", "a"}, "q3": {"x"}} // 100 %
	failing = map[string][]string{"q1": {"a"}, "q2": {"a"}, "q3": {"y"}}      // 1 of 3: 33 %
)

func (f *fixture) complete(t *testing.T, moduleID string, lessons ...string) []learning.Certificate {
	t.Helper()
	var all []learning.Certificate
	for _, l := range lessons {
		issued, err := f.svc.CompleteLesson(context.Background(), f.user, moduleID, l)
		if err != nil {
			t.Fatalf("complete %s/%s: %v", moduleID, l, err)
		}
		all = append(all, issued...)
	}
	return all
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	return testkit.Count(t, f.db, query, args...)
}
