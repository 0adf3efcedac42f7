package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/web"
)

// When the database stops accepting writes (a full disk), signed-in pages that only read are
// still served: the session's last-seen time is bookkeeping, not a reason for a 500. /healthz
// stays 200 (the process lives), /readyz says 503 and why.
func TestFailedSessionTouchIsNoServerError(t *testing.T) {
	h := newHarness(t)
	admin := h.user(account.RoleAdmin)
	learner := h.user(account.RoleLearner)
	ba, bl := h.browser(), h.browser()
	ba.signIn(admin.Email, admin.Password)
	bl.signIn(learner.Email, learner.Password)
	if p := ba.get("/readyz"); p.Status != http.StatusOK || !strings.Contains(p.Body, "accepts writes") {
		t.Fatalf("readyz before: %d %q", p.Status, p.Body)
	}

	// Every write on the single writer connection now fails, as on a full disk.
	h.exec(`PRAGMA query_only = ON`)
	t.Cleanup(func() { h.db.W.Exec(`PRAGMA query_only = OFF`) })
	h.clock.Advance(2 * time.Minute) // the next request wants to move last_seen_at
	for _, c := range []struct {
		b    *browser
		path string
	}{{ba, "/admin/mail"}, {ba, "/admin/users"}, {bl, "/"}, {bl, "/account"}, {bl, "/certificates"}} {
		if p := c.b.get(c.path); p.Status != http.StatusOK {
			t.Errorf("GET %s with the disk full: %d, want 200", c.path, p.Status)
		}
	}
	if p := ba.get("/healthz"); p.Status != http.StatusOK {
		t.Errorf("healthz with the disk full: %d", p.Status)
	}
	h.clock.Advance(10 * time.Second)
	h.clock.Advance(5 * time.Second) // past the cached answer
	if p := ba.get("/readyz"); p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "does not accept writes") {
		t.Errorf("readyz with the disk full: %d %q", p.Status, p.Body)
	}
	if !strings.Contains(h.logs.String(), "touch session") {
		t.Error("the failed touch was not logged")
	}
}

// /readyz reports a mail outbox that stopped moving: mail waiting for more than 30 minutes.
func TestReadyzReportsStuckMail(t *testing.T) {
	h := newHarness(t)
	h.user(account.RoleLearner) // queues an activation mail, not delivered: the worker does not run
	b := h.browser()
	if p := b.get("/readyz"); p.Status != http.StatusOK || !strings.Contains(p.Body, "mail outbox: ok") {
		t.Fatalf("readyz with fresh mail: %d %q", p.Status, p.Body)
	}
	h.clock.Advance(31 * time.Minute)
	h.clock.Advance(5 * time.Second) // past the cached answer
	p := b.get("/readyz")
	if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "mail outbox: stuck") {
		t.Fatalf("readyz with mail waiting 31 minutes: %d %q", p.Status, p.Body)
	}
	// Public: it says that mail is stuck, not how much (the log has the figures).
	if regexp.MustCompile(`\d+ waiting`).MatchString(p.Body) || !strings.Contains(h.logs.String(), "waiting=1") {
		t.Errorf("readyz shows the queue's size, or the log misses it: %q", p.Body)
	}
	if n, err := h.outbox.DeliverDue(t.Context()); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	h.clock.Advance(5 * time.Second) // past the cached answer
	if p := b.get("/readyz"); p.Status != http.StatusOK {
		t.Errorf("readyz after delivery: %d %q", p.Status, p.Body)
	}
}

// A client that goes away before its answer (a closed tab, a proxy's timeout) cancels the
// request's work; that is logged as 499 at info level, not as a server error.
func TestClientGoneIsNotAServerError(t *testing.T) {
	h := newHarness(t)
	u := h.user(account.RoleLearner)
	b := h.browser()
	b.signIn(u.Email, u.Password)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", h.url+"/account", nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: b.cookie(web.SessionCookie)})
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	if rec.Code != 499 {
		t.Errorf("status %d, want 499", rec.Code)
	}
	logs := h.logs.String()
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("a gone client was logged as an error:\n%s", logs)
	}
	if !strings.Contains(logs, "status=499") {
		t.Errorf("no request line with status 499:\n%s", logs)
	}
}

// Completing a lesson is one commit: the notice travels in a cookie, not in the session row, and
// the next lesson is remembered as opened in the completion's own transaction, so reading it
// right after writes nothing.
func TestCompletingALessonWritesOnlyItsOwnCommit(t *testing.T) {
	h := newHarness(t, learningContent(t))
	u, b := learnerSession(t, h, userSpec{})
	b.get("/modules/alpha/lessons/one") // the first visit is a write of its own
	sessionData := func() string {
		var d []byte
		if err := h.db.R.QueryRow(`SELECT data FROM sessions WHERE user_id = ?`, u.ID).Scan(&d); err != nil {
			t.Fatal(err)
		}
		return string(d)
	}
	before := sessionData()
	p := b.post("/modules/alpha/lessons/one/complete", nil)
	if p.Status != http.StatusSeeOther || p.Location() != "/modules/alpha/lessons/two" {
		t.Fatalf("complete: %d → %q", p.Status, p.Location())
	}
	if n := h.count(`SELECT count(*) FROM lesson_visits WHERE user_id = ? AND lesson_id = 'two'`, u.ID); n != 1 {
		t.Errorf("the next lesson is not remembered with the completion")
	}
	var changesBefore int
	h.db.W.QueryRow(`SELECT total_changes()`).Scan(&changesBefore)
	next := b.follow(p)
	mustContain(t, next, "Lektion two") // the notice is shown once…
	if !strings.Contains(next.Body, `class="notice"`) {
		t.Error("no notice after completing")
	}
	var changesAfter int
	h.db.W.QueryRow(`SELECT total_changes()`).Scan(&changesAfter)
	if changesAfter != changesBefore {
		t.Errorf("reading the next lesson changed %d rows", changesAfter-changesBefore)
	}
	if after := sessionData(); after != before {
		t.Error("the notice was written to the session row")
	}
	if again := b.get("/modules/alpha/lessons/two"); strings.Contains(again.Body, `class="notice"`) {
		t.Error("the notice was shown twice") // …and only once
	}
}
