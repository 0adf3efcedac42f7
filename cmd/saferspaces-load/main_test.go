package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A short run of the whole tool: every scenario runs against the real platform, the journeys get
// the answers they expect (no unexpected status), and the table carries every ratio. No figure is
// checked: this machine's speed is not the tool's to assert.
func TestLoadToolRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every scenario")
	}
	var out, log bytes.Buffer
	o := options{duration: 200 * time.Millisecond, workers: 2, learners: 12, burst: 12, regUsers: []int{50}}
	if err := run(t.Context(), o, &out, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	table := out.String()
	for _, want := range []string{"baseline: hello-world", "baseline: bare SQLite commits", "baseline: raw argon2id",
		"GET / (dashboard)", "× hello-world", "POST lesson complete", "self-check: GET the paper", "× bare commits", "POST /login, 12 right passwords",
		"× raw argon2id", "0 refused (429)", "GET public certificate PDF", "GET /trainer/cohorts/{id}", "POST /register at 50 users"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	if strings.Contains(table, "unexpected answers") {
		t.Errorf("some requests got unexpected answers:\n%s", table)
	}
	t.Log("\n" + table)
}
