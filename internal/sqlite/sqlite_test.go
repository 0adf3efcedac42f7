package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"golang.org/x/sys/unix"

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

// A bookkeeping write commits like any other (and rolls back on an error), and the writer waits
// for the disk again afterwards: the connection is back at synchronous=FULL.
func TestBookkeepingTxLeavesTheWriterDurable(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	if _, err := db.W.ExecContext(ctx, "CREATE TABLE notes(a INTEGER)"); err != nil {
		t.Fatal(err)
	}
	synchronous := func() string {
		t.Helper()
		var got string
		if err := db.W.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	var during string
	err := db.BookkeepingTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&during); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO notes VALUES (1)")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if during != "1" {
		t.Errorf("synchronous = %s during the bookkeeping write, want 1 (NORMAL)", during)
	}
	if got := synchronous(); got != "2" {
		t.Errorf("synchronous = %s after it, want 2 (FULL)", got)
	}
	failed := errors.New("refused")
	err = db.BookkeepingTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO notes VALUES (2)"); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("err = %v, want the function's", err)
	}
	if got := synchronous(); got != "2" {
		t.Errorf("synchronous = %s after a rolled back one, want 2 (FULL)", got)
	}
	var sum int
	if err := db.R.QueryRowContext(ctx, "SELECT sum(a) FROM notes").Scan(&sum); err != nil || sum != 1 {
		t.Errorf("stored sum = %d, %v; want 1: the first committed, the second rolled back", sum, err)
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
		if err := db.Backup(ctx, dest, nil); err != nil {
			t.Fatal(err)
		}
		if names := dirNames(t, dir); len(names) != i+1 {
			t.Errorf("after backup %d the folder holds %v; want only the copies", i, names)
		}
		if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("copy %s: %v, mode %v; want 0600", dest, err, st.Mode().Perm())
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
	if err := db.Backup(ctx, filepath.Join(dir, "copy0.db"), nil); err == nil {
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

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A backup that is cancelled (Ctrl-C, SIGTERM) while it copies leaves nothing behind: no file
// under the target's name, no temporary file, no journal.
func TestCancelledBackupLeavesNothing(t *testing.T) {
	db := open(t)
	if _, err := db.W.Exec("CREATE TABLE filler(id INTEGER PRIMARY KEY, pad BLOB)"); err != nil {
		t.Fatal(err)
	}
	// Enough pages that the copy takes a while.
	if _, err := db.W.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 60000)
		INSERT INTO filler(pad) SELECT randomblob(1000) FROM n`); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dest := filepath.Join(dir, "backup.db")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := db.Backup(ctx, dest, nil); err == nil {
		t.Fatal("a backup with a cancelled context succeeded")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("cancelled before the start, the folder holds %v", names)
	}

	// Cancelled as soon as the copy has begun to grow.
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	err := db.Backup(ctx, dest, func(written, total int64) {
		if written > 0 {
			cancel()
		}
	})
	names := dirNames(t, dir)
	if err == nil {
		// The copy may finish before the cancellation reaches it; then it must be whole.
		if len(names) != 1 || names[0] != "backup.db" {
			t.Errorf("finished backup left %v", names)
		}
		t.Log("the copy finished before the cancellation took effect")
		return
	}
	if !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("error %q does not say that nothing was written", err)
	}
	if len(names) != 0 {
		t.Errorf("cancelled backup left %v", names)
	}
}

// Every command but serve and migrate opens an existing database; a typo in --data is an error
// that names the path, and nothing is created.
func TestOpenExistingRefusesMissingDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	_, err := sqlite.OpenExisting(t.Context(), dir)
	if !errors.Is(err, sqlite.ErrNoDatabase) || !strings.Contains(err.Error(), filepath.Join(dir, sqlite.FileName)) {
		t.Fatalf("OpenExisting(missing) = %v; want ErrNoDatabase naming the path", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the missing data folder was created: %v", err)
	}
	db, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.OpenExisting(t.Context(), dir)
	if err != nil {
		t.Fatalf("OpenExisting after Open: %v", err)
	}
	db.Close()
}

// A data folder on a read-only file system is reported as such, not as SQLite's "unable to open
// database file". The folder is a read-only tmpfs, which needs the right to mount (CI runs as
// root); without it the test is skipped.
func TestReadOnlyDataFolderIsNamed(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_RDONLY, "size=1m"); err != nil {
		t.Skipf("cannot mount a read-only tmpfs here: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	_, err := sqlite.Open(t.Context(), dir)
	if err == nil || !strings.Contains(err.Error(), "read-only file system") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open(read-only folder) = %v; want a message that names the folder as read-only", err)
	}
	_, err = sqlite.Open(t.Context(), filepath.Join(dir, "sub"))
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Open(folder to create on a read-only file system) = %v", err)
	}
}

// Deleting a row that others reference (a user, an attempt, a cohort) makes SQLite find the
// referencing rows of every child table — by index, or by scanning the whole table once per
// deleted row, inside the deleting write transaction. Every foreign key column therefore leads an
// index, except in the tables named here, which stay small or whose parents are deleted so
// rarely that a scan does not matter.
func TestForeignKeysLeadAnIndex(t *testing.T) {
	db := open(t)
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	exempt := map[string]string{
		"declarations.published_by":       "a handful of declaration versions",
		"declaration_acceptances.version": "a declaration version is deleted only as an unpublished draft, once",
		"accessibility_feedback.done_by":  "a few messages; answered ones are purged",
		"cohort_domains.cohort_id":        "a few domains per cohort",
		"reminders.cohort_id":             "a cohort is deleted rarely; reminders are kept 180 days",
	}
	rows, err := db.R.Query(`SELECT m.name, f."from" FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	var fks [][2]string
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		fks = append(fks, [2]string{table, col})
	}
	rows.Close()
	for _, fk := range fks {
		table, col := fk[0], fk[1]
		var leads int
		err := db.R.QueryRow(`SELECT count(*) FROM pragma_index_list(?1) il
			WHERE (SELECT name FROM pragma_index_info(il.name) WHERE seqno = 0) = ?2`, table, col).Scan(&leads)
		if err != nil {
			t.Fatal(err)
		}
		var rowid int
		if err := db.R.QueryRow(`SELECT count(*) FROM pragma_table_info(?1) WHERE pk = 1 AND name = ?2 AND type = 'INTEGER'`,
			table, col).Scan(&rowid); err != nil {
			t.Fatal(err)
		}
		name := table + "." + col
		if _, ok := exempt[name]; !ok && leads+rowid == 0 {
			t.Errorf("%s references another table but leads no index: deleting the referenced row scans %s", name, table)
		}
	}
}
