package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// runMainEnv makes the test binary behave as the saferspaces command, so that a test can run the
// real program as a child process and kill it.
const runMainEnv = "SAFERSPACES_TEST_BINARY_RUNS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// registration is one POST /register the server acknowledged with its 303.
type registration struct{ email, name string }

// SIGKILL while registrations are streaming in loses none that was acknowledged: each is in the
// users table with its declaration acceptance and both e-mails in the outbox, and the database
// passes its integrity check.
func TestKillDuringRegistrationsLosesNoAcknowledgedOne(t *testing.T) {
	const (
		workers      = 8
		ackedBefore  = 500 // acknowledged registrations before the kill
		maxPerWorker = 1000
		adminEmail   = "ada.admin@stadt.example"
	)
	// Only a bound against hanging: every wait below fails with a message when it runs out.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	data := migratedData(t)

	// An approved admin, so that every registration also queues the admin notice.
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"user", "create", "--data", data, "--base-url", "http://127.0.0.1",
		"--role", "admin", "--email", adminEmail, "--name", "Ada Admin"}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("user create: %v\n%s", err, errOut.String())
	}

	base, kill := startServeProcess(t, ctx, data)

	form := registerHiddenFields(t, ctx, base)
	version := form.Get("declaration_version")
	if version == "" {
		t.Fatalf("the registration form carries no declaration_version: %v", form)
	}

	client := &http.Client{
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: workers},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var (
		killed, acked, inFlight atomic.Int64
		mu                      sync.Mutex
		ackedRegs               []registration
		problems                []string
		wg                      sync.WaitGroup
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	for w := range workers {
		wg.Go(func() {
			for i := range maxPerWorker {
				r := registration{email: fmt.Sprintf("crash-w%d-%04d@stadt.example", w, i), name: fmt.Sprintf("Crash Tester w%d-%04d", w, i)}
				v := url.Values{}
				for k, vs := range form {
					v[k] = vs
				}
				v.Set("name", r.name)
				v.Set("email", r.email)
				v.Set("organisation", "Ordnungsamt Teststadt")
				v.Set("position", "Sachbearbeitung")
				v.Set("language", "de")
				v.Set("accept", "yes")
				req, err := http.NewRequestWithContext(ctx, "POST", base+"/register", strings.NewReader(v.Encode()))
				if err != nil {
					problem("request: %v", err)
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", w, i/256, i%256))
				inFlight.Add(1)
				resp, err := client.Do(req)
				inFlight.Add(-1)
				if err != nil {
					if killed.Load() == 0 {
						problem("%s before the kill: %v", r.email, err)
					}
					return // the server is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/register/done" {
					problem("%s: status %d, Location %q; want 303 to /register/done", r.email, resp.StatusCode, resp.Header.Get("Location"))
					return
				}
				mu.Lock()
				ackedRegs = append(ackedRegs, r)
				mu.Unlock()
				acked.Add(1)
			}
		})
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	// Kill once enough registrations are acknowledged, with requests still on their way.
	for acked.Load() < ackedBefore || inFlight.Load() == 0 {
		select {
		case <-allDone:
			mu.Lock()
			t.Fatalf("the workers stopped after %d acknowledged registrations, before the kill: %s", acked.Load(), strings.Join(problems, "; "))
		case <-ctx.Done():
			t.Fatalf("only %d of %d registrations acknowledged before the overall timeout", acked.Load(), ackedBefore)
		case <-time.After(time.Millisecond):
		}
	}
	killed.Store(1)
	inFlightAtKill := inFlight.Load()
	kill()
	select {
	case <-allDone:
	case <-ctx.Done():
		t.Fatal("the registration workers did not stop after the server was killed")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}

	// Reopen the data folder as the next start would.
	out.Reset()
	errOut.Reset()
	if err := run(ctx, []string{"migrate", "--data", data}, noEnv, &out, &errOut); err != nil {
		t.Fatalf("migrate after the kill: %v\n%s", err, errOut.String())
	}
	db, err := sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var integrity string
	if err := db.R.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check after the kill = %q, %v", integrity, err)
	}

	// Every learner row (acknowledged or committed just before the kill) must be complete: the
	// registration, its acceptance and its mails are one transaction.
	type stored struct {
		id          int64
		name        string
		acceptances int
	}
	users := map[string]*stored{}
	rows, err := db.R.QueryContext(ctx, `SELECT u.id, u.email, u.name,
		(SELECT count(*) FROM declaration_acceptances a WHERE a.user_id = u.id AND a.version = ?)
		FROM users u WHERE u.role = 'learner' AND u.status = 'pending'`, version)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s stored
		var email string
		if err := rows.Scan(&s.id, &email, &s.name, &s.acceptances); err != nil {
			t.Fatal(err)
		}
		users[email] = &s
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	received, notices := map[string]int{}, map[string]int{}
	rows, err = db.R.QueryContext(ctx, `SELECT kind, to_addr, subject FROM mail_outbox`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var kind, to, subject string
		if err := rows.Scan(&kind, &to, &subject); err != nil {
			t.Fatal(err)
		}
		switch {
		case kind == "registration_received":
			received[to]++
		case kind == "registration_new" && to == adminEmail:
			// The subject names the applicant: "…: Neue Registrierung von Crash Tester w3-0042".
			if i := strings.LastIndex(subject, "Crash Tester "); i >= 0 {
				notices[subject[i:]]++
			}
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}

	t.Logf("SIGKILL after %d acknowledged registrations with %d requests in flight; %d applicants stored",
		len(ackedRegs), inFlightAtKill, len(users))
	if len(users) < len(ackedRegs) {
		t.Errorf("%d applicants stored, but %d registrations were acknowledged", len(users), len(ackedRegs))
	}
	lost := 0
	for _, r := range ackedRegs {
		if users[r.email] == nil {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged registration %s is not in the users table", r.email)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged registrations lost", lost, len(ackedRegs))
	}
	incomplete := 0
	for email, u := range users {
		if u.acceptances != 1 || received[email] != 1 || notices[u.name] != 1 {
			incomplete++
			if incomplete <= 10 {
				t.Errorf("%s: %d declaration acceptances of version %s, %d \"received\" mails, %d admin notices; want 1 each",
					email, u.acceptances, version, received[email], notices[u.name])
			}
		}
	}
	if incomplete > 0 {
		t.Errorf("%d of %d stored registrations incomplete", incomplete, len(users))
	}
}

// startServeProcess starts `saferspaces serve` on a free port as a child process and returns its
// base URL and a function that SIGKILLs it and waits for it to end.
func startServeProcess(t *testing.T, ctx context.Context, data string) (base string, kill func()) {
	t.Helper()
	// The load comes from one test process: each request names its own client through the
	// trusted proxy header, and the hourly mail cap is lifted, so the abuse limits (tested in
	// internal/web) stay out of the way of this test's point.
	cmd := exec.CommandContext(ctx, os.Args[0], "serve", "--addr", "127.0.0.1:0", "--data", data,
		"--trusted-proxies", "127.0.0.1,::1", "--mail-hourly-cap", "1000000")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SAFERSPACES_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, runMainEnv+"=1")
	pr, pw := io.Pipe()
	stderr := &testkit.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = pw, stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		exited <- err
	}()
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (http://\S+)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr) // keep draining, so the child never blocks on its output
	}()
	var once sync.Once
	kill = func() {
		once.Do(func() {
			if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("kill serve: %v", err)
			}
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				t.Errorf("serve did not end within 30 s of SIGKILL")
			}
		})
	}
	t.Cleanup(kill)
	select {
	case base = <-addr:
		return base, kill
	case err := <-exited:
		t.Fatalf("serve ended before listening: %v\n%s", err, stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not print its address within 60 s\n%s", stderr)
	}
	return "", nil
}

// registerHiddenFields fetches the registration form and returns its hidden inputs.
func registerHiddenFields(t *testing.T, ctx context.Context, base string) url.Values {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/register", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /register: %d, %v", resp.StatusCode, err)
	}
	hidden := url.Values{}
	attr := func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", false
		}
		return html.UnescapeString(m[1]), true
	}
	for _, tag := range regexp.MustCompile(`<input\b[^>]*>`).FindAllString(string(body), -1) {
		if typ, _ := attr(tag, "type"); typ != "hidden" {
			continue
		}
		if name, ok := attr(tag, "name"); ok {
			value, _ := attr(tag, "value")
			hidden.Add(name, value)
		}
	}
	return hidden
}
