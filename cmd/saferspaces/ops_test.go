package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/content"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
	"saferspaces/modules"
)

// A typo in --data must not create an empty platform: every command but serve and migrate says
// "no database at …", exits non-zero and leaves nothing behind — no data folder, no backup, no
// export file.
func TestCommandsRefuseAMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo")
	csv := filepath.Join(dir, "staff.csv")
	if err := os.WriteFile(csv, []byte("Anna Beispiel;anna@stadt.example;Stadt;learner;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	export := filepath.Join(dir, "records.jsonl")
	for _, args := range [][]string{
		{"backup", "--data", typo, backup},
		{"export", "xapi", "--data", typo, export},
		{"export", "xapi", "--data", typo},
		{"users", "import", "--data", typo, csv},
		{"user", "create", "--data", typo, "--email", "a@stadt.example", "--name", "Anna Admin", "--role", "admin"},
		{"user", "reset-password", "--data", typo, "--email", "a@stadt.example"},
		{"cohort", "create", "--data", typo, "--name", "Nord"},
	} {
		var out, errOut bytes.Buffer
		err := run(t.Context(), args, noEnv, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "no database at "+filepath.Join(typo, "saferspaces.db")) {
			t.Errorf("%v: err = %v; want \"no database at …\"", args[:2], err)
		}
		if errors.Is(err, errUsage) {
			t.Errorf("%v: a usage error (exit 2) instead of a failure (exit 1)", args[:2])
		}
	}
	for _, p := range []string{typo, backup, export} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after the refused commands", p)
		}
	}
}

// serve holds a lock on its data folder: a second serve on the same folder refuses to start (two
// would run two mail workers on one outbox) and says why; after the first stops, it starts.
func TestSecondServeOnTheSameDataIsRefused(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	_, done, _ := startServe(t, ctx, "--data", data)
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", data}, noEnv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "another saferspaces serve is already running on the data folder") {
		t.Errorf("second serve: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	_, done, _ = startServe(t, ctx, "--data", data)
	cancel()
	<-done
}

// Address flags are checked at start-up, not when the first mail fails hours later.
func TestServeRefusesBadAddressFlags(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--mail-from", "noreply", "--mail-from"},
		{"--mail-from", "Platform <noreply@>", "--mail-from"},
		{"--mail-from", "noreply@localhost", "domain with a dot"},
		{"--metrics-addr", "9090", "--metrics-addr"},
		{"--log-level", "loud", "--log-level"},
	} {
		var out, errOut bytes.Buffer
		err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), c.flag, c.value}, noEnv, &out, &errOut)
		if !errors.Is(err, errUsage) || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("serve %s %q: %v, %q; want a usage error naming %s", c.flag, c.value, err, errOut.String(), c.want)
		}
	}
	var out, errOut bytes.Buffer
	env := map[string]string{"SAFERSPACES_MAIL_FROM": "Schulung <schulung@stadt.example>"}
	if err := run(t.Context(), []string{"user", "create", "--data", t.TempDir(), "--email", "x"}, func(k string) string { return env[k] }, &out, &errOut); !errors.Is(err, errUsage) {
		t.Errorf("user create with a bad --email: %v", err)
	}
}

// A bad value of these flags used to surface only after serve had created the database, the
// session keys and the lock (exit 1, no flag named). Now each is refused up front: exit 2, the
// flag and its value named (without the SMTP password), and the data folder left empty.
func TestServeRefusesBadFlagsBeforeWriting(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--smtp-url", "smtp://h:25?tls=maybe"}, `--smtp-url "smtp://h:25?tls=maybe"`},
		{[]string{"serve", "--smtp-url", "smtp://mailer:s3cret@h:25?auth=plain"}, `--smtp-url "smtp://mailer:xxxxx@h:25?auth=plain"`},
		{[]string{"serve", "--smtp-url", "smtps://h:465?tls=none"}, "--smtp-url"},
		{[]string{"serve", "--smtp-url", "smtp://h:99999"}, "--smtp-url"},
		{[]string{"serve", "--addr", "127.0.0.1:99999"}, `--addr "127.0.0.1:99999"`},
		{[]string{"serve", "--metrics-addr", "127.0.0.1:70000"}, `--metrics-addr "127.0.0.1:70000"`},
		{[]string{"serve", "--modules", "/nonexistent"}, `--modules "/nonexistent"`},
		{[]string{"cohort", "remind", "--auto", "--modules", "/nonexistent"}, `--modules "/nonexistent"`},
		{[]string{"export", "xapi", "--modules", "/nonexistent"}, `--modules "/nonexistent"`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			data := t.TempDir()
			var out, errOut bytes.Buffer
			args := append(append([]string{}, c.args...), "--data", data)
			if c.args[0] == "serve" && !slices.Contains(c.args, "--addr") {
				args = append(args, "--addr", "127.0.0.1:0")
			}
			err := run(t.Context(), args, noEnv, &out, &errOut)
			if !errors.Is(err, errUsage) {
				t.Errorf("err = %v, want errUsage (exit 2)", err)
			}
			if !strings.Contains(errOut.String(), c.want) || strings.Contains(errOut.String(), "s3cret") {
				t.Errorf("stderr %q: want %s, and no password", errOut.String(), c.want)
			}
			if left, _ := os.ReadDir(data); len(left) > 0 {
				t.Errorf("the data folder is not empty: %v", left)
			}
		})
	}
}

