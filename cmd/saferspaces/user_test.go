package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/testkit"
)

func TestUserCreate(t *testing.T) {
	dir := migratedData(t)
	ctx := context.Background()
	userCreate := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"user", "create", "--data", dir, "--base-url", "https://ss.example"}, args...), noEnv, &out, &errb)
		return out.String(), errb.String(), err
	}

	out, _, err := userCreate("--email", "ada@stadt.example", "--name", "Ada Admin", "--role", "admin")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	link := lines[len(lines)-1]
	if !regexp.MustCompile(`^https://ss\.example/activate/[A-Za-z0-9_-]{43}$`).MatchString(link) {
		t.Fatalf("last line %q is not the activation link; output:\n%s", link, out)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "saferspaces.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var role, status string
	var mails int
	db.QueryRow(`SELECT role, status FROM users WHERE email = 'ada@stadt.example'`).Scan(&role, &status)
	db.QueryRow(`SELECT count(*) FROM mail_outbox WHERE kind = 'activation' AND instr(body, ?) > 0`, link).Scan(&mails)
	if role != "admin" || status != "approved" || mails != 1 {
		t.Errorf("role %q, status %q, %d activation mails with the link", role, status, mails)
	}

	if _, _, err := userCreate("--email", "ADA@stadt.example", "--name", "Ada Zwei"); err == nil || errors.Is(err, errUsage) ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("existing address: %v", err)
	}
	if _, _, err := userCreate("--email", "lea@stadt.example", "--name", "Lea", "--cohort", "Frühjahr"); err == nil ||
		!strings.Contains(err.Error(), "saferspaces cohort create") {
		t.Errorf("unknown cohort: %v", err)
	}
	for name, args := range map[string][]string{
		"bad role":      {"--email", "x@stadt.example", "--name", "X", "--role", "root"},
		"missing name":  {"--email", "x@stadt.example"},
		"missing email": {"--name", "X"},
		"bad e-mail":    {"--email", "x at stadt", "--name", "X"},
		"bad language":  {"--email", "x@stadt.example", "--name", "X", "--lang", "xx"},
		"argument":      {"--email", "x@stadt.example", "--name", "X", "extra"},
	} {
		_, stderr, err := userCreate(args...)
		if !errors.Is(err, errUsage) || stderr == "" {
			t.Errorf("%s: %v (stderr %q), want the usage error", name, err, stderr)
		}
	}

	var out2, errb bytes.Buffer
	if err := run(ctx, []string{"cohort", "create", "--data", dir, "--name", "Frühjahr"}, noEnv, &out2, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	out, _, err = userCreate("--email", "tom@stadt.example", "--name", "Tom Trainer", "--role", "trainer", "--cohort", "Frühjahr")
	if err != nil {
		t.Fatal(err)
	}
	var leads int
	db.QueryRow(`SELECT count(*) FROM cohort_trainers t JOIN users u ON u.id = t.user_id WHERE u.email = 'tom@stadt.example'`).Scan(&leads)
	if leads != 1 || !strings.Contains(out, "leads cohort") {
		t.Errorf("trainer does not lead the cohort (%d):\n%s", leads, out)
	}
}

// serveDemo runs `serve --demo` until it listens, then stops it, and returns what it printed and
// the result of signing in as the demo admin with the password it printed (if any).
func serveDemo(t *testing.T, data string) (stdout string, adminLogin int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &testkit.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", data}, noEnv, out, &testkit.SyncBuffer{})
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for listening.FindStringSubmatch(out.String()) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	base := listening.FindStringSubmatch(out.String())[1]
	if m := regexp.MustCompile(`demo admin: (\S+) password: (\S+)`).FindStringSubmatch(out.String()); m != nil {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(base+"/login", url.Values{"email": {m[1]}, "password": {m[2]}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		adminLogin = resp.StatusCode
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return out.String(), adminLogin
}

func TestServeDemoAccounts(t *testing.T) {
	data := t.TempDir()
	first, status := serveDemo(t, data)
	for _, role := range []string{"admin", "trainer", "learner"} {
		if !regexp.MustCompile(`demo ` + role + `: ` + role + `@demo\.saferspaces\.test password: [A-Za-z0-9]{16}\n`).MatchString(first) {
			t.Errorf("no password printed for the demo %s:\n%s", role, first)
		}
	}
	if status != http.StatusSeeOther {
		t.Errorf("sign-in with the printed admin password: %d", status)
	}
	second, _ := serveDemo(t, data)
	if strings.Contains(second, "password:") || strings.Count(second, "exists already") != 3 {
		t.Errorf("second start:\n%s", second)
	}
}
