package web_test

// Browser tests: the accessibility bar of the SPEC ("axe-core finds no serious or critical violation
// on any page, keyboard-only use works") as a regression test. A headless Chromium (driven with
// chromedp) signs in through the real forms of a harness server, loads every kind of page with the
// shipped content, injects axe-core and fails on every serious or critical violation; a keyboard
// test checks the skip link and that every self-check answer can be reached with Tab.
//
// Needs /usr/bin/chromium (Debian: apt-get install chromium) and axe-core's axe.min.js
// (npm install --prefix .ci axe-core@4.14.1, or SAFERSPACES_AXE_JS=/path/to/axe.min.js). Without
// them the test skips, unless SAFERSPACES_REQUIRE_BROWSER is set: then it fails, so that CI can
// never skip it silently. .ci/run installs both and sets it.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/content"
	"saferspaces/internal/feedback"
	"saferspaces/internal/paths"
	"saferspaces/modules"
)

// browserTools finds Chromium and axe.min.js, or skips (fails under CI) naming what is missing.
func browserTools(t *testing.T) (chromium, axeSource string) {
	t.Helper()
	var missing []string
	chromium = os.Getenv("SAFERSPACES_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, fmt.Sprintf("Chromium at %s (Debian/Ubuntu: apt-get install chromium; or set SAFERSPACES_CHROMIUM)", chromium))
	}
	axePath := os.Getenv("SAFERSPACES_AXE_JS")
	if axePath == "" {
		axePath = filepath.Join(repoRoot(t), ".ci", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(axePath)
	if err != nil {
		missing = append(missing, fmt.Sprintf("axe-core at %s (npm install --prefix .ci axe-core@4.14.1; or set SAFERSPACES_AXE_JS)", axePath))
	}
	if len(missing) > 0 {
		msg := "browser accessibility test needs " + strings.Join(missing, " and ")
		// .ci/run sets this after installing both, so CI can never skip silently; a plain
		// `go test ./...` on a machine with only Go and gcc skips.
		if os.Getenv("SAFERSPACES_REQUIRE_BROWSER") != "" {
			t.Fatal(msg + " — SAFERSPACES_REQUIRE_BROWSER is set, so this is a failure, not a skip (.ci/run installs both)")
		}
		t.Skip(msg)
	}
	return chromium, string(src)
}

// repoRoot is the folder with go.mod above the test's working directory.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// chrome is one headless browser tab on the harness.
type chrome struct {
	h   *harness
	ctx context.Context // the tab; the browser lives as long as it
	axe string          // source of axe.min.js
	// what the page is emulating now, for the audit's report
	darkMode, narrowView bool
	shots                int // screenshots taken, for their file names
}

// startChrome starts one headless Chromium with a fresh profile for the whole test.
func startChrome(t *testing.T, h *harness, chromium, axe string) *chrome {
	t.Helper()
	profile := t.TempDir() // made before the browser's cleanup, so removed after the browser ended
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("accept-lang", "de-DE,de"), // as a German browser: the default language
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first Run starts the browser; it gets no timeout, because that would end the browser.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	c := &chrome{h: h, ctx: ctx, axe: axe}
	// The CSP forbids inline and injected script; axe is injected, so the tab bypasses it.
	c.call(t, "bypass CSP", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true})
		return err
	})
	return c
}

