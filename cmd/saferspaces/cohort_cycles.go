package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/errs"
	"saferspaces/internal/remind"
)

// The cohort commands an operator needs besides create: put people in and out, list, rename,
// archive and restore, and send a cohort's reminders. Each names the cohort by --cohort NAME and
// is audited as "cli".

// cohortPersonCmd is `cohort add` (add true) or `cohort remove`.
func cohortPersonCmd(add bool) command {
	verb := map[bool]string{true: "add", false: "remove"}[add]
	return func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
		cfg := config.Default()
		var cohort, email, role string
		name := "cohort " + verb
		rest, err := parseFlags(name, name+" --cohort NAME --email E [--role learner|trainer] [--data DIR]", args, getenv, stderr,
			func(fs *flag.FlagSet) {
				cfg.DataFlag(fs)
				fs.StringVar(&cohort, "cohort", "", "cohort `name`")
				fs.StringVar(&email, "email", "", "e-mail `address` of an existing account")
				fs.StringVar(&role, "role", string(account.RoleLearner), "`role` in the cohort: learner (a member) or trainer (one who leads it)")
			})
		if err != nil {
			return err
		}
		switch {
		case len(rest) > 0:
			return usageError(stderr, "%s takes no arguments, got %q", name, rest)
		case strings.TrimSpace(cohort) == "":
			return usageError(stderr, "%s needs --cohort", name)
		case strings.TrimSpace(email) == "":
			return usageError(stderr, "%s needs --email", name)
		case role != string(account.RoleLearner) && role != string(account.RoleTrainer):
			return usageError(stderr, "%s: --role must be learner or trainer, got %q", name, role)
		}
		accounts, closeDB, err := accountsFor(ctx, &cfg, stderr, "")
		if err != nil {
			return err
		}
		defer closeDB()
		if add {
			c, u, err := accounts.AddToCohort(ctx, audit.CLI, cohort, email, account.Role(role))
			if err != nil {
				return cohortError(stderr, name, err)
			}
			what := "a member of"
			if role == string(account.RoleTrainer) {
				what = "a trainer of"
			}
			fmt.Fprintf(stdout, "%s is now %s cohort %q\n", u.Email, what, c.Name)
			return nil
		}
		if err := accounts.RemoveFromCohort(ctx, audit.CLI, cohort, email, account.Role(role)); err != nil {
			return cohortError(stderr, name, err)
		}
		fmt.Fprintf(stdout, "%s removed from cohort %q as %s\n", strings.TrimSpace(email), strings.TrimSpace(cohort), role)
		return nil
	}
}

// cohortError turns the refusals an operator can fix into a message and exit code 1; the rest is
// reported as it is.
func cohortError(stderr io.Writer, name string, err error) error {
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Conflict) || errs.Is(err, errs.Invalid) {
		return fmt.Errorf("%s: %s", name, errs.Message(err))
	}
	return fmt.Errorf("%s: %w", name, err)
}

func cmdCohortList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	var archived bool
	rest, err := parseFlags("cohort list", "cohort list [--archived] [--data DIR]", args, getenv, stderr, func(fs *flag.FlagSet) {
		cfg.DataFlag(fs)
		fs.BoolVar(&archived, "archived", false, "list archived cohorts too")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(stderr, "cohort list takes no arguments, got %q", rest)
	}
	accounts, closeDB, err := accountsFor(ctx, &cfg, stderr, "")
	if err != nil {
		return err
	}
	defer closeDB()
	list, err := accounts.CohortOverview(ctx, archived)
	if err != nil {
		return err
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(cfg.Location()).Format("2006-01-02")
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCODE\tSTART\tDUE\tLEARNERS\tTRAINERS\tSTATE")
	for _, c := range list {
		state := "active"
		if c.Archived() {
			state = "archived " + day(c.ArchivedAt)
		}
		code := c.Code
		if code == "" {
			code = "-"
		}
		var leaders []string
		for _, p := range c.Leaders {
			leaders = append(leaders, p.Email)
		}
		lead := strings.Join(leaders, ",")
		if lead == "" {
			lead = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.ID, c.Name, code, day(c.StartsAt), day(c.DueAt), c.Members, lead, state)
	}
	return tw.Flush()
}

// cohortStateCmd is `cohort archive` (archive true) or `cohort restore`.
func cohortStateCmd(archive bool) command {
	name := map[bool]string{true: "cohort archive", false: "cohort restore"}[archive]
	return func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
		cfg := config.Default()
		var cohort string
		rest, err := parseFlags(name, name+" --cohort NAME [--data DIR]", args, getenv, stderr, func(fs *flag.FlagSet) {
			cfg.DataFlag(fs)
			fs.StringVar(&cohort, "cohort", "", "cohort `name`")
		})
		if err != nil {
			return err
		}
		if len(rest) > 0 || strings.TrimSpace(cohort) == "" {
			return usageError(stderr, "%s needs --cohort NAME and no arguments", name)
		}
		accounts, closeDB, err := accountsFor(ctx, &cfg, stderr, "")
		if err != nil {
			return err
		}
		defer closeDB()
		c, err := accounts.CohortByName(ctx, cohort)
		if err != nil {
			return cohortError(stderr, name, errs.E(errs.NotFound, "cohort %q does not exist", strings.TrimSpace(cohort)))
		}
		if err := accounts.ArchiveCohort(ctx, audit.CLI, c.ID, archive); err != nil {
			return cohortError(stderr, name, err)
		}
		fmt.Fprintf(stdout, "cohort %q is %s\n", c.Name, map[bool]string{true: "archived", false: "active again"}[archive])
		return nil
	}
}

