package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/web"
	"saferspaces/internal/xapi"
)

// testLRS speaks the Statement API (xAPI 1.0.3, part 3): POST of a statement array, PUT of one
// statement by id. It insists on the version header and Basic auth, stores each id once (a POST
// with an id it has is refused whole with 409, as the ADL LRS does; a PUT of an id it has is 204 if
// the statement is the same and 409 if not), and can be down (503), lose its answers (store, then
// drop the connection) or refuse one id as invalid (400).
type testLRS struct {
	t  *testing.T
	mu sync.Mutex
	// what it stored, in arrival order, and how often each id arrived
	order    []string
	stored   map[string]json.RawMessage
	received map[string]int
	requests int
	// modes
	down       bool
	loseAnswer bool
	reject     string // an id answered with 400
	user, pass string
}

func newTestLRS(t *testing.T) (*testLRS, *httptest.Server) {
	l := &testLRS{t: t, stored: map[string]json.RawMessage{}, received: map[string]int{}, user: "lrs-key", pass: "lrs-secret"}
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	return l, srv
}

func (l *testLRS) set(fn func(*testLRS)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(l)
}

func (l *testLRS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests++
	if l.down {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path != "/xapi/statements" {
		http.NotFound(w, r)
		return
	}
	if v := r.Header.Get("X-Experience-API-Version"); v != "1.0.3" {
		http.Error(w, "X-Experience-API-Version missing or unsupported: "+v, http.StatusBadRequest)
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != l.user || p != l.pass {
		http.Error(w, "unauthorised", http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	type idOnly struct {
		ID string `json:"id"`
	}
	switch r.Method {
	case http.MethodPost:
		var raw []json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			http.Error(w, "not a statement array", http.StatusBadRequest)
			return
		}
		var ids []string
		for _, st := range raw {
			var s idOnly
			json.Unmarshal(st, &s)
			l.received[s.ID]++
			if s.ID == l.reject {
				http.Error(w, "statement "+s.ID+" is invalid", http.StatusBadRequest)
				return
			}
			if _, ok := l.stored[s.ID]; ok {
				http.Error(w, "statement "+s.ID+" already exists", http.StatusConflict)
				return
			}
			ids = append(ids, s.ID)
		}
		for i, id := range ids {
			l.store(id, raw[i])
		}
		if l.loseAnswer {
			panic(http.ErrAbortHandler) // stored, but the client never hears of it
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ids)
	case http.MethodPut:
		id := r.URL.Query().Get("statementId")
		l.received[id]++
		if id == l.reject {
			http.Error(w, "statement "+id+" is invalid", http.StatusBadRequest)
			return
		}
		if have, ok := l.stored[id]; ok {
			if string(have) != string(body) {
				http.Error(w, "a different statement has this id", http.StatusConflict)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		l.store(id, body)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	}
}

func (l *testLRS) store(id string, st json.RawMessage) {
	l.stored[id] = st
	l.order = append(l.order, id)
}

// lrsWorld is the platform with an LRS and two learners who work through the first module.
type lrsWorld struct {
	*harness
	lrs     *testLRS
	url     string
	learner [2]*browser
	users   [2]*testUser
	lessons []string // lesson pages of the first module
}

func newLRSWorld(t *testing.T) *lrsWorld {
	h := newHarness(t)
	lrs, srv := newTestLRS(t)
	w := &lrsWorld{harness: h, lrs: lrs, url: srv.URL + "/xapi/"}
	h.svc.XAPI.SendTo(web.NewLRSClient(w.url, lrs.user, lrs.pass))
	m := h.svc.Content.Modules[0]
	for _, l := range m.Lessons {
		w.lessons = append(w.lessons, "/modules/"+m.ID+"/lessons/"+l.ID)
	}
	for i := range w.users {
		w.users[i] = h.user(account.RoleLearner)
		w.learner[i] = h.browser()
		w.learner[i].signIn(w.users[i].Email, w.users[i].Password)
	}
	return w
}

// complete marks lesson i of the first module done as learner n.
func (w *lrsWorld) complete(n, i int) {
	w.t.Helper()
	w.clock.Advance(time.Minute)
	if p := w.learner[n].post(w.lessons[i]+"/complete", url.Values{}); p.Status != http.StatusSeeOther {
		w.t.Fatalf("complete %s: %d", w.lessons[i], p.Status)
	}
}

func (w *lrsWorld) send() (int, error) {
	w.t.Helper()
	return w.svc.XAPI.SendDue(w.t.Context())
}

// stored lists the platform's statements (id → body) in order.
func (w *lrsWorld) stored() ([]string, map[string]string) {
	w.t.Helper()
	var ids []string
	bodies := map[string]string{}
	err := w.svc.XAPI.Statements(w.t.Context(), func(st *xapi.Statement) error {
		ids = append(ids, st.ID)
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	rows, err := w.db.R.Query(`SELECT id, body FROM xapi_statements`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, body string
		rows.Scan(&id, &body)
		bodies[id] = body
	}
	return ids, bodies
}

// An LRS that is down for a while loses nothing and, afterwards, has every statement exactly
// once, in the order the platform made them — also when an answer of the LRS got lost, and with a
// learner's erasure (voiding statements after the statements they void).
func TestLRSDownForAWhileGetsEverythingOnce(t *testing.T) {
	w := newLRSWorld(t)
	w.complete(0, 0)
	if n, err := w.send(); err != nil || n != 2 {
		t.Fatalf("LRS up: sent %d, %v; want the lesson and the module's progress", n, err)
	}

	// Down: the learners go on working, nothing is lost, the queue waits and pauses.
	w.lrs.set(func(l *testLRS) { l.down = true })
	w.complete(0, 1)
	w.complete(1, 0)
	w.complete(1, 1)
	if _, err := w.send(); err == nil {
		t.Fatal("sending to a down LRS reported no error")
	}
	requests := func() int { w.lrs.mu.Lock(); defer w.lrs.mu.Unlock(); return w.lrs.requests }
	before := requests()
	w.clock.Advance(10 * time.Second) // less than the first pause
	if n, err := w.send(); n != 0 || err != nil || requests() != before {
		t.Errorf("during the pause: sent %d, %v, %d requests (was %d)", n, err, requests(), before)
	}
	stats, _ := w.svc.XAPI.Stats(t.Context())
	if stats.Waiting != 6 || stats.Sent != 2 {
		t.Errorf("while down: %+v, want 6 waiting and 2 sent", stats)
	}
	admin := h2admin(w.harness)
	page := admin.get("/admin/xapi")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "503 Service Unavailable: maintenance") {
		t.Errorf("the queue page does not show the LRS's answer:\n%s", page.Body)
	}

	// Back, but its first answer is lost after it stored the batch.
	w.lrs.set(func(l *testLRS) { l.down, l.loseAnswer = false, true })
	w.clock.Advance(time.Minute)
	if _, err := w.send(); err == nil {
		t.Fatal("a lost answer reported no error")
	}
	w.lrs.set(func(l *testLRS) { l.loseAnswer = false })
	w.clock.Advance(2 * time.Minute)
	if n, err := w.send(); err != nil || n != 6 {
		t.Fatalf("after the outage: sent %d, %v", n, err)
	}

	// An erasure voids the learner's statements; they reach the LRS after what they void.
	if err := w.acc.Erase(t.Context(), audit.Actor{Email: "admin@stadt.example"}, w.users[1].ID); err != nil {
		t.Fatal(err)
	}
	if n, err := w.send(); err != nil || n != 4 {
		t.Fatalf("voiding statements: sent %d, %v; want 4", n, err)
	}

	ids, bodies := w.stored()
	if len(ids) != 12 {
		t.Fatalf("%d statements stored, want 12", len(ids))
	}
	w.lrs.mu.Lock()
	defer w.lrs.mu.Unlock()
	if strings.Join(w.lrs.order, " ") != strings.Join(ids, " ") {
		t.Errorf("the LRS stored\n%v\nthe platform made\n%v", w.lrs.order, ids)
	}
	for _, id := range ids {
		if got := string(w.lrs.stored[id]); got != bodies[id] {
			t.Errorf("statement %s differs at the LRS:\n%s\n%s", id, got, bodies[id])
		}
	}
	if len(w.lrs.stored) != len(ids) {
		t.Errorf("the LRS has %d statements, the platform %d", len(w.lrs.stored), len(ids))
	}
	// The batch whose answer was lost came a second time and was refused as known; nothing
	// was stored twice, and nothing that had been accepted with an answer came again.
	again := 0
	for id, n := range w.lrs.received {
		if n > 1 {
			again++
		}
		if n > 3 {
			t.Errorf("statement %s was sent %d times", id, n)
		}
	}
	if again == 0 || again > 6 {
		t.Errorf("%d statements were sent more than once; want the lost batch's (≤ 6)", again)
	}
	if n := w.count(`SELECT count(*) FROM xapi_statements WHERE state <> 'sent'`); n != 0 {
		t.Errorf("%d statements not marked sent", n)
	}
}

// A statement the LRS refuses is marked failed with the LRS's answer, does not hold back the
// others, and goes again after an admin's retry (audited). Wrong credentials keep everything
// waiting.
func TestLRSRefusalAndRetry(t *testing.T) {
	w := newLRSWorld(t)
	w.svc.XAPI.SendTo(web.NewLRSClient(w.url, w.lrs.user, "wrong"))
	w.complete(0, 0)
	if _, err := w.send(); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong credentials: %v", err)
	}
	if n := w.count(`SELECT count(*) FROM xapi_statements WHERE state = 'waiting' AND last_error LIKE '%401 Unauthorized%'`); n != 2 {
		t.Errorf("%d statements wait with the 401 answer, want 2", n)
	}
	w.svc.XAPI.SendTo(web.NewLRSClient(w.url, w.lrs.user, w.lrs.pass))

	ids, _ := w.stored()
	w.lrs.set(func(l *testLRS) { l.reject = ids[0] })
	w.clock.Advance(time.Minute)
	if n, err := w.send(); err != nil || n != 1 {
		t.Fatalf("with one statement refused: sent %d, %v", n, err)
	}
	var state, answer string
	w.db.R.QueryRow(`SELECT state, last_error FROM xapi_statements WHERE id = ?`, ids[0]).Scan(&state, &answer)
	if state != xapi.StateFailed || !strings.Contains(answer, "400 Bad Request: statement "+ids[0]+" is invalid") {
		t.Errorf("refused statement: %s, %q", state, answer)
	}
	admin := h2admin(w.harness)
	if p := admin.get("/admin/xapi"); !strings.Contains(p.Body, "is invalid") || !strings.Contains(p.Body, `name="id" value="`+ids[0]+`"`) {
		t.Errorf("the queue page does not show the refusal:\n%s", p.Body)
	}
	w.lrs.set(func(l *testLRS) { l.reject = "" })
	if p := admin.post("/admin/xapi/retry", url.Values{"id": {ids[0]}}); p.Status != http.StatusSeeOther {
		t.Fatalf("retry: %d", p.Status)
	}
	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'xapi.retry' AND detail LIKE ?`, "statement "+ids[0]+"%"); n != 1 {
		t.Errorf("%d audit lines of the retry", n)
	}
	if n, err := w.send(); err != nil || n != 1 {
		t.Errorf("after the retry: sent %d, %v", n, err)
	}
	if p := admin.post("/admin/xapi/retry", url.Values{"id": {"no-such-id"}}); p.Status != http.StatusNotFound {
		t.Errorf("retry of an unknown id: %d", p.Status)
	}
}

// h2admin is a signed-in admin's browser.
func h2admin(h *harness) *browser {
	a := h.user(account.RoleAdmin)
	b := h.browser()
	b.signIn(a.Email, a.Password)
	return b
}
