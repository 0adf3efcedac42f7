package account_test

import (
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
	"saferspaces/migrations"
)

// The migration that lets a person be in several cohorts keeps every membership an older
// platform had, with its date; afterwards the same person can join a second cohort.
func TestCycleMigrationKeepsMemberships(t *testing.T) {
	ctx := t.Context()
	older := fstest.MapFS{}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.Compare(f, "00030") < 0 { // everything before the training cycles
			b, _ := fs.ReadFile(migrations.FS, f)
			older[f] = &fstest.MapFile{Data: b}
		}
	}
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateFS(ctx, older); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO cohorts(id, name, code, created_at) VALUES (1, 'Alt', 'ALT', 100), (2, 'Neu', NULL, 200)`,
		`INSERT INTO users(id, email, name, role, status, created_at) VALUES (7, 'lea@stadt.example', 'Lea', 'learner', 'approved', 100)`,
		`INSERT INTO cohort_members(cohort_id, user_id, joined_at) VALUES (1, 7, 123456)`,
	} {
		if _, err := db.W.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var cohort, joined int64
	if err := db.R.QueryRow(`SELECT cohort_id, joined_at FROM cohort_members WHERE user_id = 7`).Scan(&cohort, &joined); err != nil || cohort != 1 || joined != 123456 {
		t.Fatalf("membership after the migration: cohort %d joined %d, %v", cohort, joined, err)
	}
	svc := account.New(db, time.Now, func(p string) string { return p }, testkit.Logger(io.Discard))
	if err := svc.AddMember(ctx, audit.CLI, 2, 7); err != nil {
		t.Fatalf("a second cohort: %v", err)
	}
	var n int
	db.R.QueryRow(`SELECT count(*) FROM cohort_members WHERE user_id = 7`).Scan(&n)
	if n != 2 {
		t.Errorf("Lea is in %d cohorts, want 2", n)
	}
}
