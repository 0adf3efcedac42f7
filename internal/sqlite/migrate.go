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

// MigrateFS is Migrate with another set of migrations (for tests).
func (db *DB) MigrateFS(ctx context.Context, fsys fs.FS) (int64, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, db.W, fsys)
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
