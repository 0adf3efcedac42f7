package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"saferspaces/internal/sqlite"
)

// result is one measured scenario: how many operations per second, and how long they took.
type result struct {
	name     string
	ops      int
	errors   int
	statuses map[int]int
	elapsed  time.Duration
	lat      []time.Duration
	bytes    int64 // response bytes, for the template baseline's size
}

func (r *result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ops) / r.elapsed.Seconds()
}

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func (r *result) avgBytes() int64 {
	if r.ops == 0 {
		return 0
	}
	return r.bytes / int64(r.ops)
}

// closedLoop runs workers that each call op as fast as they can for d, and measures them.
func closedLoop(name string, workers int, d time.Duration, op func(worker, i int) (status int, n int64, err error)) *result {
	r := &result{name: name, statuses: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Go(func() {
			var lat []time.Duration
			statuses := map[int]int{}
			var errs, ops int
			var bytes int64
			for i := 0; time.Now().Before(deadline); i++ {
				t := time.Now()
				st, n, err := op(w, i)
				lat = append(lat, time.Since(t))
				if err != nil {
					errs++
					continue
				}
				statuses[st]++
				bytes += n
				ops++
			}
			mu.Lock()
			defer mu.Unlock()
			r.lat = append(r.lat, lat...)
			r.ops += ops
			r.errors += errs
			r.bytes += bytes
			for k, v := range statuses {
				r.statuses[k] += v
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}

// newClient is an HTTP client for one virtual user: its own cookies, keep-alive, no redirects.
func newClient(conns int) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       2 * time.Minute,
	}
}

// get fetches url and reads the whole body.
func get(c *http.Client, u string) (int, int64, error) { return drain(c.Get(u)) }

// drain reads a whole answer away and reports its status and size.
func drain(resp *http.Response, err error) (int, int64, error) {
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, n, err
}

func getBody(c *http.Client, u string) (int, string, error) {
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), err
}

func post(c *http.Client, u string, form url.Values) (int, int64, error) {
	return drain(c.PostForm(u, form))
}

// postFrom is post on behalf of the client address ip (X-Forwarded-For, trusted by the platform
// the tool starts).
func postFrom(c *http.Client, u string, form url.Values, ip string) (int, int64, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", ip)
	return drain(c.Do(req))
}

// --- baselines, measured in the same run on the same machine ---

// helloWorld is the cheapest possible net/http answer, served and fetched like the platform's
// pages.
func helloWorld(workers int, d time.Duration) (*result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello, world\n")
	})}
	go srv.Serve(ln)
	defer srv.Close()
	u := "http://" + ln.Addr().String() + "/"
	clients := make([]*http.Client, workers)
	for i := range clients {
		clients[i] = newClient(1)
	}
	return closedLoop("baseline: hello-world net/http", workers, d, func(w, _ int) (int, int64, error) {
		return get(clients[w], u)
	}), nil
}

// templatePage renders an html/template page of about size bytes per request (into a buffer,
// then written, as the platform renders), served and fetched like the platform's pages.
func templatePage(workers int, d time.Duration, size int) (*result, error) {
	const para = `<p class="lead">Öffentliche Räume schützen: {{.Title}} – Abschnitt {{.N}} mit Hinweisen für Ordnungsamt, Planung und Veranstalter.</p>`
	t := template.Must(template.New("page").Parse(`<!doctype html><html lang="de"><head><title>{{.Title}}</title></head><body><main>{{range .Items}}` +
		strings.ReplaceAll(para, "{{.Title}}", "{{$.Title}}") + `{{end}}</main></body></html>`))
	type item struct{ N int }
	probe := func(n int) int {
		var b bytes.Buffer
		items := make([]item, n)
		t.Execute(&b, map[string]any{"Title": "Lektion", "Items": items})
		return b.Len()
	}
	n := max(1, size/probe(1))
	for probe(n) < size {
		n++
	}
	items := make([]item, n)
	for i := range items {
		items[i].N = i
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if err := t.Execute(&b, map[string]any{"Title": "Lektion", "Items": items}); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b.Bytes())
	})}
	go srv.Serve(ln)
	defer srv.Close()
	u := "http://" + ln.Addr().String() + "/"
	clients := make([]*http.Client, workers)
	for i := range clients {
		clients[i] = newClient(1)
	}
	return closedLoop(fmt.Sprintf("baseline: html/template page of %.1f KB", float64(probe(n))/1000), workers, d,
		func(w, _ int) (int, int64, error) { return get(clients[w], u) }), nil
}

// bareCommits commits single-row inserts with the platform's pragmas (WAL, synchronous=FULL, one
// writer with BEGIN IMMEDIATE) from several goroutines: what one fsync per user action costs.
func bareCommits(ctx context.Context, dir string, workers int, d time.Duration) (*result, error) {
	db, err := sqlite.Open(ctx, filepath.Join(dir, "bare"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE t(id INTEGER PRIMARY KEY, user INTEGER NOT NULL, at INTEGER NOT NULL) STRICT`); err != nil {
		return nil, err
	}
	return closedLoop("baseline: bare SQLite commits (WAL, synchronous=FULL)", workers, d, func(w, i int) (int, int64, error) {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t(user, at) VALUES (?, ?)`, w, i)
			return err
		})
		return 200, 0, err
	}), nil
}

// rawArgon2 hashes with the platform's parameters (m=19 MiB, t=2, p=1) on 2 goroutines.
func rawArgon2(d time.Duration) *result {
	salt := []byte("saferspaces-load")
	return closedLoop("baseline: raw argon2id m=19 MiB t=2 p=1, 2 goroutines", 2, d, func(w, i int) (int, int64, error) {
		argon2.IDKey([]byte(fmt.Sprintf("Passwort %d %d", w, i)), salt, 2, 19*1024, 1, 32)
		return 200, 0, nil
	})
}

// --- the platform ---

// signIn signs a client in and reports the status (303 on success).
func signIn(c *http.Client, base, email string) (int, error) {
	st, _, err := post(c, base+"/login", url.Values{"email": {email}, "password": {learnerPassword}})
	return st, err
}

// hiddenFields reads a form's hidden inputs from a page.
func hiddenFields(body string) url.Values {
	v := url.Values{}
	attr := func(tag, name string) string {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return ""
		}
		return template.HTMLEscapeString(m[1])
	}
	for _, tag := range regexp.MustCompile(`<input\b[^>]*>`).FindAllString(body, -1) {
		if attr(tag, "type") == "hidden" && attr(tag, "name") != "" {
			v.Add(attr(tag, "name"), strings.ReplaceAll(attr(tag, "value"), "&amp;", "&"))
		}
	}
	return v
}

// counter hands out distinct numbers to concurrent workers.
type counter struct{ n atomic.Int64 }

func (c *counter) next() int64 { return c.n.Add(1) }
