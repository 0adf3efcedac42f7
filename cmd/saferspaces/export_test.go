package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportXAPICommand(t *testing.T) {
	data := migratedData(t)
	if _, errOut, err := runCmd(t, "user", "create", "--data", data, "--email", "lea@example.org", "--name", "Lea Lernt"); err != nil {
		t.Fatal(err, errOut)
	}
	db, err := sql.Open("sqlite3", filepath.Join(data, "saferspaces.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at)
		SELECT id, 'public-spaces', 'soft-targets', 1773999000 FROM users WHERE email = 'lea@example.org'`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "records.jsonl")
	out, errOut, err := runCmd(t, "export", "xapi", "--data", data, "--base-url", "https://training.example.org", file)
	if err != nil {
		t.Fatal(err, errOut)
	}
	if !strings.Contains(out, "2 xAPI statements written to "+file) {
		t.Errorf("output %q", out)
	}
	written, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(written), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines in the file, want 2 (lesson completed, module progressed):\n%s", len(lines), written)
	}
	var st struct {
		Actor struct {
			Account struct{ HomePage, Name string }
		}
		Verb   struct{ ID string }
		Object struct{ ID string }
	}
	if err := json.Unmarshal([]byte(lines[0]), &st); err != nil {
		t.Fatal(err)
	}
	// Progress stored before learning records existed is turned into statements at the first
	// export (or the first start of serve), under the canonical URL fixed then.
	if st.Actor.Account.HomePage != "https://training.example.org" || st.Actor.Account.Name == "" || strings.Contains(lines[0], "lea@") ||
		!strings.HasSuffix(st.Verb.ID, "/completed") ||
		st.Object.ID != "https://training.example.org/modules/public-spaces/lessons/soft-targets" {
		t.Errorf("first statement %+v", st)
	}

	// A second export to the same file is refused and leaves the first one as it was.
	_, _, err = runCmd(t, "export", "xapi", "--data", data, file)
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("overwrite: err = %v", err)
	}
	if again, _ := os.ReadFile(file); string(again) != string(written) {
		t.Error("the existing file was changed")
	}

	// Without FILE the statements go to stdout, with the same ids as in the file.
	out, errOut, err = runCmd(t, "export", "xapi", "--data", data, "--base-url", "https://training.example.org")
	if err != nil {
		t.Fatal(err, errOut)
	}
	if out != string(written) {
		t.Errorf("stdout differs from the file:\n%s\n%s", out, written)
	}
	if n := countRows(t, data, `SELECT count(*) FROM audit_log WHERE action = 'xapi.exported' AND actor = 'cli'`); n != 2 {
		t.Errorf("%d audit lines, want 2", n)
	}
	if _, _, err := runCmd(t, "export", "xapi", "--data", data, "a", "b"); !errors.Is(err, errUsage) {
		t.Errorf("two files: err = %v, want a usage error", err)
	}
}
