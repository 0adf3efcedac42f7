package main

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
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

// A 0-byte saferspaces.db (a restore whose copy failed) is refused by every command that works
// on an existing platform: no "integrity check ok" backup of an empty database, no fresh schema
// migrated into it (not even by purge --dry-run), and nothing written beside it.
func TestCommandsRefuseAnEmptyDatabase(t *testing.T) {
	data := t.TempDir()
	db := filepath.Join(data, "saferspaces.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, args := range [][]string{
		{"backup", "--data", data, filepath.Join(out, "backup.db")},
		{"cohort", "list", "--data", data},
		{"purge", "--dry-run", "--data", data},
		{"user", "reset-password", "--data", data, "--email", "a@stadt.example"},
		{"export", "xapi", "--data", data, filepath.Join(out, "records.jsonl")},
	} {
		_, _, err := runCmd(t, args...)
		want := "database " + db + " is empty (0 bytes): restore it from a backup"
		if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: err = %v; want %q…", args[:2], err, want)
		}
	}
	assertNoBackupLeft(t, out)
	entries, _ := os.ReadDir(data)
	if st, err := os.Stat(db); err != nil || st.Size() != 0 || len(entries) != 1 {
		t.Errorf("the data folder changed: %v, %v", entries, err)
	}
}

// A database that is not the platform's (no schema version table) gets no tables from a command
// other than serve or migrate.
func TestCommandsDoNotMigrateAForeignDatabase(t *testing.T) {
	data := t.TempDir()
	foreign, err := sql.Open("sqlite3", filepath.Join(data, "saferspaces.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := foreign.Exec(`CREATE TABLE invoices(id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	foreign.Close()
	_, _, err = runCmd(t, "cohort", "list", "--data", data)
	if err == nil || !strings.Contains(err.Error(), "is not a saferspaces database") {
		t.Errorf("cohort list: err = %v", err)
	}
	if n := countRows(t, data, `SELECT count(*) FROM sqlite_master WHERE type = 'table'`); n != 1 {
		t.Errorf("%d tables in the foreign database, want its 1", n)
	}
}
