// Package sqlite opens the platform's database: one writer connection that takes the write lock at
// BEGIN (so concurrent writers queue on busy_timeout instead of failing mid-transaction) and a pool
// of read-only connections. Every pragma is in the DSN so that every new connection gets it.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

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

	group *committer // GroupTx's shared transactions (group.go)
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
	// Each connection keeps its most recent prepared statements: a signed-in page runs the same
	// handful of queries every time, and preparing them again was a tenth of its CPU.
	q.Set("_stmt_cache_size", "128")
	switch kind {
	case writer:
		q.Set("_txlock", "immediate")
	case reader:
		q.Set("_query_only", "true")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) DATA/saferspaces.db. It does not migrate. Only serve and
// migrate create a database; every other command uses OpenExisting.
func Open(ctx context.Context, dataDir string) (*DB, error) {
	if err := PrepareDataDir(dataDir); err != nil {
		return nil, err
	}
	return OpenFile(ctx, filepath.Join(dataDir, FileName))
}

// FileMode is the mode of the database, its -wal and -shm files and backups: they hold everyone's
// data, so only their owner may read them, whatever the data folder's mode or the umask.
const FileMode = 0o600

// restrict creates path with FileMode if it does not exist and takes every other bit off if it
// does; SQLite then creates the -wal, -shm and -journal files with the database file's mode.
func restrict(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, FileMode)
	if err != nil {
		return fmt.Errorf("database file %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, FileMode); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restrict %s: %w", p, err)
		}
	}
	return nil
}

// PrepareDataDir makes the data folder if it is missing and checks that it is writable.
func PrepareDataDir(dataDir string) error {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		if isReadOnly(err) {
			return readOnlyError(dataDir, err)
		}
		return fmt.Errorf("create data folder: %w", err)
	}
	return CheckWritable(dataDir)
}

// ErrNoDatabase is the cause of OpenExisting's error when the data folder holds no database.
var ErrNoDatabase = errors.New("no database")

// OpenExisting opens DATA/saferspaces.db like Open, but refuses a data folder without a database
// instead of creating an empty one: a typo in --data must not give an empty backup, an export of
// nothing, or a user in a database that no server reads. An empty file (a restore whose copy
// failed) is refused too, before SQLite writes anything into it: opened, it would be a new, empty
// database that a backup copies and "checks" and that migrations fill with a fresh schema.
//
// In WAL mode a young database may have its pages in the -wal file only; such a file is not empty.
func OpenExisting(ctx context.Context, dataDir string) (*DB, error) {
	path := filepath.Join(dataDir, FileName)
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w at %s: check --data (or SAFERSPACES_DATA); a new platform starts with 'saferspaces migrate --data %s' or 'saferspaces serve --data %s'",
			ErrNoDatabase, path, dataDir, dataDir)
	case err != nil:
		return nil, fmt.Errorf("database %s: %w", path, err)
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("database %s is not a file", path)
	case st.Size() == 0 && !hasContent(path+"-wal"):
		return nil, fmt.Errorf("database %s is empty (0 bytes): restore it from a backup (see 'Backup and restore' in docs/operations.md); a new platform starts with 'saferspaces migrate --data %s'",
			path, dataDir)
	}
	if err := CheckWritable(dataDir); err != nil {
		return nil, err
	}
	return OpenFile(ctx, path)
}

func hasContent(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() > 0
}

// CheckWritable makes sure the platform can create files in dataDir: SQLite needs to create the
// write-ahead log and its index beside the database even to read it, and the server keeps its
// session keys and mail there. A read-only folder gets a message that says so, not SQLite's
// "unable to open database file".
func CheckWritable(dataDir string) error {
	f, err := os.CreateTemp(dataDir, ".write-check-*")
	if err != nil {
		if isReadOnly(err) {
			return readOnlyError(dataDir, err)
		}
		return fmt.Errorf("data folder %s: %w", dataDir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func isReadOnly(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}

func readOnlyError(dataDir string, err error) error {
	why := "is not writable for this user"
	if errors.Is(err, syscall.EROFS) {
		why = "is on a read-only file system"
	}
	return fmt.Errorf("data folder %s %s: saferspaces writes its database, write-ahead log, session keys and mail folder there; "+
		"give the user that runs saferspaces write access to it (%w)", dataDir, why, err)
}

// OpenFile opens the database at path.
func OpenFile(ctx context.Context, path string) (*DB, error) {
	if err := restrict(path); err != nil {
		return nil, err
	}
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
	return &DB{W: w, R: r, Path: path, group: newCommitter()}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.group.stop()
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
	return commitTx(tx, err, fn)
}

// commitTx runs fn in tx, begun with err, and commits it, or rolls it back when fn fails.
func commitTx(tx *sql.Tx, err error, fn func(tx *sql.Tx) error) error {
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

// BookkeepingTx is Tx for a write that may be lost in a power failure: what the platform notes
// about a reader in passing (the lesson opened last), not what a user did. It commits without
// waiting for the disk (synchronous=NORMAL for this one commit, on the writer's connection): an
// application crash loses nothing — the log is written — and the next ordinary commit, which
// waits for the disk, makes it durable with everything before it. A page view that notes
// something therefore costs no wait for the disk.
func (db *DB) BookkeepingTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		// Every other write waits for the disk: a connection that cannot be set back is closed
		// rather than returned to the pool.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	return commitTx(tx, err, fn)
}

// BulkTx is Tx for one large write (thousands of rows, tens of megabytes): the writer's page
// cache is raised for it, so that SQLite does not spill pages to the log in the middle of the
// transaction and the write lock is held as briefly as the work allows. The cache returns to its
// default size afterwards.
func (db *DB) BulkTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil { // 256 MiB
			return err
		}
		defer tx.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -2000") // SQLite's default
		return fn(tx)
	})
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

// PutSetting stores value under key in the settings table, replacing what was there.
func (db *DB) PutSetting(ctx context.Context, key, value string) error {
	_, err := db.W.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE value <> excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", key, err)
	}
	return nil
}

// LookupSetting returns the value stored under key, and whether there is one.
func (db *DB) LookupSetting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := db.R.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return v, true, nil
}

// WriteProbe commits a small write, for the readiness check: it fails when the database does
// not accept writes (a full disk, a read-only or vanished file, a lock held too long).
func (db *DB) WriteProbe(ctx context.Context, now int64) error {
	_, err := db.W.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES ('ready_probe', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, fmt.Sprint(now))
	if err != nil {
		return fmt.Errorf("database does not accept writes: %w", err)
	}
	return nil
}

// Size is the size in bytes of the database file and its write-ahead log.
func (db *DB) Size() (dbBytes, walBytes int64) {
	if st, err := os.Stat(db.Path); err == nil {
		dbBytes = st.Size()
	}
	if st, err := os.Stat(db.Path + "-wal"); err == nil {
		walBytes = st.Size()
	}
	return dbBytes, walBytes
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
