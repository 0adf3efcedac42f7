package main

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The database, its -wal and -shm files and backups are readable by their owner only, whatever
// the data folder's mode and the umask: checked while serve runs on a 0755 folder, and after a
// backup into a 0755 folder.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o002) // permissive, so that only the code's own modes count
	defer syscall.Umask(old)
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	base, done, stderr := startServe(t, ctx, "--data", data)
	// A write, so that the write-ahead log and its index exist.
	resp, err := http.PostForm(base+"/accessibility/feedback", map[string][]string{"message": {"Kontrast"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	db := filepath.Join(data, "saferspaces.db")
	for _, f := range []string{db, db + "-wal", db + "-shm", filepath.Join(data, "session.keys")} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, stderr)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v while serving, want 0600", filepath.Base(f), st.Mode().Perm())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "backups")
	os.Mkdir(out, 0o755)
	dest := filepath.Join(out, "ss.db")
	if _, errOut, err := runCmd(t, "backup", "--data", data, dest); err != nil {
		t.Fatal(err, errOut)
	}
	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, %v", st.Mode().Perm(), err)
	}
	if _, errOut, err := runCmd(t, "backup", "--data", data, dest); err == nil || !strings.Contains(err.Error()+errOut, "already exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
}

// purge runs the retention rules once: --dry-run says what would go and changes nothing; the real
// run removes it, prints the counts and records them in the audit log. Bad periods exit 2.
func TestPurgeCommand(t *testing.T) {
	data := t.TempDir()
	if _, errOut, err := runCmd(t, "migrate", "--data", data); err != nil {
		t.Fatal(err, errOut)
	}
	conn, err := sql.Open("sqlite3", filepath.Join(data, "saferspaces.db"))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(0, 0, -100).Unix()
	for _, q := range []string{
		`INSERT INTO users(email, name, status, created_at) VALUES ('alt@stadt.example', 'Alte Bewerbung', 'pending', ?1)`,
		`INSERT INTO mail_outbox(to_addr, kind, subject, body, status, next_attempt_at, created_at, sent_at) VALUES ('alt@stadt.example', 'x', 'alt', '', 'sent', ?1, ?1, ?1)`,
		`INSERT INTO audit_log(at, actor, action) VALUES (?1 - 400*86400, 'x@stadt.example', 'login.failed')`,
	} {
		if _, err := conn.Exec(q, old); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()

	out, errOut, err := runCmd(t, "purge", "--dry-run", "--data", data)
	if err != nil {
		t.Fatal(err, errOut)
	}
	for _, want := range []string{"would remove", "undecided applicants deleted: 1", "audit lines deleted: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if n := countRows(t, data, `SELECT count(*) FROM users`); n != 1 {
		t.Fatal("the dry run deleted")
	}
	out, errOut, err = runCmd(t, "purge", "--data", data)
	if err != nil {
		t.Fatal(err, errOut)
	}
	if !strings.Contains(out, "removed") || !strings.Contains(out, "undecided applicants deleted: 1") {
		t.Errorf("output:\n%s", out)
	}
	if n := countRows(t, data, `SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users left", n)
	}
	if n := countRows(t, data, `SELECT count(*) FROM audit_log WHERE action = 'retention.purged' AND detail LIKE '%undecided applicants deleted: 1%'`); n != 1 {
		t.Error("the run is not audited with its counts")
	}
	// A longer period keeps what the default would delete.
	if _, _, err := runCmd(t, "purge", "--data", data, "--retain-undecided", "12mo"); err != nil {
		t.Fatal(err)
	}
	_, errOut, err = runCmd(t, "purge", "--data", data, "--retain-audit", "12 Monate")
	if !errors.Is(err, errUsage) || !strings.Contains(errOut, "retain-audit") {
		t.Errorf("bad period: %v\n%s", err, errOut)
	}
}

// serve refuses a bad operator setting with exit code 2 and a message naming the flag; without the
// settings it warns at start; --demo fills plausible values.
func TestServeOperatorSettings(t *testing.T) {
	_, errOut, err := runCmd(t, "serve", "--data", t.TempDir(), "--contact-email", "kontakt at stadt")
	if !errors.Is(err, errUsage) || !strings.Contains(errOut, "--contact-email") {
		t.Errorf("bad contact address: %v\n%s", err, errOut)
	}
	_, errOut, err = runCmd(t, "serve", "--data", t.TempDir(), "--supervisory-authority-url", "ldi.example")
	if !errors.Is(err, errUsage) || !strings.Contains(errOut, "--supervisory-authority-url") {
		t.Errorf("bad URL: %v\n%s", err, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	_, done, stderr := startServe(t, ctx, "--data", t.TempDir())
	if !strings.Contains(stderr.String(), "the operator is not fully named") || !strings.Contains(stderr.String(), "--operator-name") {
		t.Errorf("no warning at start:\n%s", stderr)
	}
	cancel()
	<-done

	ctx, cancel = context.WithCancel(context.Background())
	base, done, stderr := startServe(t, ctx, "--data", t.TempDir(), "--demo")
	resp, err := http.Get(base + "/imprint")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	if !strings.Contains(b.String(), "Stadt Musterstadt (Demo)") || strings.Contains(b.String(), "noch nicht") ||
		strings.Contains(stderr.String(), "not fully named") {
		t.Errorf("demo imprint:\n%s", b.String())
	}
	cancel()
	<-done
}
