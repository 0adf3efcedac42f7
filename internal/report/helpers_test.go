package report_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/report"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// The test content: "alpha" has two lessons and a self-check, "beta" one lesson and a self-check.
// Both units of alpha's lessons plus its check make three units: one lesson is 33 %.
func testCatalog(t testing.TB) *content.Catalog {
	t.Helper()
	return testkit.Catalog(t,
		testkit.Module{ID: "alpha", TitleDE: "Grundlagen öffentlicher Räume", TitleEN: "Basics of public spaces", Lessons: []string{"one", "two"}},
		testkit.Module{ID: "beta", TitleDE: "Übungen", TitleEN: "Exercises", Lessons: []string{"only"}})
}

// day is a time in March 2026 (UTC), the month the fixtures live in.
func day(d, hour int) time.Time { return time.Date(2026, time.March, d, hour, 0, 0, 0, time.UTC) }

// fixture writes rows straight into the tables: the report must read what learning and account
// write, whatever service wrote it.
type fixture struct {
	t  testing.TB
	db *sqlite.DB
}

func (f fixture) exec(query string, args ...any) int64 {
	f.t.Helper()
	res, err := f.db.W.ExecContext(context.Background(), query, args...)
	if err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	id, _ := res.LastInsertId()
	return id
}

func (f fixture) cohort(name string, created time.Time) int64 {
	return f.exec(`INSERT INTO cohorts(name, created_at) VALUES (?, ?)`, name, created.Unix())
}

func (f fixture) user(name, email, org, role, status string) int64 {
	return f.exec(`INSERT INTO users(email, name, organisation, role, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		email, name, org, role, status, day(1, 0).Unix())
}

func (f fixture) member(cohort, user int64, joined time.Time) {
	f.exec(`INSERT INTO cohort_members(cohort_id, user_id, joined_at) VALUES (?, ?, ?)`, cohort, user, joined.Unix())
}

func (f fixture) leads(cohort, user int64) {
	f.exec(`INSERT INTO cohort_trainers(cohort_id, user_id) VALUES (?, ?)`, cohort, user)
}

func (f fixture) lesson(user int64, module, lesson string, at time.Time) {
	f.exec(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at) VALUES (?, ?, ?, ?)`,
		user, module, lesson, at.Unix())
}

func (f fixture) attempt(user int64, module string, score int, at time.Time) int64 {
	return f.exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at) VALUES (?, ?, ?, ?, '{}', ?)`,
		user, module, score, score >= 50, at.Unix())
}

func (f fixture) visit(user int64, module, lesson string, at time.Time) {
	f.exec(`INSERT INTO lesson_visits(user_id, module_id, lesson_id, visited_at) VALUES (?, ?, ?, ?)`,
		user, module, lesson, at.Unix())
}

func (f fixture) cert(user int64, module string, at time.Time) {
	f.exec(`INSERT INTO certificates(code, user_id, module_id, issued_at) VALUES (?, ?, ?, ?)`,
		fmt.Sprintf("T%d-%s-%d", user, module, at.Unix()), user, module, at.Unix())
}

// newService is the report service over db, with the account and learning services it reads.
func newService(t testing.TB, db *sqlite.DB, now func() time.Time) (*report.Service, *learning.Service) {
	t.Helper()
	log := testkit.Logger(io.Discard)
	acc := account.New(db, now, func(p string) string { return "https://ss.example" + p }, log)
	learn := learning.New(db, testCatalog(t), now)
	return report.New(db, acc, learn, now, time.UTC), learn
}

func i18nLang(s string) i18n.Lang { return i18n.Lang(s) }