// call runs f on the tab with a timeout and fails the test on an error.
func (c *chrome) call(t *testing.T, what string, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// do runs actions on the tab.
func (c *chrome) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c.call(t, what, func(ctx context.Context) error { return chromedp.Do(ctx, actions...) })
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes its value.
func eval[T any](t *testing.T, c *chrome, expr string) T {
	t.Helper()
	var v T
	c.call(t, "evaluate "+firstLine(expr), func(ctx context.Context) error {
		var err error
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
		return err
	})
	return v
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// open loads path and fails the test unless the answer has the status.
func (c *chrome) open(t *testing.T, path string, status int) {
	t.Helper()
	c.call(t, "GET "+path, func(ctx context.Context) error {
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(c.h.url+path))
		if err != nil {
			return err
		}
		if int(resp.Status) != status {
			return fmt.Errorf("status %d, want %d", resp.Status, status)
		}
		return nil
	})
}

// submit clicks the button sel, waits for the page it leads to (after redirects) and fails the
// test unless that has the status.
func (c *chrome) submit(t *testing.T, sel string, status int) {
	t.Helper()
	c.call(t, "click "+sel, func(ctx context.Context) error {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
		if err != nil {
			return err
		}
		if int(resp.Status) != status {
			return fmt.Errorf("status %d at %s, want %d", resp.Status, strings.TrimPrefix(resp.URL, c.h.url), status)
		}
		return nil
	})
}

// fill types value into the field sel, as a user would.
func (c *chrome) fill(t *testing.T, sel, value string) {
	t.Helper()
	c.do(t, "type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// path is the current page's path and query.
func (c *chrome) path(t *testing.T) string {
	t.Helper()
	return eval[string](t, c, `location.pathname + location.search`)
}

// signIn clears every cookie and signs u in through the login form.
func (c *chrome) signIn(t *testing.T, u *testUser) {
	t.Helper()
	c.signOut(t)
	c.open(t, "/login", 200)
	c.fill(t, "#f-email", u.Email)
	c.fill(t, "#f-password", u.Password)
	c.submit(t, "main form[action='/login'] button[type=submit]", 200)
	if p := c.path(t); p == "/login/code" {
		c.fill(t, "#f-code", c.h.code(u))
		c.submit(t, "main form[action='/login/code'] button[type=submit]", 200)
	}
	if p := c.path(t); strings.HasPrefix(p, "/login") {
		t.Fatalf("sign-in as %s in the browser failed (at %s)", u.Email, p)
	}
}

// reset starts a part of the test afresh: signed out, light colours, the desktop viewport.
func (c *chrome) reset(t *testing.T) {
	t.Helper()
	c.signOut(t)
	c.dark(t, false)
	c.narrow(t, false)
}

// signOut forgets every cookie (session and language).
func (c *chrome) signOut(t *testing.T) {
	t.Helper()
	c.call(t, "clear cookies", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})
}

// setLangCookie sets the cookie of the language switch, for anonymous pages.
func (c *chrome) setLangCookie(t *testing.T, lang string) {
	t.Helper()
	c.call(t, "set lang cookie", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "lang", Value: lang, URL: c.h.url + "/", Path: "/"})
		return err
	})
}

// switchLanguage presses the language switch in the header (for a signed-in user it changes the
// account's language).
func (c *chrome) switchLanguage(t *testing.T) {
	t.Helper()
	c.submit(t, "header form.langswitch button", 200)
}

// dark turns the emulated prefers-color-scheme: dark on or off.
func (c *chrome) dark(t *testing.T, on bool) {
	t.Helper()
	var features []*emulation.MediaFeature
	if on {
		features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
	} else {
		features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}
	}
	c.call(t, "emulate colour scheme", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features})
		return err
	})
	c.darkMode = on
}

// narrow turns a 360 px wide mobile viewport on or off.
func (c *chrome) narrow(t *testing.T, on bool) {
	t.Helper()
	if on {
		c.do(t, "360 px viewport", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	} else {
		c.call(t, "reset viewport", func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			return err
		})
	}
	c.narrowView = on
}

// axeReport is what the audit script returns.
type axeReport struct {
	Path, Lang string
	Overflow   int      // document width beyond the viewport, in CSS px
	Dark       bool     // prefers-color-scheme: dark matches
	Width      int      // of the viewport, in CSS px
	CutTables  []string // tables that cut off content (inspect)
	Violations []struct {
		ID, Impact, Help string
		Targets          []string
	}
}

