package web_test

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"saferspaces/internal/account"
)

// access is what a caller may expect from a route.
type access int

const (
	open   access = iota // served (any status but 403, a redirect to sign-in or a 5xx)
	login                // GET: 303 to /login?next=…; POST: the sign-in page (or a redirect to it), never 403
	denied               // 403
)

// who are the callers every route is tried with.
var who = []string{"anonymous", "pending", "learner", "trainer", "admin"}

// rule gives the expected access per caller, in the order of who.
type rule [5]access

var (
	public    = rule{open, open, open, open, open}
	signedIn  = rule{login, login, open, open, open}
	trainers  = rule{login, login, denied, open, open}
	adminOnly = rule{login, login, denied, denied, open}
)

// authz is the access table for every route in routes.go; a route missing here fails the test.
var authz = map[string]rule{
	"GET /healthz":   public,
	"GET /readyz":    public,
	"GET /static/":   public,
	"POST /lang":     public,
	"GET /{$}":       public,
	"GET /login":     public,
	"POST /login":    public,
	"POST /logout":   public,
	"GET /register":  public,
	"POST /register": public,

	"GET /register/done":              public,
	"GET /activate/{token}":           public,
	"POST /activate/{token}":          public,
	"GET /password/forgot":            public,
	"POST /password/forgot":           public,
	"GET /password/reset/{token}":     public,
	"POST /password/reset/{token}":    public,
	"GET /certificates/{code}":        public,
	"GET /certificates/{code}/qr.png": public,
	"GET /certificates/{code}/pdf":    public,
	"GET /imprint":                    public,
	"GET /privacy":                    public,
	"GET /accessibility":              public,
	"POST /accessibility/feedback":    public,
	"GET /accessibility/feedback":     public,
	"GET /activation/new":             public,
	"POST /activation/new":            public,

	// The steps between password and signed-in session: they answer callers without a
	// half-session with a redirect to /login?restart=1 (signed-in callers to /), never a 403.
	"GET /login/code":                            public,
	"POST /login/code":                           public,
	"GET /login/enrol":                           public,
	"POST /login/enrol":                          public,
	"GET /login/enrol/qr.png":                    public,
	"GET /account/second-factor":                 signedIn,
	"GET /account/second-factor/qr.png":          signedIn,
	"POST /account/second-factor/enrol":          signedIn,
	"POST /account/second-factor/confirm":        signedIn,
	"POST /account/second-factor/cancel":         signedIn,
	"POST /account/second-factor/recovery":       signedIn,
	"POST /account/second-factor/disable":        signedIn,
	"POST /admin/users/{id}/second-factor/reset": adminOnly,

	// Single sign-on: without a provider these answer 404; the callback and the SSO declaration
	// send callers without a flow back to /login?… or /login.
	"POST /login/sso":         public,
	"GET /login/sso/callback": public,
	"GET /register/sso":       public,
	"POST /register/sso":      public,
	"GET /admin/sso":          adminOnly,
	"POST /admin/sso":         adminOnly,

	"GET /account":                                     signedIn,
	"POST /account/password":                           signedIn,
	"POST /account/language":                           signedIn,
	"POST /account/sessions/revoke":                    signedIn,
	"GET /account/export.json":                         signedIn,
	"POST /account/reminders":                          signedIn,
	"GET /declaration":                                 signedIn,
	"POST /declaration":                                signedIn,
	"GET /modules/{module}":                            signedIn,
	"GET /modules/{module}/lessons/{lesson}":           signedIn,
	"POST /modules/{module}/lessons/{lesson}/complete": signedIn,
	"GET /modules/{module}/check":                      signedIn,
	"POST /modules/{module}/check":                     signedIn,
	"GET /modules/{module}/check/attempts/{id}":        signedIn,
	"GET /certificates":                                signedIn,
	"GET /modules/{module}/media/{file}":               signedIn,
	"GET /glossary":                                    signedIn,
	"GET /cases":                                       signedIn,
	"GET /cases/{case}":                                signedIn,
	"GET /tools":                                       signedIn,
	"GET /tools/{tool}":                                signedIn,

	"GET /trainer":                           trainers,
	"GET /trainer/cohorts/{id}":              trainers,
	"GET /trainer/cohorts/{id}/progress.csv": trainers,

	"GET /trainer/cohorts/{id}/progress.xlsx":         trainers,
	"GET /trainer/cohorts/{id}/learners/{user}":       trainers,
	"GET /trainer/cohorts/{id}/questions":             trainers,
	"POST /trainer/cohorts/{id}/remind":               trainers,
	"POST /trainer/cohorts/{id}/message":              trainers,
	"GET /trainer/coverage":                           trainers,
	"GET /trainer/registrations":                      trainers,
	"POST /trainer/registrations/{id}/approve":        trainers,
	"POST /admin/registrations/approve":               adminOnly,
	"GET /admin/users/import":                         adminOnly,
	"POST /admin/users/import":                        adminOnly,
	"POST /admin/users/import/apply":                  adminOnly,
	"GET /admin/cohorts/{id}":                         adminOnly,
	"POST /admin/cohorts/{id}":                        adminOnly,
	"POST /admin/cohorts/{id}/archive":                adminOnly,
	"POST /admin/cohorts/{id}/restore":                adminOnly,
	"POST /admin/cohorts/{id}/trainers/{user}/remove": adminOnly,
	"POST /admin/cohorts/{id}/members":                adminOnly,
	"POST /admin/cohorts/{id}/members/{user}/remove":  adminOnly,

	"GET /admin":                             adminOnly,
	"GET /admin/registrations":               adminOnly,
	"POST /admin/registrations/{id}/approve": adminOnly,
	"POST /admin/registrations/{id}/reject":  adminOnly,
	"GET /admin/users":                       adminOnly,
	"GET /admin/users/{id}":                  adminOnly,
	"POST /admin/users/{id}/role":            adminOnly,
	"POST /admin/users/{id}/disable":         adminOnly,
	"POST /admin/users/{id}/enable":          adminOnly,
	"POST /admin/users/{id}/resend":          adminOnly,
	"POST /admin/users/{id}/erase":           adminOnly,
	"POST /admin/users/{id}/cohort":          adminOnly,
	"GET /admin/cohorts":                     adminOnly,
	"POST /admin/cohorts":                    adminOnly,
	"POST /admin/cohorts/{id}/trainers":      adminOnly,
	"GET /admin/declarations":                adminOnly,
	"POST /admin/declarations":               adminOnly,
	"GET /admin/audit":                       adminOnly,
	"GET /admin/mail":                        adminOnly,
	"POST /admin/mail/{id}/retry":            adminOnly,
	"GET /admin/export/xapi.jsonl":           adminOnly,
	"GET /admin/xapi":                        adminOnly,
	"POST /admin/xapi/retry":                 adminOnly,
	"GET /admin/feedback":                    adminOnly,
	"POST /admin/feedback/{id}/done":         adminOnly,
}

