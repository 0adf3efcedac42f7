package web_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestXAPIExportRoute(t *testing.T) {
	w := newTrainerWorld(t)
	for _, u := range []*testUser{w.tanja, w.anna} {
		if p := w.as(u).get("/admin/export/xapi.jsonl"); p.Status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", u.Email, p.Status)
		}
	}
	if p := w.browser().get("/admin/export/xapi.jsonl"); p.Status != http.StatusSeeOther {
		t.Errorf("anonymous: status %d, want a redirect to sign in", p.Status)
	}

	p := w.as(w.ada).get("/admin/export/xapi.jsonl")
	body := p.Body
	if p.Status != http.StatusOK {
		t.Fatalf("admin: status %d", p.Status)
	}
	if ct := p.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := p.Header.Get("Content-Disposition"); cd != "attachment; filename=saferspaces-xapi-2026-05-24.jsonl" {
		t.Errorf("Content-Disposition = %q", cd)
	}
	// Anna's one lesson: the lesson completed and the module progressed to 20 %.
	var verbs, objects []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var st struct {
			Actor struct {
				Mbox    string
				Account struct{ HomePage, Name string }
			}
			Verb   struct{ ID string }
			Object struct{ ID string }
		}
		if err := json.Unmarshal(sc.Bytes(), &st); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, sc.Text())
		}
		if st.Actor.Mbox != "" || st.Actor.Account.HomePage != w.url || st.Actor.Account.Name == "" || strings.Contains(sc.Text(), "anna@") {
			t.Errorf("actor %+v", st.Actor)
		}
		verbs = append(verbs, st.Verb.ID[strings.LastIndex(st.Verb.ID, "/")+1:])
		objects = append(objects, strings.TrimPrefix(st.Object.ID, w.url))
	}
	if strings.Join(verbs, " ") != "completed progressed" ||
		strings.Join(objects, " ") != "/modules/public-spaces/lessons/soft-targets /modules/public-spaces" {
		t.Errorf("statements: %q on %q", verbs, objects)
	}

	if n := w.count(`SELECT count(*) FROM audit_log WHERE action = 'xapi.exported' AND actor = 'ada@example.org'`); n != 1 {
		t.Errorf("%d audit lines, want 1", n)
	}
}
