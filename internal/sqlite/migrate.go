package sqlite

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"saferspaces/migrations"
)

// Migrate applies every pending migration from the embedded migrations folder and returns the
// schema version. A database written by a newer binary is refused: forward-only migrations mean an
// older binary cannot know what the newer schema promises.
func (db *DB) Migrate(ctx context.Context) (int64, error) {
	return db.MigrateFS(ctx, migrations.FS)
}

// MigrateExisting is Migrate for the commands that work on an existing platform: a database
// without the schema version table is not the platform's (another program's file, a wrong file
// restored), and is refused rather than given the platform's tables beside its own.
func (db *DB) MigrateExisting(ctx context.Context) (int64, error) {
	var n int
	err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, versionTable).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if n == 0 {
		return 0, fmt.Errorf("database %s is not a saferspaces database (it has no table %s): check --data, or restore the platform's database from a backup (see docs/operations.md)", db.Path, versionTable)
	}
	return db.Migrate(ctx)
}

// versionTable is where goose keeps the schema version (its default name).
const versionTable = "goose_db_version"

// MigrateFS is Migrate with another set of migrations (for tests).
func (db *DB) MigrateFS(ctx context.Context, fsys fs.FS) (int64, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, db.W, fsys, goose.WithTableName(versionTable))
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	// Provider.Close would close db.W, which we keep using.
	var latest int64
	for _, s := range p.ListSources() {
		latest = max(latest, s.Version)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if current > latest {
		return current, fmt.Errorf("database schema version %d is newer than this binary knows (%d): run the newer saferspaces release or restore a backup", current, latest)
	}
	if _, err := p.Up(ctx); err != nil {
		return current, fmt.Errorf("migrate: %w", err)
	}
	return p.GetDBVersion(ctx)
}
