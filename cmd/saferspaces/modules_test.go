package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"saferspaces/modules"
)

func TestModulesCheckShippedContent(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"modules", "check"}, noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("modules check: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	summary := regexp.MustCompile(`^(\d+) modules, \d+ lessons, \d+ questions, \d+ glossary terms, \d+ cases, \d+ tools: ok(?:, (\d+) warnings?)?$`)
	m := summary.FindStringSubmatch(lines[len(lines)-1])
	if m == nil || m[1] != "9" {
		t.Fatalf("summary = %q", lines[len(lines)-1])
	}
	// The second edition is complete: every translation, every key point, no guessable check.
	if m[2] != "" || len(lines) != 1 {
		t.Errorf("%s warnings announced, %d printed, want none:\n%s", m[2], len(lines)-1, stdout.String())
	}
	// The shipped folder on disk is the same content as the embedded one.
	stdout.Reset()
	if err := run(context.Background(), []string{"modules", "check", "../../modules"}, noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("modules check ../../modules: %v\n%s", err, stdout.String())
	}
}

// copyModules copies the embedded content into a temp folder for breaking.
func copyModules(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "modules")
	if err := os.CopyFS(dir, modules.FS); err != nil {
		t.Fatal(err)
	}
	return dir
}

// breakLine replaces the first line of file that starts with prefix and returns its number.
func breakLine(t *testing.T, file, prefix, replacement string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			lines[i] = replacement
			if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			return i + 1
		}
	}
	t.Fatalf("%s has no line starting with %q", file, prefix)
	return 0
}

func TestModulesCheckBrokenCopy(t *testing.T) {
	dir := copyModules(t)
	entries, _ := os.ReadDir(dir)
	first := entries[0].Name()
	line := breakLine(t, filepath.Join(dir, first, "check.yaml"), "pass_mark:", "pass_mark: 150")
	lessons, _ := filepath.Glob(filepath.Join(dir, first, "lessons", "*.en.md"))
	if err := os.Remove(lessons[0]); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"modules", "check", dir}, noEnv, &stdout, &stderr)
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("broken content: err = %v, want an error that exits 1\n%s", err, stdout.String())
	}
	out := stdout.String()
	want := first + "/check.yaml:" + strconv.Itoa(line) + ": pass_mark"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	de := strings.TrimSuffix(filepath.Base(lessons[0]), ".en.md") + ".de.md"
	if !strings.Contains(out, first+"/lessons/"+de+": ") || !strings.Contains(out, `no "en" version`) {
		t.Errorf("output lacks the missing English lesson:\n%s", out)
	}
	// Each problem once, on its own line, and nothing of it twice in the error main prints.
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d lines, want 2:\n%s", n, out)
	}
	if strings.Contains(err.Error(), "pass_mark") || !strings.Contains(err.Error(), "2 problems") {
		t.Errorf("error = %q, want only the count", err)
	}
}

func TestModulesCheckMissingFolder(t *testing.T) {
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "nope")
	err := run(context.Background(), []string{"modules", "check", missing}, noEnv, &stdout, &stderr)
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing folder: %v", err)
	}
	if err := run(context.Background(), []string{"modules", "check", "a", "b"}, noEnv, &stdout, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("two folders: %v, want a usage error", err)
	}
}

// serve refuses to start on broken content, printing the same messages.
func TestServeRefusesBrokenContent(t *testing.T) {
	dir := copyModules(t)
	entries, _ := os.ReadDir(dir)
	line := breakLine(t, filepath.Join(dir, entries[0].Name(), "check.yaml"), "pass_mark:", "pass_mark: 0")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--modules", dir}, noEnv, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 problem") {
		t.Fatalf("serve on broken content: %v", err)
	}
	want := entries[0].Name() + "/check.yaml:" + strconv.Itoa(line) + ": pass_mark"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
	if strings.Contains(stdout.String(), "listening") {
		t.Error("serve started listening")
	}
}

// Content saved by a Windows editor starts with a byte order mark: accepted. Content in another
// encoding (Latin-1 umlauts) is refused at the line of the first bad byte, not shown as garbage.
func TestModulesCheckEncoding(t *testing.T) {
	dir := copyModules(t)
	mods, _ := filepath.Glob(filepath.Join(dir, "01-*"))
	if len(mods) != 1 {
		t.Fatalf("module 01: %v", mods)
	}
	yamlFile := filepath.Join(mods[0], "module.yaml")
	lessons, _ := filepath.Glob(filepath.Join(mods[0], "lessons", "*.de.md"))
	for _, f := range []string{yamlFile, lessons[0], filepath.Join(mods[0], "check.yaml")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, append([]byte("\uFEFF"), b...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"modules", "check", dir}, noEnv, &stdout, &stderr); err != nil {
		t.Fatalf("files with a BOM: %v\n%s", err, stdout.String())
	}

	b, err := os.ReadFile(lessons[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	lines[4] = "Gr\xfc\xdfe aus dem Ordnungsamt" // "Grüße" in Latin-1
	if err := os.WriteFile(lessons[0], []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	err = run(t.Context(), []string{"modules", "check", dir}, noEnv, &stdout, &stderr)
	rel, _ := filepath.Rel(dir, lessons[0])
	want := filepath.ToSlash(rel) + ":5: not valid UTF-8"
	if err == nil || !strings.Contains(stdout.String(), want) {
		t.Errorf("Latin-1 lesson: err %v, output %q; want %q", err, stdout.String(), want)
	}
}
