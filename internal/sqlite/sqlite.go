// Package sqlite opens the platform's database: one writer connection that takes the write lock at
// BEGIN (so concurrent writers queue on busy_timeout instead of failing mid-transaction) and a pool
// of read-only connections. Every pragma is in the DSN so that every new connection gets it.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/mattn/go-sqlite3"

	"saferspaces/internal/errs"
)

// FileName is the database file inside the data folder.
const FileName = "saferspaces.db"

// DB is the platform's database.
type DB struct {
	W    *sql.DB // the single writer; use for every statement that changes data
	R    *sql.DB // read-only pool
	Path string
}

type connKind int

const (
	writer connKind = iota
	reader
	snapshot // reads only, but may write other files (VACUUM INTO)
)

func dsn(path string, kind connKind) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	// Deleted or overwritten content (sent mail bodies with their activation links, erased
	// people) is zeroed on disk instead of lingering in free pages.
	q.Set("_secure_delete", "on")
	switch kind {
	case writer:
		q.Set("_txlock", "immediate")
	case reader:
		q.Set("_query_only", "true")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) DATA/saferspaces.db. It does not migrate.
func Open(ctx context.Context, dataDir string) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	return OpenFile(ctx, filepath.Join(dataDir, FileName))
}

// OpenFile opens the database at path.
func OpenFile(ctx context.Context, path string) (*DB, error) {
	w, err := sql.Open("sqlite3", dsn(path, writer))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// The writer creates the file and switches it to WAL before any reader looks at it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", dsn(path, reader))
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return &DB{W: w, R: r, Path: path}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.R.Close(), db.W.Close())
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.R.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Scrub moves the write-ahead log into the database and truncates it, so that old versions of
// rows that were just cleared (with secure_delete on, their pages are zeroed) do not stay
// readable in the -wal file. Best effort: readers holding old snapshots can keep some frames.
func (db *DB) Scrub(ctx context.Context) error {
	var busy, logFrames, checkpointed int
	err := db.W.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &checkpointed)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: readers still busy (%d of %d frames moved)", checkpointed, logFrames)
	}
	return nil
}

// Tx runs fn in a write transaction, committing when fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsUnique reports whether err is a UNIQUE or PRIMARY KEY constraint violation.
func IsUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// NotFound translates sql.ErrNoRows into an errs.NotFound with the given message; other errors pass through.
func NotFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Wrap(errs.NotFound, err, what+" not found")
	}
	return err
}

// Setting returns the value stored under key in the settings table. If there is none, it stores
// the value init makes and returns that; two processes racing to initialise agree on one value.
func (db *DB) Setting(ctx context.Context, key string, init func() string) (string, error) {
	var v string
	err := db.R.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) && init != nil {
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO settings(key, value) VALUES (?, ?)`, key, init()); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
		})
	}
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// Execer is a *sql.Tx (or *sql.DB) that can both read and write.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// SettingIn is Setting inside the caller's write transaction: for code that needs a setting while
// it holds the single writer connection (Setting would wait for that connection). With init nil,
// a missing setting is "" and ok is false.
func SettingIn(ctx context.Context, tx Execer, key string, init func() string) (v string, ok bool, err error) {
	err = tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	switch {
	case err == nil:
		return v, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	case init == nil:
		return "", false, nil
	}
	v = init()
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)`, key, v); err != nil {
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return v, true, nil
}

// SetSetting stores value under key inside the caller's transaction, replacing what was there.
func SetSetting(ctx context.Context, tx Execer, key, value string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	return nil
}
