package web_test

// The web test harness: the real server (every route and middleware) over a fresh SQLite file in a
// temp data folder, served by httptest, with a clock the test moves and mail captured as .eml files
// in DATA/mail. Any area's tests can use it:
//
//	h := newHarness(t)                       // server, database, clock, outbox
//	u := h.user(account.RoleLearner)         // approved, activated, declaration accepted
//	b := h.browser()                         // own cookie jar, does not follow redirects
//	b.signIn(u.Email, u.Password)            // fails the test unless it works
//	p := b.get("/account")                   // p.Status, p.Body, p.Location()
//	p = b.post("/account/language", url.Values{"language": {"en"}})
//	h.clock.Advance(31 * time.Minute)        // idle timeout, token expiry, throttling
//	link := h.lastLink(u.Email, "/password/reset/")   // from the newest mail to u
//
// Everything fails the test on unexpected errors, so test bodies stay about behaviour.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/hotp"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
	"saferspaces/internal/web"
)

// harness is one running platform.
type harness struct {
	t      testing.TB
	url    string // e.g. http://127.0.0.1:PORT, also the base URL in e-mail links
	data   string // the data folder: database, session keys, mail/
	db     *sqlite.DB
	svc    *app.Services
	acc    *account.Service
	outbox *mail.Outbox
	clock  *testkit.Clock
	logs   *testkit.SyncBuffer  // everything the server logged
	users  int                  // counter for generated e-mail addresses
	known  map[string]*testUser // the accounts made by the harness, by e-mail (lower case)
	// handler is the server's whole handler, for requests a real client cannot make (one whose
	// client has already gone away).
	handler http.Handler
	srv     *web.Server
}

// harnessOption changes the platform's parts before it is built (e.g. its configuration or content).
type harnessOption func(*app.Parts)

// newHarness starts the platform; it stops with the test.
func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, data: t.TempDir(), logs: &testkit.SyncBuffer{}, known: map[string]*testUser{},
		clock: testkit.NewClock(time.Date(2026, 5, 4, 7, 30, 0, 0, time.UTC))}
	db := testkit.OpenDBIn(t, h.data)
	h.db = db
	keys, err := web.LoadOrCreateKeys(h.data)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	h.url = "http://" + ts.Listener.Addr().String()
	cfg := config.Default()
	cfg.Data, cfg.BaseURL = h.data, h.url
	log := testkit.Logger(h.logs)
	sender := mail.NewFileSender(filepath.Join(h.data, "mail"), log)
	parts := app.Parts{Config: cfg, DB: db, Content: shippedContent(t), Log: log, Now: h.clock.Now, Sender: sender}
	for _, o := range opts {
		o(&parts)
	}
	// The mail's envelope as serve makes it: the operator's contact is the Reply-To.
	env, err := mail.NewEnvelope(mail.DefaultFrom, parts.Config.Operator.Email)
	if err != nil {
		t.Fatal(err)
	}
	sender.Env = env
	// The same wiring as serve; the mail worker does not run (tests deliver with h.deliver or read the outbox).
	h.svc = app.New(parts)
	h.acc, h.outbox = h.svc.Accounts, h.svc.Outbox
	srv, err := web.New(web.Deps{Config: parts.Config, Log: log, Now: h.clock.Now, Ready: db.Ping, Writable: func(ctx context.Context) error { return db.WriteProbe(ctx, h.clock.Now().Unix()) }, Keys: keys, Services: h.svc})
	if err != nil {
		t.Fatal(err)
	}
	h.handler, h.srv = srv.Handler(), srv
	ts.Config.Handler = h.handler
	ts.Start()
	t.Cleanup(ts.Close)
	return h
}

// testUser is an account made by the harness, with its password in clear and, for admins and
// trainers, the second factor it was given (the secret, its recovery codes and the newest time step
// whose code was used, so that sign-ins never replay a code).
type testUser struct {
	*account.User
	Password string
	Secret   string
	Recovery []string
	lastStep int64
}

// userSpec describes an account to make; empty fields get defaults.
type userSpec struct {
	Email, Name, Lang, Cohort string
	Role                      account.Role
	Password                  string         // default: a password that passes the policy
	Status                    account.Status // set after activation, e.g. account.StatusDisabled
	NotActivated              bool           // approved, but the activation link not used
	SkipDeclaration           bool           // do not accept the declaration in force
	NoFactor                  bool           // an admin or trainer without a second factor yet
}

const defaultPassword = "Kastanienallee im Oktober"

// user makes an approved, activated account of the role that has accepted the declaration.
func (h *harness) user(role account.Role) *testUser {
	h.t.Helper()
	return h.userWith(userSpec{Role: role})
}

