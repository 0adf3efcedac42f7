package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"saferspaces/internal/testkit"
)

func noEnv(string) string { return "" }

// migratedData is a data folder with a migrated database, as after `saferspaces migrate`: every
// command but serve and migrate needs one.
func migratedData(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"migrate", "--data", data}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	return data
}

// startServe runs `serve` on port 0 in the background and returns its base URL and a channel
// with run's result.
func startServe(t *testing.T, ctx context.Context, args ...string) (string, <-chan error, *testkit.SyncBuffer) {
	t.Helper()
	base, done, stderr, _ := startServeOut(t, ctx, noEnv, args...)
	return base, done, stderr
}

// startServeEnv is startServe with an environment.
func startServeEnv(t *testing.T, ctx context.Context, getenv func(string) string, args ...string) (string, <-chan error, *testkit.SyncBuffer) {
	t.Helper()
	base, done, stderr, _ := startServeOut(t, ctx, getenv, args...)
	return base, done, stderr
}

// startServeOut is startServeEnv that also returns what serve printed on stdout until it listened.
func startServeOut(t *testing.T, ctx context.Context, getenv func(string) string, args ...string) (string, <-chan error, *testkit.SyncBuffer, string) {
	t.Helper()
	pr, pw := io.Pipe()
	stderr := &testkit.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), getenv, pw, stderr)
		pw.Close()
		done <- err
	}()
	type started struct{ addr, out string }
	addr := make(chan started, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		var out strings.Builder
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- started{m[1], out.String()}
			}
		}
	}()
	select {
	case a := <-addr:
		return a.addr, done, stderr, a.out
	case err := <-done:
		t.Fatalf("serve ended before listening: %v\n%s", err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start\n%s", stderr)
	}
	return "", nil, nil, ""
}

func TestServeEndToEnd(t *testing.T) {
	data := t.TempDir()
	base, done, stderr := startServe(t, context.Background(), "--data", data)

	// healthz answers once the database is reachable.
	deadline := time.Now().Add(3 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz not 200 within 3 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := resp.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", h, got, want)
		}
	}
	if !strings.Contains(string(body), `<html lang="de">`) {
		t.Errorf("default language is not German: %.200s", body)
	}
	if strings.Contains(strings.ToLower(string(body)), "<script") {
		t.Error("page carries a script tag; the CSP forbids inline script")
	}

	// The language switch: a same-origin POST sets the cookie; the next page is English.
	req, _ := http.NewRequest("POST", base+"/lang", strings.NewReader(url.Values{"lang": {"en"}, "next": {"/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `<html lang="en">`) {
		t.Errorf("after switching, page is not English: %.200s", body)
	}
	// Accept-Language alone picks English for a new visitor.
	req, _ = http.NewRequest("GET", base+"/", nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `<html lang="en">`) {
		t.Errorf("Accept-Language en ignored")
	}
	// A cross-site POST is refused.
	req, _ = http.NewRequest("POST", base+"/lang", strings.NewReader("lang=en"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: status %d, want 403", resp.StatusCode)
	}
	// Unknown pages and methods keep the layout.
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"GET", "/no/such/page", 404}, {"DELETE", "/healthz", 405}} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), `<html lang="de">`) {
			t.Errorf("%s %s: %d, layout kept: %v", tc.method, tc.path, resp.StatusCode, strings.Contains(string(b), "<html"))
		}
	}

	// SIGTERM: run returns nil after a graceful shutdown.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", stderr)
	}
	// Session keys survive in the data folder.
	if _, err := os.Stat(filepath.Join(data, "session.keys")); err != nil {
		t.Errorf("session keys not kept: %v", err)
	}
}

func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no command", nil, nil, "Usage"},
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--nope"}, nil, "flag provided but not defined"},
		{"bad addr", []string{"serve", "--addr", "nonsense"}, nil, "--addr"},
		{"bad base url", []string{"serve", "--base-url", "ftp://x"}, nil, "--base-url"},
		{"bad env", []string{"serve"}, map[string]string{"SAFERSPACES_DEMO": "maybe"}, "SAFERSPACES_DEMO"},
		{"backup without file", []string{"backup"}, nil, "exactly one FILE"},
		{"flag after the file", []string{"backup", "out.db", "--data", "/srv/saferspaces"}, nil, `--data comes after "out.db"; flags go before the arguments`},
		{"flag= after the file", []string{"users", "import", "people.csv", "--data=/srv/x"}, nil, `--data=/srv/x comes after "people.csv"`},
		{"bad xapi endpoint", []string{"serve", "--xapi-endpoint", "lrs.example.org"}, nil, "--xapi-endpoint"},
		{"credentials in the endpoint", []string{"serve", "--xapi-endpoint", "https://u:p@lrs.example.org/xapi"}, nil, "without credentials"},
		{"xapi password alone", []string{"serve"}, map[string]string{"SAFERSPACES_XAPI_PASSWORD": "x"}, "need --xapi-endpoint"},
		{"oidc issuer without client", []string{"serve", "--oidc-issuer", "https://id.example.org"}, nil, "--oidc-client-id"},
		{"group without sub", []string{"modules"}, nil, "needs a subcommand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			err := run(t.Context(), tc.args, getenv, &out, &errOut)
			if err != errUsage {
				t.Fatalf("err = %v, want errUsage (exit 2)", err)
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("stderr %q does not contain %q", errOut.String(), tc.want)
			}
		})
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"backup", "--help"}} {
		var out, errOut bytes.Buffer
		if err := run(t.Context(), args, noEnv, &out, &errOut); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if !strings.Contains(out.String()+errOut.String(), "Usage") {
			t.Errorf("%v printed no usage", args)
		}
	}
}

func TestEnvironmentFallback(t *testing.T) {
	data := t.TempDir()
	var out, errOut bytes.Buffer
	env := map[string]string{"SAFERSPACES_DATA": data}
	if err := run(t.Context(), []string{"migrate"}, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(data, "saferspaces.db")); err != nil {
		t.Errorf("SAFERSPACES_DATA ignored: %v", err)
	}
}

func TestBackupCommand(t *testing.T) {
	data := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"migrate", "--data", data}, noEnv, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "copy.db")
	out.Reset()
	if err := run(t.Context(), []string{"backup", "--data", data, dest}, noEnv, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	db, err := sql.Open("sqlite3", dest)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check = %q, %v", res, err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM goose_db_version").Scan(&n); err != nil || n == 0 {
		t.Errorf("copy has no migrations: %d, %v", n, err)
	}
}