// inspect runs axe-core with its default rules (WCAG 2.0–2.2 A and AA, best practices) on the page
// as it is, and measures the layout: how far the page scrolls sideways, and every table that cuts
// off content — wider than its box without a scroll region that a keyboard can reach.
//
// With rules, axe runs only those (e.g. the colour rules, for a page already audited in the other
// colour scheme: the markup is the same, only colours differ).
func (c *chrome) inspect(t *testing.T, rules ...string) axeReport {
	t.Helper()
	opts := `{resultTypes: ['violations']}` // every rule axe runs by default
	if len(rules) > 0 {
		opts = `{resultTypes: ['violations'], runOnly: {type: 'rule', values: ['` + strings.Join(rules, `', '`) + `']}}`
	}
	if !eval[bool](t, c, `typeof window.axe === 'object'`) {
		c.do(t, "inject axe-core", chromedp.Evaluate[chromedp.Void](c.axe))
	}
	return eval[axeReport](t, c, `(async () => {
		// Colours in a CSS transition (e.g. a hover after a click) are not the final ones.
		await Promise.race([Promise.all(document.getAnimations().map(a => a.finished.catch(() => {}))),
			new Promise(ok => setTimeout(ok, 2000))]);
		const r = await axe.run(document, `+opts+`);
		const el = document.documentElement;
		// A table may be wider than the screen only inside a region that scrolls sideways and
		// that the keyboard reaches (tabindex, or a link or field inside it).
		const cut = [];
		for (const table of document.querySelectorAll('main table')) {
			let box = table.parentElement;
			while (box && box !== document.body && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
			const name = (table.closest('[id]') || {}).id || table.className || 'table';
			if (!box || box === document.body) {
				const host = table.parentElement.getBoundingClientRect();
				if (table.getBoundingClientRect().right > Math.min(host.right, innerWidth) + 1) cut.push(name + ': wider than its box, no scroll region');
				continue;
			}
			if (box.scrollWidth > box.clientWidth + 1 && !(box.tabIndex >= 0 || box.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])'))) {
				cut.push(name + ': scrolls sideways, but the keyboard cannot reach its region');
			}
		}
		return {
			path: location.pathname + location.search,
			lang: el.lang,
			overflow: Math.max(0, el.scrollWidth - el.clientWidth),
			dark: matchMedia('(prefers-color-scheme: dark)').matches,
			width: innerWidth,
			cutTables: cut,
			violations: r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
				targets: v.nodes.map(n => n.target.map(String).join(' '))})),
		};
	})()`)
}

// audit inspects the page (inspect) and fails the test for every serious or critical violation
// and every table that cuts off content. lang is the language the page must be in. In the 360 px
// viewport the page must not scroll sideways either (WCAG 1.4.10 reflow).
func (c *chrome) audit(t *testing.T, name, lang string) {
	t.Helper()
	r := c.inspect(t)
	mode := lang
	if c.darkMode {
		mode += ", dark"
	}
	if c.narrowView {
		mode += ", 360 px"
	}
	label := fmt.Sprintf("%s %s (%s)", name, r.Path, mode)
	if r.Dark != c.darkMode || (c.narrowView != (r.Width == 360)) {
		t.Fatalf("%s: the emulation did not take: dark %v, width %d px", label, r.Dark, r.Width)
	}
	if r.Lang != lang {
		t.Errorf("%s: <html lang=%q>, want %q", label, r.Lang, lang)
	}
	var bad, other []string
	for _, v := range r.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			targets := v.Targets
			if len(targets) > 8 {
				targets = append(targets[:8:8], fmt.Sprintf("… %d more", len(v.Targets)-8))
			}
			bad = append(bad, fmt.Sprintf("  %s (%s): %s\n      %s", v.ID, v.Impact, v.Help, strings.Join(targets, "\n      ")))
		} else {
			other = append(other, fmt.Sprintf("%s(%s)", v.ID, v.Impact))
		}
	}
	if len(bad) > 0 {
		t.Errorf("axe-core: %s: %d serious or critical violations:\n%s", label, len(bad), strings.Join(bad, "\n"))
	}
	if c.narrowView && r.Overflow > 0 {
		t.Errorf("%s: the page scrolls sideways by %d px at 360 px width", label, r.Overflow)
	}
	for _, cut := range r.CutTables {
		t.Errorf("%s: table %s", label, cut)
	}
	if len(other) > 0 {
		t.Logf("%s: minor/moderate: %s", label, strings.Join(other, " "))
	}
	c.screenshot(t, label)
	t.Logf("audited %s", label)
}