func cmdCohortRename(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	var cohort, newName string
	rest, err := parseFlags("cohort rename", "cohort rename --cohort NAME --name NEW [--data DIR]", args, getenv, stderr, func(fs *flag.FlagSet) {
		cfg.DataFlag(fs)
		fs.StringVar(&cohort, "cohort", "", "the cohort's current `name`")
		fs.StringVar(&newName, "name", "", "its new `name` (unique)")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 || strings.TrimSpace(cohort) == "" || strings.TrimSpace(newName) == "" {
		return usageError(stderr, "cohort rename needs --cohort NAME and --name NEW")
	}
	accounts, closeDB, err := accountsFor(ctx, &cfg, stderr, "")
	if err != nil {
		return err
	}
	defer closeDB()
	c, err := accounts.CohortByName(ctx, cohort)
	if err != nil {
		return cohortError(stderr, "cohort rename", errs.E(errs.NotFound, "cohort %q does not exist", strings.TrimSpace(cohort)))
	}
	in := account.CohortInput{Name: newName, Code: c.Code, Description: c.Description, StartsAt: c.StartsAt, DueAt: c.DueAt,
		TrainersApprove: c.TrainersApprove, AutoRemind: c.AutoRemind}
	err = accounts.UpdateCohort(ctx, audit.CLI, c.ID, in)
	if fields := errs.FieldsOf(err); fields != nil && !errs.Is(err, errs.Conflict) {
		return usageError(stderr, "cohort rename: %s", flagMessages(fields))
	}
	if err != nil {
		return cohortError(stderr, "cohort rename", err)
	}
	fmt.Fprintf(stdout, "cohort %q is now called %q\n", c.Name, strings.Join(strings.Fields(newName), " "))
	return nil
}

// cmdCohortRemind sends a cohort's reminders now (--cohort NAME), as a trainer's button does, or
// with --auto runs the daily automatic reminders of every cohort once.
func cmdCohortRemind(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	var cohort string
	var auto bool
	rest, err := parseFlags("cohort remind", "cohort remind (--cohort NAME | --auto) [--data DIR] [--base-url URL] [--modules DIR]", args, getenv, stderr,
		func(fs *flag.FlagSet) {
			cfg.DataFlag(fs)
			fs.StringVar(&cohort, "cohort", "", "remind this cohort's inactive and overdue learners")
			fs.BoolVar(&auto, "auto", false, "run the automatic reminders of every cohort that has them switched on")
			fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public `URL` of the platform, for the link in the e-mails")
			fs.StringVar(&cfg.Modules, "modules", cfg.Modules, "`folder` of module content, as given to serve; empty: embedded modules")
			fs.StringVar(&cfg.TimeZone, "timezone", cfg.TimeZone, "time `zone` of the due dates in the e-mails")
		})
	if err != nil {
		return err
	}
	if len(rest) > 0 || (strings.TrimSpace(cohort) == "") == !auto {
		return usageError(stderr, "cohort remind needs either --cohort NAME or --auto")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	if err := cfg.Validate(); err != nil {
		return usageError(stderr, "cohort remind: %v", err)
	}
	cat, err := loadContent(cfg.Modules, stderr)
	if err != nil {
		return err
	}
	db, _, err := openExistingDB(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := resolveBaseURL(ctx, &cfg, db, stderr, "the links in reminders point"); err != nil {
		return err
	}
	log := newLogger(stderr)
	svc := app.New(app.Parts{Config: cfg, DB: db, Content: cat, Log: log})
	if _, err := svc.Learning.RefreshSummaries(ctx); err != nil {
		return err
	}
	var res remind.Result
	if auto {
		res, err = svc.Remind.Auto(ctx)
	} else {
		c, cerr := svc.Accounts.CohortByName(ctx, cohort)
		if cerr != nil {
			return cohortError(stderr, "cohort remind", errs.E(errs.NotFound, "cohort %q does not exist", strings.TrimSpace(cohort)))
		}
		res, err = svc.Remind.Remind(ctx, audit.CLI, c.ID, account.RoleAdmin)
	}
	if err != nil {
		return cohortError(stderr, "cohort remind", err)
	}
	fmt.Fprintf(stdout, "%d reminders queued (%d skipped: reminded in the last 7 days, %d skipped: reminders switched off); serve delivers them\n",
		res.Sent, res.Recent, res.OptedOut)
	return nil
}
