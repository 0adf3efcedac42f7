package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"saferspaces/internal/sqlite"
)

func TestZZScratchLearningPages(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.W.Exec(`INSERT INTO users(id, email, name, lang, role, status, created_at) VALUES (1, 'j@example.org', 'Jürgen Müßig', 'de', 'learner', 'approved', 1)`)
	s, err := New(Deps{Log: slog.New(slog.NewTextHandler(os.Stderr, nil)), DB: db})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	user := &CurrentUser{ID: 1, Name: "Jürgen Müßig", Role: "learner", Lang: "de"}
	inject := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &reqState{lang: os.Getenv("LANGX"), user: user}
		if st.lang == "" {
			st.lang = "de"
		}
		_ = st
		h.ServeHTTP(w, r)
	})
	_ = inject
	do := func(method, path string, form url.Values) (int, string, http.Header) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		r := httptest.NewRequest(method, path, body)
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		st := &reqState{lang: "de", user: user}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, st))
		w := httptest.NewRecorder()
		// bypass middleware chain: call handlers directly
		mux := http.NewServeMux()
		mux.HandleFunc("GET /{$}", s.dashboard)
		mux.HandleFunc("GET /modules/{module}", s.modulePage)
		mux.HandleFunc("GET /modules/{module}/lessons/{lesson}", s.lessonPage)
		mux.HandleFunc("POST /modules/{module}/lessons/{lesson}/complete", s.completeLesson)
		mux.HandleFunc("GET /modules/{module}/check", s.checkPage)
		mux.HandleFunc("POST /modules/{module}/check", s.checkSubmit)
		mux.HandleFunc("GET /modules/{module}/check/attempts/{id}", s.attemptPage)
		mux.HandleFunc("GET /certificates", s.certificates)
		mux.HandleFunc("GET /certificates/{code}", s.certificate)
		mux.HandleFunc("GET /certificates/{code}/qr.png", s.certificateQR)
		mux.HandleFunc("GET /certificates/{code}/pdf", s.certificatePDF)
		mux.ServeHTTP(w, r)
		return w.Code, w.Body.String(), w.Header()
	}
	dump := func(name, body string) {
		os.WriteFile("/tmp/learn-run/"+name+".html", []byte(body), 0o644)
	}
	cat := s.learn.Catalog()
	m := cat.Modules[0]
	code, body, _ := do("GET", "/", nil)
	t.Log("dashboard", code)
	dump("dashboard0", body)
	for _, l := range m.Lessons {
		code, body, hdr := do("POST", "/modules/"+m.ID+"/lessons/"+l.ID+"/complete", url.Values{})
		t.Log("complete", l.ID, code, hdr.Get("Location"), len(body))
	}
	code, body, _ = do("GET", "/modules/"+m.ID+"/lessons/"+m.Lessons[1].ID, nil)
	t.Log("lesson", code)
	dump("lesson", body)
	code, body, _ = do("GET", "/modules/"+m.ID+"/check", nil)
	t.Log("check", code)
	dump("check", body)
	code, body, _ = do("POST", "/modules/"+m.ID+"/check", url.Values{"x": {"y"}})
	t.Log("fail", code)
	dump("result_fail", body)
	ans := url.Values{}
	for _, q := range m.Check.Questions {
		for _, c := range q.Choices {
			if c.Correct {
				ans.Add(q.ID, c.ID)
			}
		}
	}
	code, body, _ = do("POST", "/modules/"+m.ID+"/check", ans)
	t.Log("pass", code)
	dump("result_pass", body)
	code, body, _ = do("GET", "/modules/"+m.ID, nil)
	t.Log("module", code)
	dump("module", body)
	code, body, _ = do("GET", "/", nil)
	dump("dashboard1", body)
	code, body, _ = do("GET", "/certificates", nil)
	t.Log("certs", code)
	dump("certificates", body)
	var cc string
	db.R.QueryRow(`SELECT code FROM certificates`).Scan(&cc)
	code, body, _ = do("GET", "/certificates/"+cc, nil)
	t.Log("cert", code)
	dump("certificate", body)
	code, _, hdr := do("GET", "/certificates/"+strings.ToLower(cc), nil)
	t.Log("cert lower", code, hdr.Get("Location"))
	code, _, hdr = do("GET", "/certificates/"+cc+"/pdf", nil)
	t.Log("pdf", code, hdr.Get("Content-Type"), hdr.Get("Content-Disposition"))
	code, _, hdr = do("GET", "/certificates/"+cc+"/qr.png", nil)
	t.Log("qr", code, hdr.Get("Content-Type"))
	code, _, _ = do("GET", "/modules/nope/lessons/x", nil)
	t.Log("404s", code)
}
