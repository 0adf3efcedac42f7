package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
