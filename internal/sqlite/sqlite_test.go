package sqlite_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"saferspaces/internal/sqlite"
)

func open(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPragmasOnEveryConnection(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	checks := []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	}
	for _, pool := range []struct {
		name string
		db   *sql.DB
	}{{"writer", db.W}, {"reader", db.R}} {
		for _, c := range checks {
			var got string
			if err := pool.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatalf("%s %s: %v", pool.name, c.pragma, err)
			}
			if got != c.want {
				t.Errorf("%s: PRAGMA %s = %q, want %q", pool.name, c.pragma, got, c.want)
			}
		}
	}
	if _, err := db.R.ExecContext(ctx, "CREATE TABLE x(a)"); err == nil {
		t.Error("reader pool accepted a write")
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	db := open(t)
	v1, err := db.Migrate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v1 < 1 {
		t.Fatalf("version after migrate = %d", v1)
	}
	var tables1 string
	db.R.QueryRow("SELECT group_concat(name) FROM sqlite_schema").Scan(&tables1)
	v2, err := db.Migrate(t.Context())
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	var tables2 string
	db.R.QueryRow("SELECT group_concat(name) FROM sqlite_schema").Scan(&tables2)
	if v1 != v2 || tables1 != tables2 {
		t.Errorf("second migrate changed something: v%d→v%d, %q→%q", v1, v2, tables1, tables2)
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	db := open(t)
	newer := fstest.MapFS{
		"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a(x);\n")},
		"00002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b(x);\n")},
	}
	older := fstest.MapFS{"00001_a.sql": newer["00001_a.sql"]}
	if _, err := db.MigrateFS(t.Context(), newer); err != nil {
		t.Fatal(err)
	}
	_, err := db.MigrateFS(t.Context(), older)
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("older binary on newer database: err = %v", err)
	}
}

func TestBackupUnderConcurrentWrites(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	if _, err := db.W.Exec("CREATE TABLE ledger(id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	// Each transaction inserts a pair whose sum is zero; a torn copy would break the invariant.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					n := int64(w*1_000_000 + i)
					if _, err := tx.Exec("INSERT INTO ledger(a,b) VALUES(?,?)", n, -n); err != nil {
						return err
					}
					_, err := tx.Exec("INSERT INTO ledger(a,b) VALUES(?,?)", -n, n)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		})
	}
	dir := t.TempDir()
	for i := range 3 {
		for written.Load() < int64(50*(i+1)) {
		}
		dest := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		if err := db.Backup(ctx, dest); err != nil {
			t.Fatal(err)
		}
		cp, err := sqlite.OpenFile(ctx, dest)
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.IntegrityCheck(ctx); err != nil {
			t.Error(err)
		}
		var rows, sum int64
		if err := cp.R.QueryRow("SELECT count(*), coalesce(sum(a+b),0) FROM ledger").Scan(&rows, &sum); err != nil {
			t.Fatal(err)
		}
		if rows%2 != 0 || sum != 0 || rows == 0 {
			t.Errorf("copy %d torn: %d rows, sum %d", i, rows, sum)
		}
		cp.Close()
	}
	stop.Store(true)
	wg.Wait()
	if err := db.Backup(ctx, filepath.Join(dir, "copy0.db")); err == nil {
		t.Error("backup overwrote an existing file")
	}
}

// A cleared value must not stay readable in the database or its write-ahead log: sent mail
// bodies carry live activation links.
func TestClearedDataLeavesNoTraceOnDisk(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const secret = "SECRET-TOKEN-4f9c2a7e1b"
	if _, err := db.W.Exec("CREATE TABLE box(id INTEGER PRIMARY KEY, body TEXT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.Exec("INSERT INTO box(body) VALUES (?)", strings.Repeat(secret, 50)); err != nil {
		t.Fatal(err)
	}
	if err := db.Scrub(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.Exec("UPDATE box SET body = '' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if err := db.Scrub(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s still holds the cleared value", name)
		}
	}
}