// shotDir is where screenshots go so that a person can look at every page: the test's artifact
// folder (go test -run TestBrowser -artifacts -outputdir DIR), else the folder named by
// SAFERSPACES_SCREENSHOTS. Neither: "" — no screenshots (CI), which keeps the test fast.
func shotDir(t *testing.T) string {
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return t.ArtifactDir()
	}
	if d := os.Getenv("SAFERSPACES_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("SAFERSPACES_SCREENSHOTS: %v", err)
		}
		return d
	}
	return ""
}

// saveShot saves the whole page (not just the viewport) as dir/name.
func (c *chrome) saveShot(t *testing.T, dir, name string) {
	t.Helper()
	var png []byte
	c.call(t, "screenshot", func(ctx context.Context) error {
		var err error
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		return err
	})
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
	}
}

// screenshot saves the page at 1,280 px and at 390 px (or at 360 px when the test emulates a
// phone), when screenshots are asked for (shotDir).
func (c *chrome) screenshot(t *testing.T, label string) {
	t.Helper()
	dir := shotDir(t)
	if dir == "" {
		return
	}
	c.shots++
	base := fmt.Sprintf("%03d-%s", c.shots, strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(label), "-"), "-"))
	if c.narrowView {
		c.saveShot(t, dir, base+".png")
		return
	}
	c.saveShot(t, dir, base+"-1280.png")
	c.do(t, "390 px viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	c.saveShot(t, dir, base+"-390.png")
	c.call(t, "reset viewport", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	})
}

// tick answers the self-check on the page: the correct choices of every question shown, or (right
// false) a wrong choice of each, so the attempt fails.
func tick(t *testing.T, c *chrome, m *content.Module, right bool) {
	t.Helper()
	shown := eval[[]string](t, c, `[...document.querySelectorAll('form.check fieldset')].map(f => f.id.slice(2))`)
	if len(shown) != m.Check.Drawn() {
		t.Fatalf("the self-check shows %d questions, want %d", len(shown), m.Check.Drawn())
	}
	for _, id := range shown {
		q := m.Check.Question(id)
		for _, ch := range q.Choices {
			if ch.Correct == right {
				c.do(t, "tick an answer", chromedp.Click(chromedp.CSS(fmt.Sprintf("#c-%s-%s", q.ID, ch.ID))))
				if !right {
					break
				}
			}
		}
		if !right && !slices.ContainsFunc(q.Choices, func(ch *content.Choice) bool { return !ch.Correct }) {
			// every choice correct: one tick is one too few
			c.do(t, "tick an answer", chromedp.Click(chromedp.CSS(fmt.Sprintf("#c-%s-%s", q.ID, q.Choices[0].ID))))
		}
	}
}

