// Command saferspaces is the whole training platform: server, migrations, backups and the
// administrative commands, in one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	_ "time/tzdata" // --timezone works on hosts without a zoneinfo database
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "saferspaces:", err)
		os.Exit(1)
	}
}

// errUsage marks a wrong command line; its message has already been printed with the usage.
var errUsage = errors.New("usage")

// usageError prints msg and the hint for help, and returns errUsage (exit code 2).
func usageError(stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "saferspaces: "+format+"\n", args...)
	fmt.Fprintln(stderr, "Run 'saferspaces COMMAND --help' for the flags of a command, 'saferspaces --help' for the commands.")
	return errUsage
}

const usage = `saferspaces – online training on protecting public spaces

Usage:
  saferspaces serve [--demo] [flags]        migrate, load modules and serve
  saferspaces migrate [--data DIR]          apply migrations and report the schema version
  saferspaces backup [--data DIR] FILE      consistent copy of the database while serving
  saferspaces purge [--dry-run] [--data DIR]  apply the retention rules once (serve does it daily)
  saferspaces user create --email E --name N [--role learner|trainer|admin] [--cohort NAME]
  saferspaces user reset-password --email E  print a link that sets a new password
  saferspaces users import [--data DIR] FILE.csv
  saferspaces cohort create --name N [--code C] [--starts DATE] [--due DATE] [--description D]
  saferspaces cohort add --cohort NAME --email E [--role learner|trainer]
  saferspaces cohort remove --cohort NAME --email E [--role learner|trainer]
  saferspaces cohort list [--archived]
  saferspaces cohort rename --cohort NAME --name NEW
  saferspaces cohort archive|restore --cohort NAME
  saferspaces cohort remind (--cohort NAME | --auto)
  saferspaces modules check [DIR]           validate module content (DIR, else the embedded modules)
  saferspaces export xapi [--data DIR] [FILE]

Every command takes --data (default ./data) and refuses an empty one; all but serve and migrate
refuse a data folder without a database, and modules check reads nothing there. Links that
commands print use the public URL serve stored (or --base-url). Every flag can also be set
through the environment as SAFERSPACES_<FLAG>, e.g. SAFERSPACES_BASE_URL for --base-url. Run
'saferspaces COMMAND --help' for the flags of a command.
`

// run is main without the process: tests call it with their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if err := dispatch(ctx, args, getenv, stdout, stderr); !errors.Is(err, errHelp) {
		return err
	}
	return nil
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return cmdServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return cmdBackup(ctx, rest, getenv, stdout, stderr)
	case "purge":
		return cmdPurge(ctx, rest, getenv, stdout, stderr)
	}
	if len(rest) > 0 {
		sub := rest[0]
		if h, ok := subcommands()[cmd+" "+sub]; ok {
			return h(ctx, rest[1:], getenv, stdout, stderr)
		}
		if _, ok := groups[cmd]; ok {
			return usageError(stderr, "unknown command %q", cmd+" "+sub)
		}
	}
	if _, ok := groups[cmd]; ok {
		return usageError(stderr, "%q needs a subcommand", cmd)
	}
	return usageError(stderr, "unknown command %q", cmd)
}

type command func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// subcommands are the two-word commands.
func subcommands() map[string]command {
	return map[string]command{
		"modules check":       cmdModulesCheck,
		"user create":         cmdUserCreate,
		"user reset-password": cmdUserResetPassword,
		"cohort create":       cmdCohortCreate,
		"cohort add":          cohortPersonCmd(true),
		"cohort remove":       cohortPersonCmd(false),
		"cohort list":         cmdCohortList,
		"cohort rename":       cmdCohortRename,
		"cohort archive":      cohortStateCmd(true),
		"cohort restore":      cohortStateCmd(false),
		"cohort remind":       cmdCohortRemind,
		"users import":        cmdUsersImport,
		"export xapi":         cmdExportXAPI,
	}
}

var groups = map[string]bool{"user": true, "users": true, "cohort": true, "modules": true, "export": true}
