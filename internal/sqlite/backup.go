package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database to dest while the platform keeps serving.
// VACUUM INTO reads one snapshot inside a read transaction, so concurrent writers neither block it
// nor leak half a transaction into the copy. dest must not exist yet.
func (db *DB) Backup(ctx context.Context, dest string) error {
	// The copy holds everyone's data: it is created readable by its owner only, whatever the
	// folder's mode or the umask (VACUUM INTO accepts an empty file and keeps its mode).
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s already exists; choose a new file name", dest)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	// A connection of its own: the read pool is query_only, which forbids VACUUM INTO, and the
	// writer must stay free for the requests that keep coming in.
	conn, err := sql.Open("sqlite3", dsn(db.Path, snapshot))
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return restrict(dest)
}

// IntegrityCheck runs PRAGMA integrity_check and returns an error unless it answers "ok".
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := db.R.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}
