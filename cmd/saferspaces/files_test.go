package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bigExportData makes a migrated data folder with about mib MiB of learning records, so that an
// export takes long enough to be killed.
func bigExportData(t *testing.T, mib int) string {
	t.Helper()
	return migratedDataWith(t, fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d)
		INSERT INTO xapi_statements(id, body, created_at, next_attempt_at)
		SELECT 'id-' || i, '{"pad":"' || hex(randomblob(500)) || '"}', 0, 0 FROM n`, mib*1000))
}

// A killed export leaves nothing under FILE's name (only its temporary file, which the next run
// removes and says so), and the next run writes the whole export.
func TestKilledExportLeavesNoFileUnderItsName(t *testing.T) {
	data := bigExportData(t, 60)
	out := t.TempDir()
	dest := filepath.Join(out, "records.jsonl")
	cmd := saferspacesCmd(t, "", "export", "xapi", "--data", data, "--base-url", "https://training.example.org", dest)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForAnyFile(t, out)
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(dest); err == nil {
		t.Fatalf("a killed export left %s", dest)
	}
	stdout, stderr, err := runCmd(t, "export", "xapi", "--data", data, "--base-url", "https://training.example.org", dest)
	if err != nil {
		t.Fatal(err, stderr)
	}
	if !strings.Contains(stderr, "removed a stale temporary file "+filepath.Join(out, ".records.jsonl.tmp-")) ||
		!strings.Contains(stderr, " of an interrupted export") {
		t.Errorf("stderr %q", stderr)
	}
	if !strings.Contains(stdout, "60000 xAPI statements written to "+dest) {
		t.Errorf("stdout %q", stdout)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("left %v beside the export", entries)
	}
}

// waitForAnyFile waits until a file in dir has started to grow.
func waitForAnyFile(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Size() > 0 {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("nothing was written within 30 s")
}

// Each backup removes the temporary files that killed backups to the same target left, says so,
// and leaves every other file alone.
func TestBackupRemovesStaleTemporaryFiles(t *testing.T) {
	data := migratedData(t)
	out := t.TempDir()
	for _, n := range []string{".daily.db.tmp-1234", ".daily.db.tmp-1234-journal", ".daily.db.tmp-99x", ".weekly.db.tmp-5"} {
		if err := os.WriteFile(filepath.Join(out, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, stderr, err := runCmd(t, "backup", "--data", data, filepath.Join(out, "daily.db"))
	if err != nil {
		t.Fatal(err, stderr)
	}
	for _, n := range []string{".daily.db.tmp-1234", ".daily.db.tmp-1234-journal"} {
		if !strings.Contains(stderr, "removed a stale temporary file "+filepath.Join(out, n)+" of an interrupted backup\n") {
			t.Errorf("stderr does not report %s: %q", n, stderr)
		}
	}
	var left []string
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, " ") != ".daily.db.tmp-99x .weekly.db.tmp-5 daily.db" {
		t.Errorf("left %v", left)
	}
}

// A backup into a missing folder names the folder, not the temporary file it could not create.
func TestBackupIntoAMissingFolder(t *testing.T) {
	data := migratedData(t)
	missing := filepath.Join(t.TempDir(), "nope")
	_, _, err := runCmd(t, "backup", "--data", data, filepath.Join(missing, "b.db"))
	if want := "cannot write the backup into " + missing + ": no such folder"; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("err = %v, want %q", err, want)
	}
}
