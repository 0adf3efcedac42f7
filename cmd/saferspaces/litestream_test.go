package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// litestreamBinary finds the litestream command (github.com/benbjohnson/litestream v0.5.x):
// SAFERSPACES_LITESTREAM, else litestream on PATH or in GOPATH/bin. Without it the test is
// skipped — unless SAFERSPACES_REQUIRE_LITESTREAM is set, as .ci/run does after installing it.
func litestreamBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SAFERSPACES_LITESTREAM"); p != "" {
		return p
	}
	if p, err := exec.LookPath("litestream"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	if p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "litestream"); strings.TrimSpace(string(gopath)) != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("SAFERSPACES_REQUIRE_LITESTREAM") != "" {
		t.Fatal("litestream not found, but SAFERSPACES_REQUIRE_LITESTREAM is set (install: go install github.com/benbjohnson/litestream/cmd/litestream@v0.5.18)")
	}
	t.Skip("litestream not installed (go install github.com/benbjohnson/litestream/cmd/litestream@v0.5.18)")
	return ""
}

// Continuous replication with Litestream, run as the separate process it is designed to be: a
// serving platform takes registrations under load while Litestream replicates its database to a
// file replica; the server is then killed (SIGKILL, as in a crash), Litestream finishes its last
// sync and stops, the replica is restored into a fresh folder, serve starts on it, and every
// registration the server acknowledged is there.
func TestLitestreamReplicaRestoresEveryAcknowledgedWrite(t *testing.T) {
	bin := litestreamBinary(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute) // a bound against hanging only
	defer cancel()
	root := t.TempDir()
	data := migratedData(t)
	replica := filepath.Join(root, "replica")
	config := filepath.Join(root, "litestream.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `dbs:
  - path: %s
    replica:
      url: file://%s
      sync-interval: 200ms
`, filepath.Join(data, sqlite.FileName), replica), 0o600); err != nil {
		t.Fatal(err)
	}

	base, killServe := startServeProcess(t, ctx, data)
	ls := exec.CommandContext(ctx, bin, "replicate", "-config", config)
	lsLog := &testkit.SyncBuffer{}
	ls.Stdout, ls.Stderr = lsLog, lsLog
	ls.Cancel = func() error { return ls.Process.Signal(syscall.SIGTERM) }
	ls.WaitDelay = 30 * time.Second
	if err := ls.Start(); err != nil {
		t.Fatal(err)
	}
	lsDone := make(chan error, 1)
	go func() { lsDone <- ls.Wait() }()
	defer func() {
		ls.Process.Signal(syscall.SIGTERM)
		select {
		case <-lsDone:
		case <-time.After(30 * time.Second):
			ls.Process.Kill()
		}
	}()

	// Write load: registrations from four clients for a few seconds.
	form := registerHiddenFields(t, ctx, base)
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var mu sync.Mutex
	var acked []string
	var failed atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(4 * time.Second)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop) && i < 2000; i++ {
				email := fmt.Sprintf("replica-w%d-%04d@stadt.example", w, i)
				v := url.Values{}
				for k, vs := range form {
					v[k] = vs
				}
				v.Set("name", fmt.Sprintf("Replica Tester %d-%d", w, i))
				v.Set("email", email)
				v.Set("organisation", "Ordnungsamt")
				v.Set("position", "Sachbearbeitung")
				v.Set("language", "de")
				v.Set("accept", "yes")
				// Each registration names its own client through the trusted proxy header, so the
				// abuse limits per address (tested in internal/web) stay out of this test's way.
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/register", strings.NewReader(v.Encode()))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", w, i/256, i%256))
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther {
					failed.Add(1)
					continue
				}
				mu.Lock()
				acked = append(acked, email)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 || len(acked) == 0 {
		t.Fatalf("%d registrations acknowledged, %d failed", len(acked), failed.Load())
	}
	// The crash: the server dies at once. What it committed is in the database file and its WAL;
	// Litestream picks it up from there and syncs it before it stops.
	killServe()
	time.Sleep(time.Second) // a few sync intervals
	ls.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-lsDone:
		if err != nil {
			t.Logf("litestream replicate ended with %v", err)
		}
	case <-ctx.Done():
		t.Fatalf("litestream did not stop\n%s", lsLog)
	}

	// Restore into a fresh folder, as on a new machine after the old disk is gone.
	fresh := filepath.Join(root, "fresh")
	if err := os.MkdirAll(fresh, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, bin, "restore", "-o", filepath.Join(fresh, sqlite.FileName), "file://"+replica).CombinedOutput()
	if err != nil {
		t.Fatalf("litestream restore: %v\n%s\nreplicate log:\n%s", err, out, lsLog)
	}

	// serve starts on the restored folder (migrations, integrity, a working platform)…
	sctx, stopServe := context.WithCancel(ctx)
	restored, done, stderr := startServe(t, sctx, "--data", fresh)
	resp, err := http.Get(restored + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("restored platform's healthz: %v %v\n%s", resp, err, stderr)
	}
	resp.Body.Close()
	stopServe()
	if err := <-done; err != nil {
		t.Fatalf("serve on the restored folder: %v\n%s", err, stderr)
	}

	// …and every acknowledged registration is in it.
	db, err := sqlite.OpenExisting(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	rows, err := db.R.QueryContext(ctx, `SELECT email FROM users WHERE email LIKE 'replica-%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e string
		rows.Scan(&e)
		have[e] = true
	}
	rows.Close()
	missing := 0
	for _, e := range acked {
		if !have[e] {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged registration %s is not in the restored database", e)
			}
		}
	}
	t.Logf("%d registrations acknowledged, %d in the restored database, %d missing", len(acked), len(have), missing)
	if missing > 0 {
		t.Errorf("%d of %d acknowledged registrations missing after restore\nreplicate log:\n%s", missing, len(acked), lsLog)
	}
}
