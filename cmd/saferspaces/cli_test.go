package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// An empty --data is refused by every command as serve refuses it (exit 2), instead of failing
// later with a message about "saferspaces.db" or "mkdir :"; nothing appears in the working
// directory.
func TestEveryCommandRefusesAnEmptyData(t *testing.T) {
	t.Chdir(t.TempDir())
	commands := [][]string{{"serve"}, {"migrate"}, {"backup"}, {"purge"}}
	for name := range subcommands() {
		commands = append(commands, strings.Fields(name))
	}
	for _, data := range []string{"", " "} {
		for _, cmd := range commands {
			var out, errOut bytes.Buffer
			err := run(t.Context(), append(cmd, "--data", data), noEnv, &out, &errOut)
			if err != errUsage || !strings.Contains(errOut.String(), "--data must not be empty") {
				t.Errorf("%v --data %q: err = %v, stderr %q; want the usage error \"--data must not be empty\"", cmd, data, err, errOut.String())
			}
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) > 0 {
		t.Errorf("the refused commands left %v in the working directory", entries)
	}
}

// modules check takes --data like every command (help says so) and reads module content only.
func TestModulesCheckTakesData(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"modules", "check", "--data", t.TempDir()}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("modules check --data: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), ": ok") {
		t.Errorf("stdout %q", out.String())
	}
	out.Reset()
	run(t.Context(), []string{"--help"}, noEnv, &out, &errOut)
	if !strings.Contains(out.String(), "modules check reads nothing there") {
		t.Errorf("help does not say what modules check does with --data:\n%s", out.String())
	}
}

// users import given a folder says so, once, instead of "read D: read D: is a directory".
func TestUsersImportOfAFolder(t *testing.T) {
	data := migratedData(t)
	dir := t.TempDir()
	_, _, err := runCmd(t, "users", "import", "--data", data, dir)
	want := "users import: " + dir + " is a folder; give the CSV file"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v; want %q…", err, want)
	}
}

// The warning about a missing base URL agrees in number with the links it names.
func TestBaseURLWarningGrammar(t *testing.T) {
	data := migratedData(t)
	if _, errOut, err := runCmd(t, "user", "create", "--data", data, "--email", "anna@stadt.example", "--name", "Anna Admin", "--role", "admin"); err != nil {
		t.Fatal(err, errOut)
	} else if !strings.Contains(errOut, "; the activation link points to http://") {
		t.Errorf("user create: stderr %q", errOut)
	}
	if _, errOut, err := runCmd(t, "user", "reset-password", "--data", data, "--email", "anna@stadt.example"); err != nil {
		t.Fatal(err, errOut)
	} else if !strings.Contains(errOut, "; the link points to http://") {
		t.Errorf("user reset-password: stderr %q", errOut)
	}
}
