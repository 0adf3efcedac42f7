package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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
