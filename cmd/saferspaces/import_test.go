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

// runCmd runs one command line and returns its output; err is run's result.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, noEnv, &out, &errOut)
	return out.String(), errOut.String(), err
}

func countRows(t *testing.T, data, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(data, "saferspaces.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCohortCreateCommand(t *testing.T) {
	data := migratedData(t)
	out, errOut, err := runCmd(t, "cohort", "create", "--data", data, "--name", "Frühjahr 2026", "--code", "FJ-26")
	if err != nil {
		t.Fatal(err, errOut)
	}
	if !strings.Contains(out, `created cohort "Frühjahr 2026"`) || !strings.Contains(out, "FJ-26") {
		t.Errorf("output %q", out)
	}
	if n := countRows(t, data, `SELECT count(*) FROM audit_log WHERE action = 'cohort.created' AND actor = 'cli'`); n != 1 {
		t.Errorf("%d audit lines", n)
	}
	// A duplicate name (in any case) is a clear error with exit code 1, not a usage error.
	_, _, err = runCmd(t, "cohort", "create", "--data", data, "--name", "frühjahr 2026")
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate: err = %v", err)
	}
	// A value the rules refuse is a usage error that names the flag.
	_, errOut, err = runCmd(t, "cohort", "create", "--data", data, "--name", "Mit Code", "--code", "has space")
	if !errors.Is(err, errUsage) || !strings.Contains(errOut, "--code") {
		t.Errorf("bad code: err = %v, %q", err, errOut)
	}
	if _, errOut, err := runCmd(t, "cohort", "create", "--data", data); !errors.Is(err, errUsage) || !strings.Contains(errOut, "--name") {
		t.Errorf("missing --name: err = %v, %q", err, errOut)
	}
	if n := countRows(t, data, `SELECT count(*) FROM cohorts`); n != 1 {
		t.Errorf("%d cohorts, want 1", n)
	}
}

func TestUsersImportCommand(t *testing.T) {
	data := migratedData(t)
	if _, errOut, err := runCmd(t, "cohort", "create", "--data", data, "--name", "Herbst"); err != nil {
		t.Fatal(err, errOut)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "staff.csv")
	os.WriteFile(good, []byte("\uFEFFname;email;organisation;role;cohort\r\n"+
		"Jürgen Größe;juergen@stadt.example;Ordnungsamt;learner;Herbst\r\n"+
		"Tanja Trainer;tanja@stadt.example;Präventionsrat;trainer;Herbst\r\n"), 0o600)
	out, errOut, err := runCmd(t, "users", "import", "--data", data, "--base-url", "https://training.example.org", good)
	if err != nil {
		t.Fatal(err, errOut)
	}
	if !strings.Contains(out, "created 2 accounts") {
		t.Errorf("output %q", out)
	}
	if strings.Contains(out+errOut, "/activate/") {
		t.Error("the command printed activation links; they belong in the e-mails only")
	}
	if n := countRows(t, data, `SELECT count(*) FROM mail_outbox WHERE kind = 'activation' AND body LIKE '%https://training.example.org/activate/%'`); n != 2 {
		t.Errorf("%d activation mails with the base URL, want 2", n)
	}

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("Anna;anna@stadt.example;Amt;learner;\n"+
		"Bernd;kein-at-zeichen;Amt;learner;\n"+
		"Clara;clara@stadt.example;Amt;learner;\n"+
		"Dora;dora@stadt.example;Amt;boss;\n"), 0o600)
	_, errOut, err = runCmd(t, "users", "import", "--data", data, bad)
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("bad file: err = %v", err)
	}
	for _, want := range []string{bad + ":2: ", bad + ":4: "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	var located int
	for _, l := range lines {
		if strings.HasPrefix(l, bad+":") {
			located++
		}
	}
	if located != 2 {
		t.Errorf("%d FILE:LINE lines, want 2:\n%s", located, errOut)
	}
	if !strings.Contains(err.Error(), "nothing was imported") {
		t.Errorf("err = %v", err)
	}
	if n := countRows(t, data, `SELECT count(*) FROM users`); n != 2 {
		t.Errorf("%d users after the bad file, want the 2 from before", n)
	}
	if _, _, err := runCmd(t, "users", "import", "--data", data); !errors.Is(err, errUsage) {
		t.Errorf("no file: err = %v", err)
	}
	if _, _, err := runCmd(t, "users", "import", "--data", data, filepath.Join(dir, "missing.csv")); err == nil || errors.Is(err, errUsage) {
		t.Errorf("missing file: err = %v", err)
	}
}

// Links are the base URL plus a path: a query or fragment would swallow the path and a user name
// would travel in every e-mail, so both the flag and a value stored by an older serve are refused.
func TestBaseURLWithQueryFragmentOrUserRefused(t *testing.T) {
	data := migratedData(t)
	file := filepath.Join(t.TempDir(), "staff.csv")
	os.WriteFile(file, []byte("Anna Amt;anna@stadt.example;Amt;;\n"), 0o600)
	for _, tc := range []struct{ url, want string }{
		{"https://example.org/path?x=1#frag", "--base-url must not have a query (?…) or fragment (#…)"},
		{"https://example.org/#frag", "--base-url must not have a query (?…) or fragment (#…)"},
		{"https://user:secret@example.org", "--base-url must not have a user name or password (user:pass@)"},
	} {
		_, errOut, err := runCmd(t, "users", "import", "--data", data, "--base-url", tc.url, file)
		if !errors.Is(err, errUsage) || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "secret") {
			t.Errorf("%s: err = %v\n%s", tc.url, err, errOut)
		}
	}
	db, err := sql.Open("sqlite3", filepath.Join(data, "saferspaces.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO settings(key, value) VALUES(?, ?)`, baseURLSetting, "https://example.org/path?x=1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, errOut, err := runCmd(t, "users", "import", "--data", data, file)
	if err == nil || !strings.Contains(err.Error(), "the public URL serve stored must not have a query") || !strings.Contains(err.Error(), "--base-url") {
		t.Errorf("stored URL with a query: err = %v\n%s", err, errOut)
	}
	if n := countRows(t, data, `SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users imported with a broken base URL", n)
	}
}
