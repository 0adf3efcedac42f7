package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A backup into a missing folder names the folder, not the temporary file it could not create.
func TestBackupIntoAMissingFolder(t *testing.T) {
	data := migratedData(t)
	missing := filepath.Join(t.TempDir(), "nope")
	_, _, err := runCmd(t, "backup", "--data", data, filepath.Join(missing, "b.db"))
	if want := "cannot write the backup into " + missing + ": no such folder"; err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("err = %v, want %q", err, want)
	}
}