// The other commands print links with the URL serve stored, so an operator does not have to
// repeat --base-url; `user reset-password` prints a link that opens the form on the server.
func TestCommandsUseTheBaseURLServeStored(t *testing.T) {
	data := migratedData(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base, done, _ := startServe(t, ctx, "--data", data)
	defer func() { cancel(); <-done }()

	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(t.Context(), append(args, "--data", data), noEnv, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		if strings.Contains(errOut.String(), "no --base-url") {
			t.Errorf("%v warned about the base URL: %s", args, errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		return lines[len(lines)-1]
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	open := func(link string) int {
		t.Helper()
		resp, err := client.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	link := cli("user", "create", "--email", "ada@stadt.example", "--name", "Ada Admin", "--role", "admin")
	if !strings.HasPrefix(link, base+"/activate/") || open(link) != http.StatusOK {
		t.Fatalf("activation link %q does not open on %s", link, base)
	}
	// Not activated yet: reset-password hands out a fresh activation link instead.
	link = cli("user", "reset-password", "--email", "ada@stadt.example")
	if !strings.HasPrefix(link, base+"/activate/") || open(link) != http.StatusOK {
		t.Fatalf("reset-password before activation printed %q", link)
	}
	form := url.Values{"password": {"Kastanienallee im Oktober"}, "password_confirm": {"Kastanienallee im Oktober"}}
	resp, err := client.PostForm(link, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("activation: %d", resp.StatusCode)
	}
	link = cli("user", "reset-password", "--email", "ada@stadt.example")
	if !regexp.MustCompile(`^`+regexp.QuoteMeta(base)+`/password/reset/[A-Za-z0-9_-]{43}$`).MatchString(link) || open(link) != http.StatusOK {
		t.Fatalf("reset link %q does not open", link)
	}
	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"user", "reset-password", "--data", data, "--email", "nobody@stadt.example"}, noEnv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "no account with the e-mail address nobody@stadt.example") {
		t.Errorf("reset-password for an unknown address: %v", err)
	}
}

// bigData makes a migrated data folder whose database holds about size MiB, so a backup takes
// long enough to be interrupted.
func bigData(t *testing.T, mib int) string {
	t.Helper()
	return migratedDataWith(t, `CREATE TABLE filler(id INTEGER PRIMARY KEY, pad BLOB)`,
		fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d)
		INSERT INTO filler(pad) SELECT randomblob(1000) FROM n`, mib*1000))
}

// migratedDataWith makes a migrated data folder and runs the statements in it.
func migratedDataWith(t *testing.T, statements ...string) string {
	t.Helper()
	data := migratedData(t)
	db, err := sqlite.OpenExisting(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range statements {
		if _, err := db.W.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// saferspacesCmd runs the saferspaces command (this test binary as main) as a child process,
// through sh so that a limit can be set first.
func saferspacesCmd(t *testing.T, shellPrefix string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", shellPrefix + ` exec "$@"`, "sh", os.Args[0]}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SAFERSPACES_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, runMainEnv+"=1")
	return cmd
}

// assertNoBackupLeft checks the folder of a failed backup: no file under the backup's name, no
// temporary file, journal, -wal or -shm.
func assertNoBackupLeft(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

// A full disk during a backup (here: a file size limit of 2 MiB for a 12 MiB database, which
// makes writes fail as ENOSPC would) fails the command and leaves nothing, not a truncated copy.
func TestBackupOnAFullDiskLeavesNothing(t *testing.T) {
	data := bigData(t, 12)
	out := t.TempDir()
	cmd := saferspacesCmd(t, "ulimit -f 4096;", "backup", "--data", data, filepath.Join(out, "backup.db"))
	msg, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("backup with too little room succeeded:\n%s", msg)
	}
	if !strings.Contains(string(msg), "nothing was written") && !strings.Contains(string(msg), "backup to ") {
		t.Errorf("message: %s", msg)
	}
	assertNoBackupLeft(t, out)
}

// SIGTERM (as systemd sends on stop) or SIGINT (Ctrl-C) during a backup: the command stops, says
// nothing was written and removes its temporary file. Whichever moment the signal hits, there is
// either a complete, checked copy (the signal came after the rename) or nothing.
func TestSignalledBackupLeavesNothing(t *testing.T) {
	data := bigData(t, 40)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		out := t.TempDir()
		dest := filepath.Join(out, "backup.db")
		cmd := saferspacesCmd(t, "", "backup", "--data", data, dest)
		var msg testkit.SyncBuffer
		cmd.Stdout, cmd.Stderr = &msg, &msg
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitForTempFile(t, out)
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		if err == nil {
			t.Logf("%v: the backup had finished: %s", sig, msg.String())
			checkBackup(t, dest)
			continue
		}
		if !strings.Contains(msg.String(), "nothing was written") {
			t.Errorf("%v: %s", sig, msg.String())
		}
		assertNoBackupLeft(t, out)
	}
}

// SIGKILL cannot be handled: the temporary file stays, under its own name. Under the backup's
// name there is never anything but a complete copy.
func TestKilledBackupLeavesNoFileUnderItsName(t *testing.T) {
	data := bigData(t, 40)
	out := t.TempDir()
	dest := filepath.Join(out, "backup.db")
	cmd := saferspacesCmd(t, "", "backup", "--data", data, dest)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForTempFile(t, out)
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(dest); err == nil {
		checkBackup(t, dest)
		return
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".backup.db.tmp-") {
			t.Errorf("killed backup left %s", e.Name())
		}
	}
}

// waitForTempFile waits until the backup's temporary copy has started to grow.
func waitForTempFile(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && strings.Contains(e.Name(), ".tmp-") && info.Size() > 0 {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the backup did not start writing within 30 s")
}

func checkBackup(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("%s: integrity_check = %q, %v", path, res, err)
	}
}

// A 25,000-row users import while learners keep working: their writes wait for the import's
// short transaction instead of failing after the busy timeout, and the import is complete.
func TestBigImportDoesNotStallLearners(t *testing.T) {
	if testing.Short() {
		t.Skip("25,000 rows")
	}
	data := migratedData(t)
	ctx := t.Context()
	// The learners' side: the services of the running platform, on connections of their own.
	db, err := sqlite.OpenExisting(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.BaseURL = "https://ss.example"
	svc := app.New(app.Parts{Config: cfg, DB: db, Content: cat, Log: testkit.Logger(io.Discard)})
	if _, err := svc.Accounts.CreateCohort(ctx, audit.CLI, "Nord", ""); err != nil {
		t.Fatal(err)
	}
	var learners []int64
	for i := range 4 {
		u, _, err := svc.Accounts.CreateAccount(ctx, audit.CLI, account.NewAccount{Email: fmt.Sprintf("l%d@stadt.example", i), Name: "Lernende " + fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		learners = append(learners, u.ID)
	}
	var file bytes.Buffer
	file.WriteString("name;email;organisation;role;cohort\n")
	for i := range 25000 {
		fmt.Fprintf(&file, "Person %05d;p%05d@stadt.example;Ordnungsamt;learner;Nord\n", i, i)
	}
	csv := filepath.Join(t.TempDir(), "staff.csv")
	if err := os.WriteFile(csv, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var writes, failures atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for _, uid := range learners {
		wg.Go(func() {
			m := cat.Modules[0]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				l := m.Lessons[i%len(m.Lessons)]
				if err := svc.Learning.VisitLesson(ctx, uid, m.ID, l.ID); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				if _, err := svc.Learning.CompleteLesson(ctx, uid, m.ID, l.ID); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				writes.Add(2)
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	var out, errOut bytes.Buffer
	err = run(ctx, []string{"users", "import", "--data", data, csv}, noEnv, &out, &errOut)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "created 25000 accounts") {
		t.Errorf("import said %q", out.String())
	}
	t.Logf("%d learner writes during the import, %d failed", writes.Load(), failures.Load())
	if failures.Load() > 0 {
		t.Errorf("%d learner writes failed during the import; first: %v", failures.Load(), firstErr.Load())
	}
	if n := testkit.Count(t, db, `SELECT count(*) FROM users WHERE email LIKE 'p%@stadt.example'`); n != 25000 {
		t.Errorf("%d imported accounts in the database", n)
	}
}
