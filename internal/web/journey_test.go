package web_test

// The browser journey (issue 9): a learner signs in, opens the dashboard and a lesson, marks it
// done, fails the self-check, reads the failed-attempt page, passes, goes on to the next module and
// opens the certificate — at 1,280 and 390 px, in German and English, light and dark, and once each
// in French and Italian. Every step must be clean for axe-core (no violation of any impact), keep
// every table's content reachable, log no console error and get no 4xx/5xx answer for any request
// (page, stylesheet, font, icon). With screenshots asked for (shotDir) every step is saved as
// NN-step-WIDTH-LANG-THEME.png.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/content"
	"saferspaces/internal/paths"
	"saferspaces/modules"
)

// colourRules are axe-core's rules whose outcome depends on colours.
var colourRules = []string{"color-contrast", "link-in-text-block"}

// trouble collects what the tab reports between two steps: console errors, uncaught exceptions,
// and requests answered with 4xx or 5xx.
type trouble struct {
	mu   sync.Mutex
	seen []string
}

func (tr *trouble) add(s string) {
	tr.mu.Lock()
	tr.seen = append(tr.seen, s)
	tr.mu.Unlock()
}

// take returns what was collected and starts afresh.
func (tr *trouble) take() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	s := tr.seen
	tr.seen = nil
	return s
}

