package safefile_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"saferspaces/internal/safefile"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range entries {
		n = append(n, e.Name())
	}
	return n
}

// RemoveStale removes exactly the unlocked temporary files of its target (and what SQLite left
// beside them), never a file being written, nor anything else however alike its name.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "backup.db")
	running, err := safefile.Create(dest, "the backup")
	if err != nil {
		t.Fatal(err)
	}
	defer running.Abort()
	touch(t, running.Name()+"-journal")
	stale := []string{".backup.db.tmp-123", ".backup.db.tmp-123-journal", ".backup.db.tmp-77-wal", ".backup.db.tmp-4"}
	kept := []string{".backup.db.tmp-12x", ".backup.db.tmp-", ".backup.db.tmp-5.bak", "backup.db.tmp-6", ".other.db.tmp-7",
		".backup.db.tmp-8.tmp-9", "..backup.db.tmp-10", "x.backup.db.tmp-11"}
	for _, n := range append(slices.Clone(stale), kept...) {
		touch(t, filepath.Join(dir, n))
	}
	if err := os.Mkdir(filepath.Join(dir, ".backup.db.tmp-99"), 0o700); err != nil {
		t.Fatal(err)
	}
	removed := safefile.RemoveStale(dest)
	for i := range removed {
		removed[i] = filepath.Base(removed[i])
	}
	slices.Sort(removed)
	slices.Sort(stale)
	if !slices.Equal(removed, stale) {
		t.Errorf("removed %v, want %v", removed, stale)
	}
	want := append(kept, ".backup.db.tmp-99", filepath.Base(running.Name()), filepath.Base(running.Name())+"-journal")
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
}

// A temporary file is given its name only when that name is free; otherwise it is removed.
func TestCommit(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "export.jsonl")
	f, err := safefile.Create(dest, "the export")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("one\n")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "one\n" {
		t.Errorf("dest holds %q", b)
	}
	f, err = safefile.Create(dest, "the export")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("two\n")
	if err := f.Commit(); err == nil || !strings.Contains(err.Error(), "appeared while it was written") {
		t.Errorf("commit over an existing file: %v", err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"export.jsonl"}) {
		t.Errorf("left %v", got)
	}
	if b, _ := os.ReadFile(dest); string(b) != "one\n" {
		t.Errorf("dest holds %q", b)
	}
}

// A missing or read-only target folder is named as such, not through a temporary file's name.
func TestCreateNamesTheFolder(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope")
	_, err := safefile.Create(filepath.Join(missing, "b.db"), "the backup")
	if want := "cannot write the backup into " + missing + ": no such folder"; err == nil || err.Error() != want {
		t.Errorf("missing folder: %v, want %q", err, want)
	}
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only folders")
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	_, err = safefile.Create(filepath.Join(ro, "b.db"), "the backup")
	if want := "cannot write the backup into " + ro + ": the folder is not writable for this user"; err == nil || err.Error() != want {
		t.Errorf("read-only folder: %v, want %q", err, want)
	}
}
