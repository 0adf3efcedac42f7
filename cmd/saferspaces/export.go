package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/safefile"
	"saferspaces/internal/xapi"
)

// cmdExportXAPI writes the learning records as xAPI statements (JSON lines) to FILE, or to stdout
// without one. FILE is written beside its name and renamed when complete (package safefile), and
// never overwritten: an export holds personal data, and clobbering an older one (or something
// that is not an export at all) by a typo is not undoable.
func cmdExportXAPI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	rest, err := parseFlags("export xapi", "export xapi [--data DIR] [--base-url URL] [--modules DIR] [FILE]", args, getenv, stderr,
		func(fs *flag.FlagSet) {
			cfg.DataFlag(fs)
			fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public `URL` of the platform, the root of every activity id; default: the URL serve stored")
			fs.StringVar(&cfg.Modules, "modules", cfg.Modules, "`folder` of module content, as given to serve; empty: embedded modules")
		})
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usageError(stderr, "export xapi takes at most one FILE, got %q", rest)
	}
	if err := cfg.Validate(); err != nil {
		return usageError(stderr, "export xapi: %v", err)
	}
	cat, err := loadContent(cfg.Modules, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	db, _, err := openExistingDB(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := resolveBaseURL(ctx, &cfg, db, stderr, ""); err != nil {
		return err
	}

	target, out := "stdout", io.Writer(stdout)
	var f *safefile.File
	if len(rest) == 1 {
		target = rest[0]
		if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
			if err == nil {
				return fmt.Errorf("export xapi: %s already exists; choose another file name", target)
			}
			return fmt.Errorf("export xapi: %w", err)
		}
		// Written beside target and renamed at the end: a kill must not leave a cut-off export
		// under target's name that looks like a whole one.
		removeStale(stderr, target, "export")
		if f, err = safefile.Create(target, "the export"); err != nil {
			return fmt.Errorf("export xapi: %w", err)
		}
		out = f
	}
	lines := &lineCounter{w: out}
	if f != nil {
		// On stdout the statements are the output; a progress line belongs only beside a file.
		lines.progress = newProgress(stderr, "export xapi: statements", "")
	}
	err = xapi.New(db, cat, cfg.BaseURL, time.Now).Export(ctx, lines, audit.CLI, target)
	lines.progress.Done()
	if f != nil {
		if err == nil {
			err = ctx.Err()
		}
		if err == nil {
			err = f.Commit()
		} else {
			f.Abort()
		}
	}
	if err != nil {
		return fmt.Errorf("export xapi: %w", err)
	}
	if f != nil {
		fmt.Fprintf(stdout, "%d xAPI statements written to %s\n", lines.n, target)
	}
	return nil
}

// lineCounter counts the statements (one per line) on their way out.
type lineCounter struct {
	w        io.Writer
	n        int
	progress *progress
}

func (c *lineCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	for _, b := range p[:n] {
		if b == '\n' {
			c.n++
		}
	}
	c.progress.Update(int64(c.n), 0)
	return n, err
}