// listen makes the tab report console errors, exceptions and 4xx/5xx answers into tr.
func (c *chrome) listen(t *testing.T, tr *trouble) {
	t.Helper()
	err := chromedp.Listen(c.ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				tr.add("console error: " + strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			tr.add("exception: " + e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				tr.add("console: " + e.Entry.Text + " " + e.Entry.URL)
			}
		case *network.EventResponseReceived:
			if e.Response.Status >= 400 {
				tr.add(fmt.Sprintf("%d %s", e.Response.Status, strings.TrimPrefix(e.Response.URL, c.h.url)))
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	c.call(t, "enable log and network events", func(ctx context.Context) error {
		if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
		return err
	})
}

// journeyView is one of the combinations the journey runs in.
type journeyView struct {
	Width int // 1280 or 390
	Lang  string
	Dark  bool
}

// journeyRun is one walk through the journey: each step is checked in every theme of Themes (the
// colour scheme switches without reloading, so light and dark cost one walk).
type journeyRun struct {
	Width  int
	Lang   string
	Themes []bool // dark?
}

func (v journeyView) theme() string {
	if v.Dark {
		return "dark"
	}
	return "light"
}

// setView emulates the width (390 px as a phone) and the colour scheme.
func (c *chrome) setView(t *testing.T, v journeyView) {
	t.Helper()
	c.dark(t, v.Dark)
	if v.Width == 1280 {
		c.narrowView = false
		c.call(t, "reset viewport", func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			return err
		})
		return
	}
	c.narrowView = true
	c.do(t, fmt.Sprintf("%d px viewport", v.Width), chromedp.EmulateViewport(int64(v.Width), 844, chromedp.EmulateMobile))
}

// step checks the page as it is now — the strict bar of the journey — and saves its screenshot.
func (c *chrome) step(t *testing.T, tr *trouble, dir string, n int, name string, v journeyView, rules ...string) {
	t.Helper()
	r := c.inspect(t, rules...)
	label := fmt.Sprintf("%02d %s %s (%d px, %s, %s)", n, name, r.Path, v.Width, v.Lang, v.theme())
	if r.Width != v.Width || r.Dark != v.Dark {
		t.Fatalf("%s: the emulation did not take: %d px, dark %v", label, r.Width, r.Dark)
	}
	if r.Lang != v.Lang {
		t.Errorf("%s: <html lang=%q>", label, r.Lang)
	}
	for _, viol := range r.Violations {
		t.Errorf("%s: axe-core: %s (%s): %s\n      %s", label, viol.ID, viol.Impact, viol.Help, strings.Join(viol.Targets, "\n      "))
	}
	if r.Overflow > 0 {
		t.Errorf("%s: the page scrolls sideways by %d px", label, r.Overflow)
	}
	for _, cut := range r.CutTables {
		t.Errorf("%s: table %s", label, cut)
	}
	for _, p := range tr.take() {
		t.Errorf("%s: %s", label, p)
	}
	if dir != "" {
		c.saveShot(t, dir, fmt.Sprintf("%02d-%s-%d-%s-%s.png", n, name, v.Width, v.Lang, v.theme()))
	}
}

// click follows the link or button sel and fails unless the page it leads to answers 200.
func (c *chrome) click(t *testing.T, sel string) {
	t.Helper()
	c.submit(t, sel, 200)
}

// printedLesson checks the lesson's print stylesheet: the lesson alone — no header, footer,
// navigation or buttons — and links that print their address.
func printedLesson(t *testing.T, c *chrome) {
	t.Helper()
	media := func(m string) {
		c.call(t, "emulate media "+m, func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	media("print")
	defer media("")
	shown := eval[[]string](t, c, `['.site-header', '.site-footer', '.breadcrumb', '.pager', '.lesson-nav', '.lesson footer button']
		.filter(s => document.querySelector(s) && getComputedStyle(document.querySelector(s)).display !== 'none')`)
	if len(shown) > 0 {
		t.Errorf("a printed lesson still shows %v", shown)
	}
	link := eval[string](t, c, `(() => { const a = document.querySelector('.lesson-body a[href^="/"]');
		return a ? getComputedStyle(a, '::after').content : 'no link'; })()`)
	if !strings.Contains(link, "/") {
		t.Errorf("a printed lesson's link does not print its address: ::after %s", link)
	}
}

func TestBrowserJourney(t *testing.T) {
	chromium, axe := browserTools(t)
	began := time.Now()
	h := newHarness(t, withOperator())
	cat, err := content.Load(modules.FS)
	if err != nil {
		t.Fatal(err)
	}
	first, second := cat.Modules[0], cat.Modules[1]
	cohort, err := h.acc.CreateCohort(t.Context(), audit.CLI, "Innenstadt 2026", "INNEN26")
	if err != nil {
		t.Fatal(err)
	}
	c := startChrome(t, h, chromium, axe)
	dir := shotDir(t) // one folder for every step of every view
	tr := &trouble{}
	c.listen(t, tr)

	both := []bool{false, true}
	runs := []journeyRun{
		{1280, "de", both}, {390, "de", both}, {1280, "en", both}, {390, "en", both},
		{390, "fr", []bool{false}}, {1280, "it", []bool{true}},
	}
	for i, run := range runs {
		t.Run(fmt.Sprintf("%d-%s", run.Width, run.Lang), func(t *testing.T) {
			learner := h.userWith(userSpec{Name: fmt.Sprintf("Lena Lernend %d", i+1), Lang: run.Lang, Cohort: cohort.Name})
			c.signOut(t)
			c.setView(t, journeyView{run.Width, run.Lang, false})
			tr.take()
			// step checks the page in each theme; the page is left in the first one.
			step := func(n int, name string) {
				t.Helper()
				for k, dark := range run.Themes {
					v := journeyView{run.Width, run.Lang, dark}
					c.dark(t, dark)
					if k == 0 {
						c.step(t, tr, dir, n, name, v)
					} else {
						// the same markup in the other scheme: the rules that depend on colour
						c.step(t, tr, dir, n, name, v, colourRules...)
					}
				}
				c.dark(t, run.Themes[0])
			}

			c.setLangCookie(t, run.Lang)
			c.open(t, "/login", 200)
			step(1, "sign-in")
			c.fill(t, "#f-email", learner.Email)
			c.fill(t, "#f-password", learner.Password)
			c.click(t, "main form[action='/login'] button[type=submit]")
			if p := c.path(t); p != "/" {
				t.Fatalf("signed in, the learner lands on %s", p)
			}
			step(2, "dashboard")

			// The first card's one action starts the first module.
			c.click(t, ".module-grid li:first-child .card-action a[role=button]")
			if p := c.path(t); p != paths.Lesson(first.ID, first.Lessons[0].ID) {
				t.Fatalf("the first card's action leads to %s", p)
			}
			step(3, "lesson")
			if run.Width == 1280 && run.Lang == "de" {
				printedLesson(t, c)
			}
			c.click(t, "main form[action$='/complete'] button[type=submit]")
			step(4, "lesson-marked-done")
			for _, l := range first.Lessons[1:] {
				c.open(t, paths.Lesson(first.ID, l.ID), 200)
				c.click(t, "main form[action$='/complete'] button[type=submit]")
			}
			step(5, "module")

			c.open(t, "/modules/"+first.ID+"/check", 200)
			tick(t, c, first, false)
			c.click(t, "form.check button[type=submit]")
			step(6, "check-failed")

			c.open(t, "/modules/"+first.ID+"/check", 200)
			tick(t, c, first, true)
			c.click(t, "form.check button[type=submit]")
			step(7, "check-passed")

			// After passing, the way on is the next module.
			c.click(t, ".next-step a[role=button]")
			if p := c.path(t); !strings.HasPrefix(p, "/modules/"+second.ID) {
				t.Errorf("after passing, the next step leads to %s, want module %s", p, second.ID)
			}
			step(8, "next-module")

			c.open(t, "/certificates", 200)
			cert := eval[string](t, c, `(document.querySelector('main a[href^="/certificates/"]') || {}).pathname || ''`)
			if cert == "" {
				t.Fatal("no certificate after completing a module")
			}
			c.open(t, cert, 200)
			step(9, "certificate")
		})
	}

	// The trainer's matrix at 1,280 px shows every module column, light and dark; at 390 px it
	// scrolls inside its region.
	trainer := h.userWith(userSpec{Name: "Tom Trainer", Role: account.RoleTrainer, Cohort: cohort.Name})
	t.Run("matrix", func(t *testing.T) {
		c.signIn(t, trainer)
		for _, v := range []journeyView{{1280, "de", false}, {1280, "de", true}, {390, "de", false}} {
			c.setView(t, v)
			c.open(t, fmt.Sprintf("/trainer/cohorts/%d", cohort.ID), 200)
			fit := eval[[]int](t, c, `(() => {
				const box = document.querySelector('.matrix-scroll'), r = box.getBoundingClientRect();
				const cols = [...document.querySelectorAll('table.matrix th.module')];
				return [box.scrollWidth - box.clientWidth, cols.length,
					cols.filter(th => th.getBoundingClientRect().right > r.right + 0.5).length];
			})()`)
			if fit[1] != len(cat.Modules) {
				t.Errorf("matrix at %d px: %d module columns, want %d", v.Width, fit[1], len(cat.Modules))
			}
			if v.Width == 1280 && (fit[0] > 0 || fit[2] > 0) {
				t.Errorf("matrix at 1,280 px: scrolls %d px sideways, %d module columns cut off", fit[0], fit[2])
			}
			c.step(t, tr, dir, 10, "trainer-matrix", v)
		}
	})
	t.Logf("journey took %s", time.Since(began).Round(100*time.Millisecond))
}
