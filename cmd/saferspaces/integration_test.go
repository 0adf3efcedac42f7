package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// The binary as an operator runs it: serve with an LRS (flags from the environment, as a service
// would get the secret), an admin who sets up the second factor at first sign-in with a code
// computed from the page's key, and a learner whose lesson reaches the LRS.
func TestServeWithSecondFactorAndLRS(t *testing.T) {
	var mu sync.Mutex
	received := map[string]int{}
	lrs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if r.Header.Get("X-Experience-API-Version") != "1.0.3" || user != "key" || pass != "secret" || r.Method != http.MethodPost {
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		var sts []struct{ ID string }
		if err := json.NewDecoder(r.Body).Decode(&sts); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, s := range sts {
			received[s.ID]++
		}
		mu.Unlock()
		w.Write([]byte("[]"))
	}))
	defer lrs.Close()

	data := migratedData(t) // user create needs an existing platform
	link := func(args ...string) string {
		out, errOut, err := runCmd(t, append([]string{"user", "create", "--data", data}, args...)...)
		if err != nil {
			t.Fatal(err, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		u, _ := url.Parse(lines[len(lines)-1])
		return u.Path
	}
	adminLink := link("--email", "ada@stadt.example", "--name", "Ada Admin", "--role", "admin")
	learnerLink := link("--email", "lea@stadt.example", "--name", "Lea Lernt")

	env := map[string]string{"SAFERSPACES_XAPI_ENDPOINT": lrs.URL + "/xapi", "SAFERSPACES_XAPI_USERNAME": "key",
		"SAFERSPACES_XAPI_PASSWORD": "secret"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done, stderr := startServeEnv(t, ctx, func(k string) string { return env[k] }, "--data", data)

	browser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	post := func(c *http.Client, path string, form url.Values) (*http.Response, string) {
		resp, err := c.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	get := func(c *http.Client, path string) (*http.Response, string) {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	pw := url.Values{"password": {"Ein langes Passwort für Tests"}, "password_confirm": {"Ein langes Passwort für Tests"}}

	// The admin: activation, then the second factor before anything else.
	admin := browser()
	if resp, _ := post(admin, adminLink, pw); resp.Header.Get("Location") != "/login/enrol" {
		t.Fatalf("admin after activation → %q", resp.Header.Get("Location"))
	}
	_, page := get(admin, "/login/enrol")
	m := regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no key on the enrolment page:\n%s", page)
	}
	code, err := totp.GenerateCode(m[1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := post(admin, "/login/enrol", url.Values{"code": {code}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "recovery-codes") {
		t.Fatalf("confirm the second factor: %d", resp.StatusCode)
	}
	// Signed in: the gate now asks for the declaration (not for a sign-in), then the page opens.
	if resp, _ := get(admin, "/admin/xapi"); !strings.HasPrefix(resp.Header.Get("Location"), "/declaration") {
		t.Fatalf("admin page after the second factor: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, decl := get(admin, "/declaration")
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(decl)
	if version == nil {
		t.Fatalf("no declaration form:\n%s", decl)
	}
	post(admin, "/declaration", url.Values{"accept": {"yes"}, "version": {version[1]}, "next": {"/"}})
	if resp, body := get(admin, "/admin/xapi"); resp.StatusCode != http.StatusOK || !strings.Contains(body, lrs.URL+"/xapi") {
		t.Fatalf("the queue page: %d", resp.StatusCode)
	}

	// The learner: no code; a lesson becomes two statements at the LRS.
	learner := browser()
	if resp, _ := post(learner, learnerLink, pw); resp.Header.Get("Location") != "/" {
		t.Fatalf("learner after activation → %q", resp.Header.Get("Location"))
	}
	if resp, _ := post(learner, "/declaration", url.Values{"accept": {"yes"}, "version": {version[1]}, "next": {"/"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("declaration: %d", resp.StatusCode)
	}
	if resp, _ := post(learner, "/modules/public-spaces/lessons/soft-targets/complete", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete a lesson: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the LRS received %d statements, want 2\n%s", n, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "learning records are sent to an LRS") || strings.Contains(stderr.String(), "secret") {
		t.Errorf("log of serve: LRS not named, or a secret in it:\n%s", stderr)
	}
}
