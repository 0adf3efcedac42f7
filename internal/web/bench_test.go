package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/paths"
	"saferspaces/internal/web"
)

// Benchmarks of the hot paths, through the whole handler (middleware, session, rendering) with
// the shipped content, without the network: go test -bench . ./internal/web/ -run '^$'.
// docs/performance.md compares them with the load tool's figures.

// benchUser is a signed-in learner's session cookie on a harness with the shipped content.
func benchUser(b *testing.B) (*harness, *http.Cookie) {
	b.Helper()
	h := newHarness(b)
	u := h.user(account.RoleLearner)
	br := h.browser()
	br.signIn(u.Email, u.Password)
	return h, &http.Cookie{Name: web.SessionCookie, Value: br.cookie(web.SessionCookie)}
}

func benchGet(b *testing.B, h *harness, c *http.Cookie, path string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		if c != nil {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
}

func BenchmarkDashboard(b *testing.B) {
	h, c := benchUser(b)
	benchGet(b, h, c, "/")
}

func BenchmarkLessonPage(b *testing.B) {
	h, c := benchUser(b)
	m := h.svc.Content.Modules[0]
	benchGet(b, h, c, paths.Lesson(m.ID, m.Lessons[1].ID))
}

func BenchmarkCheckPage(b *testing.B) {
	h, c := benchUser(b)
	benchGet(b, h, c, paths.Check(h.svc.Content.Modules[0].ID))
}

func BenchmarkModulePage(b *testing.B) {
	h, c := benchUser(b)
	benchGet(b, h, c, paths.Module(h.svc.Content.Modules[0].ID))
}

// BenchmarkCompleteLesson is the write of a learner action: POST complete (one commit).
func BenchmarkCompleteLesson(b *testing.B) {
	h, c := benchUser(b)
	m := h.svc.Content.Modules[0]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l := m.Lessons[i%len(m.Lessons)]
		i++
		req := httptest.NewRequest("POST", paths.LessonComplete(m.ID, l.ID), nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("complete: %d", rec.Code)
		}
	}
}

// BenchmarkCertificatePDF is the public PDF download of one certificate, from the cache after
// the first.
func BenchmarkCertificatePDF(b *testing.B) {
	h, c := benchUser(b)
	m := h.svc.Content.Modules[0]
	post := func(path string, form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		return rec
	}
	for _, l := range m.Lessons {
		post(paths.LessonComplete(m.ID, l.ID), nil)
	}
	form := url.Values{}
	for _, q := range m.Check.Questions {
		for _, ch := range q.Choices {
			if ch.Correct {
				form.Add(q.ID, ch.ID)
			}
		}
	}
	post(paths.Check(m.ID), form)
	req := httptest.NewRequest("GET", "/certificates", nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	code := certLink.FindStringSubmatch(rec.Body.String())
	if code == nil {
		b.Fatal("no certificate")
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, httptest.NewRequest("GET", paths.CertificatePDF(code[1]), nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		io.Copy(io.Discard, rec.Body)
	}
}

// BenchmarkLoginPage is the layout with a small form and no database: the floor of a page.
func BenchmarkLoginPage(b *testing.B) {
	h := newHarness(b)
	benchGet(b, h, nil, "/login")
}

// inputName finds the question ids on a self-check page (as the load tool does).
var inputName = regexp.MustCompile(`<input type="(?:radio|checkbox)"[^>]* name="([^"]+)"`)

// BenchmarkSubmitCheck is the write of a self-check: POST the answers to the paper on screen (two
// of three passing, as in the load tool), by a new learner every ten attempts (a learner takes a
// self-check a few times, not thousands). Reading the paper and signing in are not timed.
func BenchmarkSubmitCheck(b *testing.B) {
	h, c := benchUser(b)
	m := h.svc.Content.Modules[0]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		if i > 0 && i%10 == 0 {
			u := h.user(account.RoleLearner)
			br := h.browser()
			br.signIn(u.Email, u.Password)
			c = &http.Cookie{Name: web.SessionCookie, Value: br.cookie(web.SessionCookie)}
		}
		req := httptest.NewRequest("GET", paths.Check(m.ID), nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		h.handler.ServeHTTP(rec, req)
		pass := i%3 != 0
		i++
		form := url.Values{}
		for _, n := range inputName.FindAllStringSubmatch(rec.Body.String(), -1) {
			if form.Has(n[1]) {
				continue
			}
			q := m.Check.Question(n[1])
			for _, ch := range q.Choices {
				if ch.Correct == pass {
					form.Add(q.ID, ch.ID)
					if !pass {
						break
					}
				}
			}
			if !form.Has(q.ID) {
				form.Add(q.ID, q.Choices[0].ID)
			}
		}
		req = httptest.NewRequest("POST", paths.Check(m.ID), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(c)
		rec = httptest.NewRecorder()
		b.StartTimer()
		h.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("submit: %d", rec.Code)
		}
	}
}
