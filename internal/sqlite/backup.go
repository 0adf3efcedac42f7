package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"time"

	"saferspaces/internal/safefile"
)

// Backup writes a consistent copy of the database to dest while the platform keeps serving.
// VACUUM INTO reads one snapshot inside a read transaction, so concurrent writers neither block it
// nor leak half a transaction into the copy. dest must not exist yet.
//
// The copy is written to a temporary file beside dest (".NAME.tmp-…", see package safefile),
// checked with integrity_check (opened read-only and immutable, so no -wal or -shm appears beside
// it), fsynced and only then given its name; the folder is fsynced after that. A cancelled ctx (SIGINT,
// SIGTERM), a full disk or any error removes the temporary file, and a kill leaves at most that
// file: never a file under dest's name that is not a complete, checked copy. progress, if not
// nil, is called a few times a second with the bytes written so far and the size of the
// database.
func (db *DB) Backup(ctx context.Context, dest string, progress func(written, total int64)) (err error) {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file name", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	tmp, err := safefile.Create(dest, "the backup")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Abort()
		}
	}()

	if err := db.vacuumInto(ctx, tmpName, progress); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("backup interrupted (%w); nothing was written to %s", context.Cause(ctx), dest)
		}
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	// The copy holds everyone's data: readable by its owner only, whatever the umask.
	if err := os.Chmod(tmpName, FileMode); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := checkCopy(ctx, tmpName); err != nil {
		return fmt.Errorf("backup: the copy failed its check, nothing was written to %s: %w", dest, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("backup interrupted (%w); nothing was written to %s", context.Cause(ctx), dest)
	}
	if err := tmp.Commit(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// vacuumInto copies the database into the (empty) file path, reporting progress by the file's
// growth.
func (db *DB) vacuumInto(ctx context.Context, path string, progress func(written, total int64)) error {
	// A connection of its own: the read pool is query_only, which forbids VACUUM INTO, and the
	// writer must stay free for the requests that keep coming in.
	conn, err := sql.Open("sqlite3", dsn(db.Path, snapshot))
	if err != nil {
		return err
	}
	defer conn.Close()
	done := make(chan struct{})
	if progress != nil {
		total, _ := db.Size()
		go func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					if st, err := os.Stat(path); err == nil {
						progress(st.Size(), max(total, st.Size()))
					}
				}
			}
		}()
	}
	_, err = conn.ExecContext(ctx, "VACUUM INTO ?", path)
	close(done)
	if err == nil && progress != nil {
		if st, serr := os.Stat(path); serr == nil {
			progress(st.Size(), st.Size())
		}
	}
	return err
}

// checkCopy runs integrity_check on the database file at path without changing anything beside
// it: opened read-only and immutable, SQLite creates no -wal or -shm file.
func checkCopy(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer conn.Close()
	return integrityCheck(ctx, conn)
}

// IntegrityCheck runs PRAGMA integrity_check and returns an error unless it answers "ok".
func (db *DB) IntegrityCheck(ctx context.Context) error {
	return integrityCheck(ctx, db.R)
}

func integrityCheck(ctx context.Context, q *sql.DB) error {
	var res string
	if err := q.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}
