package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/errs"
)

// flagMessages says what is wrong with the command line's values, field by field, naming each as
// its flag: "--email: "x" is not a valid e-mail address; --name: must have 2 to 200 characters".
func flagMessages(fields errs.Fields) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = "--" + f.Name + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

// accountsFor opens the existing database in cfg.Data and builds the account service. Links
// point to --base-url, else to the URL serve stored (see resolveBaseURL); links names them for
// the warning when there is neither ("" for commands that print no links).
func accountsFor(ctx context.Context, cfg *config.Config, stderr io.Writer, links string) (*account.Service, func() error, error) {
	db, _, err := openExistingDB(ctx, cfg.Data)
	if err != nil {
		return nil, nil, err
	}
	if err := resolveBaseURL(ctx, cfg, db, stderr, links); err != nil {
		db.Close()
		return nil, nil, err
	}
	return account.New(db, time.Now, cfg.Link, newLogger(stderr)), db.Close, nil
}

func cmdCohortCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	var name, code, starts, due, description string
	rest, err := parseFlags("cohort create", "cohort create --name N [--code C] [--starts YYYY-MM-DD] [--due YYYY-MM-DD] [--description D] [--data DIR]",
		args, getenv, stderr, func(fs *flag.FlagSet) {
			cfg.DataFlag(fs)
			fs.StringVar(&name, "name", "", "cohort `name` (unique)")
			fs.StringVar(&code, "code", "", "optional join `code` applicants enter on the declaration form (letters, digits, - and _)")
			fs.StringVar(&starts, "starts", "", "optional start `date` (YYYY-MM-DD, in --timezone)")
			fs.StringVar(&due, "due", "", "optional due `date` (YYYY-MM-DD, in --timezone): learners not complete after it are overdue")
			fs.StringVar(&description, "description", "", "optional `text` shown on the cohort's report")
			fs.StringVar(&cfg.TimeZone, "timezone", cfg.TimeZone, "time `zone` of the dates")
		})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(stderr, "cohort create takes no arguments, got %q", rest)
	}
	if strings.TrimSpace(name) == "" {
		return usageError(stderr, "cohort create needs --name")
	}
	accounts, closeDB, err := accountsFor(ctx, &cfg, stderr, "")
	if err != nil {
		return err
	}
	defer closeDB()
	in := account.CohortInput{Name: name, Code: code, Description: description}
	for _, d := range []struct {
		flag, v string
		t       *time.Time
		end     bool
	}{{"starts", starts, &in.StartsAt, false}, {"due", due, &in.DueAt, true}} {
		if d.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.v, cfg.Location())
		if err != nil {
			return usageError(stderr, "cohort create: --%s: %q is not a date YYYY-MM-DD", d.flag, d.v)
		}
		if d.end {
			t = t.AddDate(0, 0, 1).Add(-time.Second) // due on a day: by its end
		}
		*d.t = t
	}
	c, err := accounts.CreateCycle(ctx, audit.CLI, in)
	if fields := errs.FieldsOf(err); fields != nil && !errs.Is(err, errs.Conflict) {
		return usageError(stderr, "cohort create: %s", flagMessages(fields))
	}
	if err != nil {
		return fmt.Errorf("cohort create: %w", err)
	}
	if c.Code != "" {
		fmt.Fprintf(stdout, "created cohort %q (id %d, join code %s)\n", c.Name, c.ID, c.Code)
	} else {
		fmt.Fprintf(stdout, "created cohort %q (id %d)\n", c.Name, c.ID)
	}
	return nil
}