var routePattern = regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+ [^"]+)"`)

// routesInSource lists every pattern registered in routes.go, so a new route cannot slip past
// the table.
func routesInSource(t *testing.T) []string {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
		out = append(out, m[1])
	}
	if len(out) < 20 {
		t.Fatalf("found only %d routes in routes.go; is the pattern still right?", len(out))
	}
	return out
}

// concrete turns a pattern into a request path with sample values for the wildcards.
func concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	r := strings.NewReplacer(
		"{$}", "",
		"{token}", strings.Repeat("A", 43),
		"{id}", "999999",
		"{user}", "999998",
		"{module}", "risk-assessment",
		"{lesson}", "identify",
		"{code}", "AAAA-BBBB-CCCC",
		"{file}", "risk-matrix.svg",
		"{case}", "breitscheidplatz-2016",
		"{tool}", "risk-matrix",
	)
	path = r.Replace(path)
	if path == "/static/" {
		path = "/static/css/app.css"
	}
	return method, path
}

func TestAuthorizationTable(t *testing.T) {
	routes := routesInSource(t)
	seen := map[string]bool{}
	for _, p := range routes {
		seen[p] = true
		if _, ok := authz[p]; !ok {
			t.Errorf("route %q is not in the authorization table", p)
		}
	}
	for p := range authz {
		if !seen[p] {
			t.Errorf("table has %q, which routes.go does not register", p)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	h := newHarness(t)
	users := map[string]*testUser{
		"learner": h.user(account.RoleLearner),
		"trainer": h.user(account.RoleTrainer),
		"admin":   h.user(account.RoleAdmin),
		// An account that was approved and signed in, then put back to pending: its session must
		// no longer open anything behind the gate.
		"pending": h.user(account.RoleLearner),
	}
	// Signed-in browsers for GET routes; POST routes get a fresh sign-in each, since some of them
	// (logout, sign out everywhere) end the session.
	browsers := map[string]*browser{"anonymous": h.browser()}
	signIn := func(role string) *browser {
		b := h.browser()
		if u := users[role]; u != nil {
			if role == "pending" {
				h.exec(`UPDATE users SET status = 'approved' WHERE id = ?`, u.ID)
			}
			b.signIn(u.Email, u.Password)
			if role == "pending" {
				h.exec(`UPDATE users SET status = 'pending' WHERE id = ?`, u.ID)
			}
		}
		return b
	}
	for _, role := range who[1:] {
		browsers[role] = signIn(role)
	}

	// GET routes first: POSTs such as "sign out everywhere" end every session of their user,
	// including the shared GET browsers'.
	slices.SortStableFunc(routes, func(a, b string) int {
		post := func(p string) int {
			if strings.HasPrefix(p, "POST") {
				return 1
			}
			return 0
		}
		return cmp.Compare(post(a), post(b))
	})
	for _, pattern := range routes {
		method, path := concrete(pattern)
		for i, role := range who {
			want := authz[pattern][i]
			b := browsers[role]
			var p *page
			if method == http.MethodPost {
				b = signIn(role)
				p = b.post(path, url.Values{})
			} else {
				p = b.get(path)
			}
			// Sign-out routes also end on /login, but with their own query; the gate sends
			// callers to /login?next=….
			toLogin := p.Status == http.StatusSeeOther && (p.Location() == "/login" || strings.HasPrefix(p.Location(), "/login?next="))
			// A POST without a session is answered with the sign-in page itself (resume.go).
			signInPage := method == http.MethodPost && p.Status == http.StatusOK && strings.Contains(p.Body, `<form method="post" action="/login"`)
			var ok bool
			switch want {
			case open:
				ok = p.Status < 500 && p.Status != http.StatusForbidden && !toLogin && !signInPage
			case login:
				if method == http.MethodGet {
					ok = toLogin
				} else {
					ok = signInPage || toLogin
				}
			case denied:
				ok = p.Status == http.StatusForbidden
			}
			if !ok {
				t.Errorf("%s %s as %s: status %d (Location %q), want %s", method, path, role, p.Status, p.Location(), []string{"served", "sign-in", "403"}[want])
			}
		}
	}
}

// Static files are served, folders are not listed.
func TestStaticHasNoDirectoryListing(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	for _, p := range []string{"/static/", "/static/css/", "/static/vendor/kern/", "/static/vendor/kern/fonts/", "/static/vendor/pico/pico.min.css"} {
		if got := b.get(p); got.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, got.Status)
		}
	}
	if got := b.get("/static/css/app.css"); got.Status != http.StatusOK {
		t.Errorf("GET /static/css/app.css: %d", got.Status)
	}
}

// Every url() in the stylesheets of a page names a file the server has, under a content-hash URL
// on our own origin: KERN's fonts load from here (no font CDN), and KERN's icons, which
// kern.min.css carries as data: URIs (the CSP blocks data: images), are served as files.
func TestStylesheetURLsResolve(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	home := b.get("/")
	sheets := regexp.MustCompile(`href="(/static/[^"]+\.css[^"]*)"`).FindAllStringSubmatch(home.Body, -1)
	if len(sheets) < 3 {
		t.Fatalf("found %d stylesheets on the start page, want KERN's, its fonts' and ours", len(sheets))
	}
	urls := regexp.MustCompile(`url\(\s*"?([^")]+)"?\s*\)`)
	var fonts, icons, checked int
	for _, s := range sheets {
		if !strings.Contains(s[1], "?v=") {
			t.Errorf("stylesheet %s has no content-hash URL", s[1])
		}
		p := b.get(strings.ReplaceAll(s[1], "&amp;", "&"))
		if p.Status != http.StatusOK {
			t.Fatalf("%s: %d", s[1], p.Status)
		}
		for _, m := range urls.FindAllStringSubmatch(p.Body, -1) {
			u := m[1]
			checked++
			if !strings.HasPrefix(u, "/static/") || !strings.Contains(u, "?v=") {
				t.Errorf("%s: url(%.60s) is not a content-hash URL of a static file", s[1], u)
				continue
			}
			r := b.get(u)
			if r.Status != http.StatusOK {
				t.Errorf("%s: url(%s) answers %d", s[1], u, r.Status)
				continue
			}
			if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
				t.Errorf("%s: Cache-Control %q", u, cc)
			}
			switch {
			case strings.Contains(u, ".woff2"):
				fonts++
				if ct := r.Header.Get("Content-Type"); ct != "font/woff2" {
					t.Errorf("%s: Content-Type %q", u, ct)
				}
			case strings.Contains(u, "/icons/") && strings.HasSuffix(strings.SplitN(u, "?", 2)[0], ".svg"):
				icons++
				if !strings.HasPrefix(r.Body, "<svg") {
					t.Errorf("%s is not an SVG: %.40q", u, r.Body)
				}
			}
		}
	}
	if fonts < 4 || icons < 20 || checked < fonts+icons {
		t.Errorf("checked %d url()s: %d fonts, %d icons", checked, fonts, icons)
	}
}

