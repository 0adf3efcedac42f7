package main

import (
	"context"
	"fmt"
	"io"

	"saferspaces/internal/config"
	"saferspaces/internal/safefile"
	"saferspaces/internal/sqlite"
)

// baseURLSetting is the settings key under which serve stores its public URL, so that the other
// commands print links that work without being told --base-url again.
const baseURLSetting = "base_url"

// openDB opens (creating if needed) and migrates the database in data: for serve and migrate only.
func openDB(ctx context.Context, data string) (*sqlite.DB, int64, error) {
	db, err := sqlite.Open(ctx, data)
	if err != nil {
		return nil, 0, err
	}
	return migrated(ctx, db, db.Migrate)
}

// openExistingDB opens and migrates the database in data, refusing a folder without one ("no
// database at …"): every command but serve and migrate works on a platform that exists.
func openExistingDB(ctx context.Context, data string) (*sqlite.DB, int64, error) {
	db, err := sqlite.OpenExisting(ctx, data)
	if err != nil {
		return nil, 0, err
	}
	// Only serve and migrate give a database its first schema; here it must have one already.
	return migrated(ctx, db, db.MigrateExisting)
}

// migrated runs migrate on db, closing db when it fails.
func migrated(ctx context.Context, db *sqlite.DB, migrate func(context.Context) (int64, error)) (*sqlite.DB, int64, error) {
	v, err := migrate(ctx)
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, v, nil
}

// removeStale removes what earlier, killed runs of a backup or export (what) to target left beside
// it, so that a daily timer does not pile up temporary copies, and says so.
func removeStale(stderr io.Writer, target, what string) {
	for _, name := range safefile.RemoveStale(target) {
		fmt.Fprintf(stderr, "saferspaces: removed a stale temporary file %s of an interrupted %s\n", name, what)
	}
}

// resolveBaseURL fills in cfg.BaseURL when the command line did not give one: with the URL the
// last serve on this database stored, else serve's default (said on stderr, since links made
// with it only work on the server's own machine). what names the links with the verb that fits
// them ("the activation link points", "the links in reminders point"), for that message.
func resolveBaseURL(ctx context.Context, cfg *config.Config, db *sqlite.DB, stderr io.Writer, what string) error {
	if cfg.BaseURL != "" {
		return nil
	}
	v, ok, err := db.LookupSetting(ctx, baseURLSetting)
	if err != nil {
		return err
	}
	if ok && v != "" {
		// Stored by a serve from before the URL was checked as strictly as now: refuse it rather
		// than print links that do not work.
		if err := config.CheckBaseURL("the public URL serve stored", v); err != nil {
			return fmt.Errorf("%w; give --base-url, or start serve once with a corrected --base-url", err)
		}
		cfg.BaseURL = v
		return nil
	}
	cfg.BaseURL = "http://" + cfg.Addr
	if what != "" {
		fmt.Fprintf(stderr, "saferspaces: no --base-url given and serve has not stored one yet; %s to %s\n", what, cfg.BaseURL)
	}
	return nil
}
