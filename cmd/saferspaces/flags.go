package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"saferspaces/internal/config"
)

// parseFlags parses a command's flags with the SAFERSPACES_<FLAG> fallback. It returns the
// positional arguments; --help prints the command's usage and returns errHelp.
func parseFlags(name, synopsis string, args []string, getenv func(string) string, stderr io.Writer, define func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	printUsage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: saferspaces %s\n\nFlags (each also from SAFERSPACES_<FLAG>):\n", synopsis)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stderr)
			return nil, errHelp
		}
		return nil, usageError(stderr, "%s: %v", name, err)
	}
	// Go's flag package stops at the first argument, so "backup out.db --data D" would leave
	// --data unread and complain about the number of FILEs; say what is wrong instead.
	for i, a := range fs.Args() {
		flagName, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && i > 0 && fs.Lookup(flagName) != nil {
			return nil, usageError(stderr, "%s: %s comes after %q; flags go before the arguments (saferspaces %s)",
				name, a, fs.Arg(i-1), synopsis)
		}
	}
	if err := config.ApplyEnv(fs, getenv); err != nil {
		return nil, usageError(stderr, "%s: %v", name, err)
	}
	if f := fs.Lookup("data"); f != nil {
		if err := config.CheckData(f.Value.String()); err != nil {
			return nil, usageError(stderr, "%s: %v", name, err)
		}
	}
	return fs.Args(), nil
}

// errHelp ends a command after its usage was printed on request; run reports success.
var errHelp = errors.New("help shown")