// userWith makes an account as spec says, through the account service as the command line would.
func (h *harness) userWith(spec userSpec) *testUser {
	h.t.Helper()
	ctx := context.Background()
	h.users++
	if spec.Role == "" {
		spec.Role = account.RoleLearner
	}
	if spec.Email == "" {
		spec.Email = fmt.Sprintf("%s%d@stadt.example", spec.Role, h.users)
	}
	if spec.Name == "" {
		spec.Name = fmt.Sprintf("Test %s %d", spec.Role, h.users)
	}
	if spec.Password == "" {
		spec.Password = defaultPassword
	}
	u, link, err := h.acc.CreateAccount(ctx, audit.Actor{Email: "test"}, account.NewAccount{Email: spec.Email, Name: spec.Name, Role: spec.Role,
		Lang: spec.Lang, Cohort: spec.Cohort, Organisation: "Stadt Beispiel"})
	if err != nil {
		h.t.Fatalf("create %s: %v", spec.Email, err)
	}
	if !spec.NotActivated {
		if u, err = h.acc.Activate(ctx, link[strings.LastIndexByte(link, '/')+1:], spec.Password, "127.0.0.1", "harness"); err != nil {
			h.t.Fatalf("activate %s: %v", spec.Email, err)
		}
	}
	if !spec.SkipDeclaration {
		if d, err := h.acc.CurrentDeclaration(ctx); err == nil {
			if err := h.acc.AcceptDeclaration(ctx, u.ID, d.Version, "127.0.0.1", "harness"); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	tu := &testUser{User: u, Password: spec.Password}
	if spec.Role.NeedsSecondFactor() && !spec.NoFactor && !spec.NotActivated {
		h.enrol(tu)
	}
	if spec.Status != "" {
		h.exec(`UPDATE users SET status = ? WHERE id = ?`, spec.Status, u.ID)
		u.Status = spec.Status
	}
	h.known[strings.ToLower(u.Email)] = tu
	return tu
}

// enrol gives u a second factor through the account service, as the enrolment page would.
func (h *harness) enrol(u *testUser) {
	h.t.Helper()
	ctx := context.Background()
	e, err := h.acc.BeginEnrolment(ctx, u.ID)
	if err != nil {
		h.t.Fatalf("enrol %s: %v", u.Email, err)
	}
	u.Secret = e.Secret
	if u.Recovery, err = h.acc.ConfirmEnrolment(ctx, u.ID, h.code(u), "127.0.0.1", false); err != nil {
		h.t.Fatalf("confirm enrolment of %s: %v", u.Email, err)
	}
}

// code is a fresh TOTP code of u's second factor at the harness's time: of the earliest time step
// the server accepts (one either side of now) that no earlier code of u used. When u has used them
// all, the clock moves on by one step, as a person would wait for the next code.
func (h *harness) code(u *testUser) string {
	h.t.Helper()
	if u.Secret == "" {
		h.t.Fatalf("%s has no second factor", u.Email)
	}
	for {
		cur := h.clock.Now().Unix() / 30
		for step := cur - 1; step <= cur+1; step++ {
			if step > u.lastStep {
				u.lastStep = step
				return totpAt(h.t, u.Secret, step)
			}
		}
		h.clock.Advance(30 * time.Second)
	}
}

// totpAt is the code of a secret at a 30-second time step (RFC 6238 over RFC 4226).
func totpAt(t testing.TB, secret string, step int64) string {
	t.Helper()
	c, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: account.CodeOptions.Digits, Algorithm: account.CodeOptions.Algorithm})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exec runs a statement on the database, for setting up states no route produces quickly.
func (h *harness) exec(query string, args ...any) {
	h.t.Helper()
	if _, err := h.db.W.Exec(query, args...); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
}

// count runs a SELECT count(*) … and returns the number.
func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	return testkit.Count(h.t, h.db, query, args...)
}

// sentMail is one e-mail as the file sender wrote it.
type sentMail struct {
	To, Subject, Body string
	File              string
	Header            netmail.Header
}

// mails delivers every due mail through the file sender and returns the mails to addr (every mail
// if addr is ""), oldest first.
func (h *harness) mails(addr string) []sentMail {
	h.t.Helper()
	if _, err := h.outbox.DeliverDue(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	return h.readMails(addr)
}

// mailsNoDelivery returns every mail written so far, without delivering what is due.
func (h *harness) mailsNoDelivery() []sentMail {
	h.t.Helper()
	return h.readMails("")
}

func (h *harness) readMails(addr string) []sentMail {
	h.t.Helper()
	files, _ := filepath.Glob(filepath.Join(h.data, "mail", "*.eml"))
	id := func(f string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(f[strings.LastIndexByte(f, '-')+1:], ".eml"))
		return n
	}
	slices.SortFunc(files, func(a, b string) int { return id(a) - id(b) })
	var out []sentMail
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			h.t.Fatal(err)
		}
		msg, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			h.t.Fatalf("%s: %v", f, err)
		}
		to, err := netmail.ParseAddress(msg.Header.Get("To"))
		if err != nil {
			h.t.Fatalf("%s: To: %v", f, err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		var rd io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			rd = quotedprintable.NewReader(rd)
		}
		body, _ := io.ReadAll(rd)
		if addr == "" || strings.EqualFold(to.Address, addr) {
			out = append(out, sentMail{To: to.Address, Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n"),
				File: f, Header: msg.Header})
		}
	}
	return out
}

