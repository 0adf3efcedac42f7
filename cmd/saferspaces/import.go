package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
)

func cmdUsersImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	rest, err := parseFlags("users import", "users import [--data DIR] [--base-url URL] FILE.csv", args, getenv, stderr, func(fs *flag.FlagSet) {
		cfg.DataFlag(fs)
		fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public `URL` of the platform for the activation links (default: the URL serve stored)")
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError(stderr, "users import needs exactly one FILE.csv (columns name;email;organisation;role;cohort)")
	}
	if err := cfg.Validate(); err != nil {
		return usageError(stderr, "users import: %v", err)
	}
	file := rest[0]
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("users import: %w", err)
	}
	// A folder opens fine and fails only on the first read, with a message that names the path
	// twice and says "directory"; say what is wrong before touching the database.
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return fmt.Errorf("users import: %s is a folder; give the CSV file (columns name;email;organisation;role;cohort)", file)
	}
	defer f.Close()

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	accounts, closeDB, err := accountsFor(ctx, &cfg, stderr, "activation links point")
	if err != nil {
		return err
	}
	defer closeDB()
	var p *progress
	stage := ""
	n, err := accounts.ImportUsers(ctx, audit.CLI, file, f, func(st string, done, total int) {
		if st != stage {
			p.Done()
			stage, p = st, newProgress(stderr, "users import: "+st, "")
		}
		p.Update(int64(done), int64(total))
	})
	p.Done()
	var bad *account.ImportError
	if errors.As(err, &bad) {
		// One problem per line, FILE:LINE: message, so editors and CI can jump to them.
		fmt.Fprintln(stderr, bad.Error())
		return fmt.Errorf("users import: %d problem(s) in %s; nothing was imported", len(bad.Problems), file)
	}
	if err != nil {
		return fmt.Errorf("users import: %w", err)
	}
	fmt.Fprintf(stdout, "created %d accounts; activation e-mails queued (sent by the running server)\n", n)
	return nil
}