// Stylesheets and SVGs travel gzip-compressed to a client that accepts it, and plain to one that
// does not; fonts (woff2 is compressed already) are sent as they are.
func TestStaticFilesAreCompressed(t *testing.T) {
	h := newHarness(t)
	home := h.browser().get("/")
	kern := regexp.MustCompile(`href="(/static/vendor/kern/kern\.min\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home.Body)
	if kern == nil {
		t.Fatalf("no KERN stylesheet on the start page")
	}
	get := func(u, enc string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, u, nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		return rec.Result()
	}
	zipped := get(kern[1], "gzip, deflate, br")
	body, _ := io.ReadAll(zipped.Body)
	if zipped.StatusCode != http.StatusOK || zipped.Header.Get("Content-Encoding") != "gzip" || zipped.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("kern.min.css with gzip: %d, encoding %q, vary %q", zipped.StatusCode, zipped.Header.Get("Content-Encoding"), zipped.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	plain := get(kern[1], "")
	plainBody, _ := io.ReadAll(plain.Body)
	if plain.Header.Get("Content-Encoding") != "" || !bytes.Equal(plainBody, unzipped) {
		t.Errorf("plain and gzip bodies differ (%d, %d bytes)", len(plainBody), len(unzipped))
	}
	if len(body)*4 > len(plainBody) {
		t.Errorf("kern.min.css: %d bytes compressed of %d", len(body), len(plainBody))
	}
	if !bytes.Contains(plainBody, []byte(".kern-btn")) || bytes.Contains(plainBody, []byte("url(\"data:")) {
		t.Errorf("kern.min.css is not KERN with its icons as files")
	}
	if r := get(kern[1], "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 answered with %q", r.Header.Get("Content-Encoding"))
	}
	font := get("/static/vendor/kern/fonts/fira-sans/FiraSans-Regular.woff2", "gzip")
	if font.StatusCode != http.StatusOK || font.Header.Get("Content-Encoding") != "" {
		t.Errorf("font: %d, encoding %q", font.StatusCode, font.Header.Get("Content-Encoding"))
	}
}

// An oversized body is refused before any handler reads it, with a page in the layout.
func TestOversizedBodyIsRefused(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	big := url.Values{"name": {strings.Repeat("x", 2<<20)}, "email": {"a@stadt.example"}}
	p := b.post("/register", big)
	if p.Status != http.StatusRequestEntityTooLarge || !strings.Contains(p.Body, "Anfrage zu groß") {
		t.Errorf("2 MiB form: %d\n%.300s", p.Status, p.Body)
	}
	if n := h.count(`SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users after an oversized registration", n)
	}
	if p := b.get("/healthz"); p.Status != http.StatusOK {
		t.Errorf("healthz after the oversized request: %d", p.Status)
	}
}