// TestBrowserAccessibility audits every kind of page with axe-core in a real browser and checks
// keyboard use. One browser for the whole test; the pages load one after another.
func TestBrowserAccessibility(t *testing.T) {
	chromium, axe := browserTools(t)
	began := time.Now()
	h := newHarness(t, withOperator()) // the shipped modules, so real lessons are audited
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	mod := cat.Modules[0]
	modPath := "/modules/" + mod.ID

	// The people and states the pages show.
	cohort, err := h.acc.CreateCohort(t.Context(), audit.CLI, "Innenstadt 2026", "INNEN26")
	if err != nil {
		t.Fatal(err)
	}
	learner := h.userWith(userSpec{Name: "Lena Lernend", Cohort: cohort.Name})
	trainer := h.userWith(userSpec{Name: "Tom Trainer", Role: account.RoleTrainer, Cohort: cohort.Name})
	admin := h.userWith(userSpec{Name: "Ada Admin", Role: account.RoleAdmin})
	reader := h.userWith(userSpec{Name: "Rita Lesend"}) // for the reference pages, in German until she switches
	if p := h.browser().post("/register", regForm("pending.applicant@stadt.example")); p.Status != 303 {
		t.Fatalf("register an applicant: status %d", p.Status)
	}
	newcomer := h.userWith(userSpec{Name: "Nina Neu", NotActivated: true, Cohort: cohort.Name})
	if _, err := h.svc.Feedback.Submit(t.Context(), audit.Actor{}, feedback.Input{Message: "Der Kontrast ist zu schwach.\nSeite: Anmeldung", Email: "melder@example.org"}); err != nil {
		t.Fatal(err)
	}
	activation := h.lastLink(newcomer.Email, "/activate/")

	c := startChrome(t, h, chromium, axe)
	var resultPath string // a self-check result, for the English pass

	// The sign-in page itself is TestBrowserJourney's first step (de, en, fr, it; light and dark).
	t.Run("public", func(t *testing.T) {
		c.reset(t)
		failLogin := func() {
			c.open(t, "/login", 200)
			c.fill(t, "#f-email", "niemand@stadt.example")
			c.fill(t, "#f-password", "falsches Passwort 123")
			c.submit(t, "main form[action='/login'] button[type=submit]", 200)
			if !eval[bool](t, c, `!!document.querySelector('main [role=alert]')`) {
				t.Error("a failed sign-in shows no alert")
			}
		}
		for _, dark := range []bool{false, true} {
			c.dark(t, dark)
			c.open(t, "/", 200)
			c.audit(t, "start page", "de")
			failLogin()
			c.audit(t, "login failed", "de")
		}
		c.dark(t, false)

		c.open(t, "/register", 200)
		c.audit(t, "register", "de")
		c.submit(t, "main form[action='/register'] button[type=submit]", 422)
		c.audit(t, "register with errors", "de")

		c.open(t, "/password/forgot", 200)
		c.audit(t, "forgot password", "de")

		// Legal pages, the accessibility feedback form and the new activation link (issue 8).
		for _, p := range []string{"/imprint", "/privacy", "/accessibility"} {
			c.open(t, p, 200)
			c.audit(t, "legal page", "de")
		}
		c.submit(t, "main form[action='/accessibility/feedback'] button[type=submit]", 422)
		c.audit(t, "feedback with errors", "de")
		c.open(t, "/activation/new", 200)
		c.audit(t, "new activation link", "de")

		c.open(t, activation, 200)
		c.audit(t, "activation", "de")
		c.submit(t, "main form button[type=submit]", 422)
		c.audit(t, "activation with errors", "de")

		c.open(t, "/gibt-es-nicht", 404)
		c.audit(t, "404", "de")

		c.setLangCookie(t, "en")
		c.open(t, "/", 200)
		c.audit(t, "start page", "en")
		c.open(t, "/register", 200)
		c.submit(t, "main form[action='/register'] button[type=submit]", 422)
		c.audit(t, "register with errors", "en")
		c.open(t, "/privacy", 200)
		c.audit(t, "legal page", "en")
	})

	// The learner's way through (dashboard, lesson, self-check failed and passed, next module,
	// certificate) is TestBrowserJourney's, at two widths, in four languages, light and dark; here
	// the pages off that way.
	t.Run("learner", func(t *testing.T) {
		c.reset(t)
		c.signIn(t, learner)
		c.open(t, modPath+"/check", 200)
		c.submit(t, "form.check button[type=submit]", 422) // nothing ticked: not graded, the form comes back
		c.audit(t, "self-check incomplete", "de")
		if id := eval[string](t, c, `document.activeElement.className`); !strings.Contains(id, "form-errors") {
			t.Errorf("the incomplete self-check does not focus its error summary (focus on %q)", id)
		}
		for _, l := range mod.Lessons {
			c.open(t, modPath+"/lessons/"+l.ID, 200)
			c.submit(t, "main form[action$='/complete'] button[type=submit]", 200)
		}
		c.open(t, modPath+"/check", 200)
		tick(t, c, mod, true)
		c.submit(t, "form.check button[type=submit]", 200)
		resultPath = c.path(t)
		c.open(t, "/certificates", 200)
		c.audit(t, "certificates", "de")
		c.open(t, "/account", 200)
		c.audit(t, "account", "de")
		c.switchLanguage(t)
		c.open(t, modPath+"/check", 200)
		c.audit(t, "self-check", "en")
		c.open(t, resultPath, 200)
		c.audit(t, "self-check result", "en")
	})

	t.Run("library", func(t *testing.T) {
		c.reset(t)
		c.signIn(t, reader)
		// A lesson with a figure and one with a model answer, from the shipped content.
		var figure, answer string
		for _, m := range cat.Modules {
			for _, l := range m.Lessons {
				if figure == "" && strings.Contains(string(l.Body["de"]), "<figure>") {
					figure = paths.Lesson(m.ID, l.ID)
				}
				if answer == "" && strings.Contains(string(l.Body["de"]), `<details class="answer">`) {
					answer = paths.Lesson(m.ID, l.ID)
				}
			}
		}
		if figure == "" || answer == "" {
			t.Fatal("no lesson with a figure or a model answer in the shipped content")
		}
		pages := []string{figure, answer, paths.Glossary(""), paths.Cases, paths.Case(cat.Cases[0].ID), paths.Tools, paths.Tool("risk-matrix")}
		for _, p := range pages {
			c.open(t, p, 200)
			c.audit(t, "library", "de")
		}
		// The model answer opens from the keyboard and is audited open.
		c.open(t, answer, 200)
		c.do(t, "focus the model answer", chromedp.Focus(chromedp.CSS("details.answer > summary")))
		c.do(t, "Enter", chromedp.KeyEvent(kb.Enter))
		if !eval[bool](t, c, `document.querySelector('details.answer').open`) {
			t.Error("Enter on the model answer's summary does not open it")
		}
		c.audit(t, "model answer open", "de")
		c.dark(t, true)
		for _, p := range []string{figure, answer, paths.Glossary(""), paths.Tool("risk-matrix")} {
			c.open(t, p, 200)
			c.audit(t, "library", "de")
		}
		c.dark(t, false)
		c.narrow(t, true)
		for _, p := range []string{figure, paths.Glossary(""), paths.Tool("risk-matrix")} {
			c.open(t, p, 200)
			c.audit(t, "library", "de")
		}
		c.narrow(t, false)

		// Printed, a tool is the tool alone: no navigation, no buttons, its tables unclipped.
		c.open(t, paths.Tool("risk-matrix"), 200)
		c.call(t, "emulate print", func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		})
		hidden := eval[[]string](t, c, `['.site-header', '.site-footer', '.breadcrumb', '.tool-actions', '.linked-lessons']
			.filter(s => document.querySelector(s) && getComputedStyle(document.querySelector(s)).display !== 'none')`)
		if len(hidden) > 0 {
			t.Errorf("printed tool page still shows %v", hidden)
		}
		if o := eval[string](t, c, `getComputedStyle(document.querySelector('.tool-body .table-scroll')).overflowX`); o != "visible" {
			t.Errorf("printed tables scroll (overflow-x %s) instead of showing every column", o)
		}
		c.call(t, "end print", func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
			return err
		})

		c.switchLanguage(t)
		for _, p := range []string{figure, paths.Glossary(""), paths.Case(cat.Cases[0].ID), paths.Tool("risk-matrix")} {
			c.open(t, p, 200)
			c.audit(t, "library", "en")
		}
	})

	t.Run("trainer", func(t *testing.T) {
		c.reset(t)
		c.signIn(t, trainer)
		c.open(t, "/trainer", 200)
		c.audit(t, "trainer", "de")
		cohortPath := fmt.Sprintf("/trainer/cohorts/%d", cohort.ID)
		c.open(t, cohortPath, 200)
		c.audit(t, "cohort", "de")
		// At 1,280 px every module column is in view: the matrix does not scroll sideways, and
		// no header is cut off.
		fit := eval[[]int](t, c, `(() => {
			const box = document.querySelector('.matrix-scroll'), r = box.getBoundingClientRect();
			const cols = [...document.querySelectorAll('table.matrix th.module')];
			return [innerWidth, box.scrollWidth - box.clientWidth, cols.length,
				cols.filter(th => th.getBoundingClientRect().right > r.right + 0.5).length];
		})()`)
		if fit[0] != 1280 || fit[1] > 0 || fit[2] != len(cat.Modules) || fit[3] != 0 {
			t.Errorf("matrix at %d px: scrolls %d px sideways; %d module columns, %d of them cut off", fit[0], fit[1], fit[2], fit[3])
		}
		c.open(t, cohortPath+"?sort=total&dir=desc&inactive=1", 200)
		c.audit(t, "cohort, sorted and filtered", "de")
		c.narrow(t, true)
		c.open(t, cohortPath, 200)
		c.audit(t, "cohort", "de")
		c.narrow(t, false)
		for _, p := range []string{cohortPath + "?filter=inactive&q=lena", fmt.Sprintf("%s/learners/%d", cohortPath, learner.ID),
			cohortPath + "/questions", "/trainer/coverage", "/trainer/registrations"} {
			c.open(t, p, 200)
			c.audit(t, "training cycle", "de")
		}
		c.switchLanguage(t)
		c.open(t, cohortPath, 200)
		c.audit(t, "cohort", "en")
	})

	t.Run("second factor", func(t *testing.T) {
		c.reset(t)
		newTrainer := h.userWith(userSpec{Name: "Tina Neu", Role: account.RoleTrainer, NoFactor: true})
		c.open(t, "/login", 200)
		c.fill(t, "#f-email", newTrainer.Email)
		c.fill(t, "#f-password", newTrainer.Password)
		c.submit(t, "main form[action='/login'] button[type=submit]", 200)
		if p := c.path(t); p != "/login/enrol" {
			t.Fatalf("a trainer without a second factor lands on %s", p)
		}
		c.audit(t, "second factor set-up", "de")
		c.submit(t, "main form[action='/login/enrol'] button[type=submit]", 422)
		c.audit(t, "second factor set-up with errors", "de")
		e, err := h.acc.PendingEnrolment(t.Context(), newTrainer.ID)
		if err != nil {
			t.Fatal(err)
		}
		newTrainer.Secret = e.Secret
		c.fill(t, "#f-code", h.code(newTrainer))
		c.submit(t, "main form[action='/login/enrol'] button[type=submit]", 200)
		c.audit(t, "recovery codes", "de")
		c.open(t, "/account/second-factor", 200)
		c.audit(t, "second factor", "de")
		c.reset(t)
		c.open(t, "/login", 200)
		c.fill(t, "#f-email", newTrainer.Email)
		c.fill(t, "#f-password", newTrainer.Password)
		c.submit(t, "main form[action='/login'] button[type=submit]", 200)
		c.audit(t, "sign-in code", "de")
	})

	t.Run("admin", func(t *testing.T) {
		c.reset(t)
		c.signIn(t, admin)
		userPath := fmt.Sprintf("/admin/users/%d", learner.ID)
		for _, p := range []string{"/admin", "/admin/registrations", "/admin/users", userPath, "/admin/cohorts", fmt.Sprintf("/admin/cohorts/%d", cohort.ID),
			"/admin/users/import", "/admin/declarations", "/admin/audit", "/admin/mail", "/admin/xapi", "/admin/sso", "/admin/feedback"} {
			c.open(t, p, 200)
			c.audit(t, "admin", "de")
		}
		c.dark(t, true)
		for _, p := range []string{"/admin/audit", userPath} {
			c.open(t, p, 200)
			c.audit(t, "admin", "de")
		}
		c.dark(t, false)
		c.narrow(t, true)
		for _, p := range []string{"/admin", "/admin/registrations", "/admin/users", "/admin/audit"} {
			c.open(t, p, 200)
			c.audit(t, "admin", "de")
		}
		c.narrow(t, false)
		c.open(t, "/admin/registrations", 200)
		if !strings.Contains(eval[string](t, c, `document.querySelector('main').textContent`), "pending.applicant@stadt.example") {
			t.Error("the registrations page does not show the pending applicant")
		}
		c.switchLanguage(t)
		for _, p := range []string{"/admin/registrations", userPath} {
			c.open(t, p, 200)
			c.audit(t, "admin", "en")
		}
	})

	t.Run("keyboard", func(t *testing.T) {
		c.reset(t)
		c.open(t, "/", 200)
		c.do(t, "Tab", chromedp.KeyEvent(kb.Tab))
		first := eval[string](t, c, `(() => { const e = document.activeElement, r = e.getBoundingClientRect();
			return e.className + (r.width > 0 && r.top >= 0 && r.left >= 0 ? '' : ' (not visible)'); })()`)
		if first != "skip-link" {
			t.Errorf("start page: the first Tab focuses %q, want the visible skip link", first)
		} else {
			c.do(t, "Enter", chromedp.KeyEvent(kb.Enter))
			if id := eval[string](t, c, `document.activeElement.id`); id != "main" {
				t.Errorf("start page: Enter on the skip link focuses %q, want main", id)
			}
			c.do(t, "Tab", chromedp.KeyEvent(kb.Tab))
			if in := eval[bool](t, c, `!!document.activeElement.closest('main, footer')`); !in {
				t.Error("start page: the Tab after the skip link lands in the header, not after main's start")
			}
		}

		// The self-check by keyboard: every radio group is one Tab stop, every checkbox one.
		c.signIn(t, learner)
		c.open(t, modPath+"/check", 200)
		want := eval[[]string](t, c, `[...new Set([...document.querySelectorAll('form.check input')]
			.map(i => i.type === 'radio' ? 'radio group ' + i.name : i.type + ' ' + i.id))]`)
		if len(want) == 0 {
			t.Fatal("the self-check page has no answers")
		}
		reached := map[string]bool{}
		stops := 0
		for range 300 {
			c.do(t, "Tab", chromedp.KeyEvent(kb.Tab))
			stop := eval[string](t, c, `(() => {
				const e = document.activeElement;
				if (!e || e === document.body) return '';
				if (e.dataset.kbSeen) return 'again';
				e.dataset.kbSeen = '1';
				if (!e.closest('form.check') || e.tagName !== 'INPUT') return 'other';
				return e.type === 'radio' ? 'radio group ' + e.name : e.type + ' ' + e.id;
			})()`)
			if stop == "" || stop == "again" {
				break
			}
			stops++
			if stop != "other" {
				if reached[stop] {
					t.Errorf("self-check: %s is more than one Tab stop", stop)
				}
				reached[stop] = true
			}
		}
		var missing []string
		for _, w := range want {
			if !reached[w] {
				missing = append(missing, w)
			}
		}
		if len(missing) > 0 {
			t.Errorf("self-check: Tab reaches %d of %d radio groups and checkboxes; not: %s", len(want)-len(missing), len(want), strings.Join(missing, ", "))
		}
		t.Logf("self-check: %d Tab stops, %d of them the %d radio groups and checkboxes", stops, len(reached), len(want))
	})

	t.Logf("browser test took %s", time.Since(began).Round(100*time.Millisecond))
}
