package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/modules"
)

// cmdModulesCheck validates module content: the embedded modules, or DIR. Every problem is
// printed to stdout as file:line: message (file relative to DIR), so editors can jump to it; the
// error it returns is only the count, which main prints once and turns into exit status 1.
//
// It takes --data like every command, so that a script or an environment (SAFERSPACES_DATA) that
// gives it to all of them works here too, but reads nothing there: module content is DIR or
// embedded, never in the data folder.
func cmdModulesCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config.Default()
	rest, err := parseFlags("modules check", "modules check [--data DIR] [DIR]", args, getenv, stderr, cfg.DataFlag)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usageError(stderr, "modules check takes at most one DIR, got %q", rest)
	}
	dir := ""
	if len(rest) == 1 {
		dir = rest[0]
	}
	cat, err := loadContent(dir, stdout)
	if err != nil {
		return err
	}
	questions := 0
	for _, m := range cat.Modules {
		if m.Check != nil {
			questions += len(m.Check.Questions)
		}
	}
	for _, w := range cat.Warnings {
		fmt.Fprintf(stdout, "%s (warning)\n", w)
	}
	fmt.Fprintf(stdout, "%d modules, %d lessons, %d questions, %d glossary terms, %d cases, %d tools: ok",
		len(cat.Modules), cat.LessonCount(), questions, len(cat.Glossary), len(cat.Cases), len(cat.Tools))
	if n := len(cat.Warnings); n > 0 {
		fmt.Fprintf(stdout, ", %d warning%s", n, map[bool]string{true: "s"}[n != 1])
	}
	fmt.Fprintln(stdout)
	return nil
}

// loadContent loads the modules from dir, or the embedded ones when dir is empty. Invalid
// content prints every problem to w and returns an error that only counts them; a dir that is
// not a folder is an error of its own.
func loadContent(dir string, w io.Writer) (*content.Catalog, error) {
	var fsys fs.FS = modules.FS
	where := "embedded modules"
	if dir != "" {
		st, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("modules folder %s does not exist", dir)
		case err != nil:
			return nil, fmt.Errorf("modules folder: %w", err)
		case !st.IsDir():
			return nil, fmt.Errorf("modules folder %s is not a folder", dir)
		}
		fsys, where = os.DirFS(dir), dir
	}
	cat, err := content.Load(fsys)
	var ve *content.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Fprintln(w, p)
		}
		n := len(ve.Problems)
		return nil, fmt.Errorf("module content in %s has %d problem%s", where, n, map[bool]string{true: "s"}[n != 1])
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return cat, nil
}