var linkPattern = regexp.MustCompile(`https?://\S+`)

// lastLink returns the path (with the harness's base URL cut off) of the newest link to addr whose
// path starts with prefix, e.g. "/activate/"; it fails the test if there is none.
func (h *harness) lastLink(addr, prefix string) string {
	h.t.Helper()
	ms := h.mails(addr)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, l := range linkPattern.FindAllString(ms[i].Body, -1) {
			if p, ok := strings.CutPrefix(l, h.url); ok && strings.HasPrefix(p, prefix) {
				return p
			}
		}
	}
	h.t.Fatalf("no mail to %s with a link %s…", addr, prefix)
	return ""
}

// browser is one client with its own cookies. It does not follow redirects, so tests see each
// status and Location; follow does that on request.
type browser struct {
	h      *harness
	client *http.Client
	header http.Header // sent with every request
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, header: http.Header{}, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is one response.
type page struct {
	Status int
	Header http.Header
	Body   string
}

// Location is the redirect target, "" if none.
func (p *page) Location() string { return p.Header.Get("Location") }

func (b *browser) do(method, path string, body io.Reader, header http.Header) *page {
	b.h.t.Helper()
	req, err := http.NewRequest(method, b.h.url+path, body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		// Every page any test fetches is checked for texts that did not resolve: a message
		// without its value, a catalog key shown instead of its text.
		if strings.Contains(string(data), "<no value>") || strings.Contains(string(data), "&lt;no value&gt;") {
			b.h.t.Errorf("%s %s: the page shows \"<no value>\" (a message without its value)", method, path)
		}
		if k := unresolvedKey.FindString(string(data)); k != "" {
			b.h.t.Errorf("%s %s: the page shows the catalog key %s instead of its text", method, path, k)
		}
	}
	return &page{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

// unresolvedKey is how a missing catalog entry shows: its key in brackets.
var unresolvedKey = regexp.MustCompile(`\[[a-z]+(\.[a-z0-9_]+)+\]`)

func (b *browser) get(path string) *page { b.h.t.Helper(); return b.do("GET", path, nil, nil) }

// post sends a form, as a same-site browser would (no Origin or Sec-Fetch-Site headers).
func (b *browser) post(path string, form url.Values) *page {
	b.h.t.Helper()
	return b.postWith(path, form, nil)
}

// postWith sends a form with extra headers, e.g. Sec-Fetch-Site: cross-site.
func (b *browser) postWith(path string, form url.Values, header http.Header) *page {
	b.h.t.Helper()
	hd := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, v := range header {
		hd[k] = v
	}
	return b.do("POST", path, strings.NewReader(form.Encode()), hd)
}

// follow follows p's redirects with GET until a page that is not a redirect.
func (b *browser) follow(p *page) *page {
	b.h.t.Helper()
	for i := 0; p.Status >= 300 && p.Status < 400; i++ {
		if i == 10 {
			b.h.t.Fatal("more than 10 redirects")
		}
		loc := p.Location()
		if u, err := url.Parse(loc); err == nil && u.IsAbs() {
			loc = strings.TrimPrefix(loc, b.h.url)
		}
		p = b.get(loc)
	}
	return p
}

// signIn posts the login form and, for an account with a second factor, the code form (an admin
// or trainer who has none sets one up on the way, as the enrolment page asks); it fails the test
// unless that ends signed in.
func (b *browser) signIn(email, password string) {
	b.h.t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if p.Status != http.StatusSeeOther {
		b.h.t.Fatalf("sign-in as %s: status %d\n%s", email, p.Status, p.Body)
	}
	b.secondStep(email, p)
}

// secondStep finishes a sign-in that p (the answer to the password) sent on to the second factor.
func (b *browser) secondStep(email string, p *page) *page {
	b.h.t.Helper()
	u := b.h.known[strings.ToLower(email)]
	switch p.Location() {
	case "/login/code":
		if u == nil {
			b.h.t.Fatalf("sign-in as %s asks for a code, and the harness did not make this account", email)
		}
		p = b.post("/login/code", url.Values{"code": {b.h.code(u)}})
	case "/login/enrol":
		if u == nil {
			b.h.t.Fatalf("sign-in as %s asks to set up a second factor, and the harness did not make this account", email)
		}
		e, err := b.h.acc.PendingEnrolment(context.Background(), u.ID)
		if err != nil {
			b.h.t.Fatal(err)
		}
		u.Secret, u.lastStep = e.Secret, 0
		p = b.post("/login/enrol", url.Values{"code": {b.h.code(u)}})
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "recovery-codes") {
			b.h.t.Fatalf("enrolment of %s: status %d\n%s", email, p.Status, p.Body)
		}
		return p
	default:
		return p
	}
	if p.Status != http.StatusSeeOther {
		b.h.t.Fatalf("second factor of %s: status %d\n%s", email, p.Status, p.Body)
	}
	return p
}

// cookie returns the browser's cookie of that name for the server, "" if none.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.h.url)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie into the browser's jar (e.g. a stolen or old session cookie).
func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.h.url)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}
