package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

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
	if err := config.ApplyEnv(fs, getenv); err != nil {
		return nil, usageError(stderr, "%s: %v", name, err)
	}
	return fs.Args(), nil
}

// errHelp ends a command after its usage was printed on request; run reports success.
var errHelp = errors.New("help shown")
