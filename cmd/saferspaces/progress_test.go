package main

import (
	"bytes"
	"strings"
	"testing"
)

// The progress line rewrites itself on a terminal and is cleared at the end; off a terminal
// (a pipe, a file, a cron job's log) there is none.
func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	if p := newProgress(&buf, "backup", "bytes"); p != nil {
		t.Fatal("a progress line on a buffer, which is no terminal")
	}
	p := &progress{w: &buf, label: "backup", unit: "bytes"}
	p.Update(60<<20, 120<<20)
	if got := buf.String(); !strings.HasSuffix(got, "backup: 50 % (60.0 MiB of 120.0 MiB)") || !strings.HasPrefix(got, "\r\033[K") {
		t.Errorf("update: %q", got)
	}
	buf.Reset()
	p.Update(70<<20, 120<<20) // within 200 ms of the last: not shown
	if buf.Len() != 0 {
		t.Errorf("shown again at once: %q", buf.String())
	}
	p.Update(120<<20, 120<<20) // the end is always shown
	if !strings.Contains(buf.String(), "100 %") {
		t.Errorf("end not shown: %q", buf.String())
	}
	buf.Reset()
	s := &progress{w: &buf, label: "purge"}
	s.Step(4, 6, "audit lines")
	if got := buf.String(); got != "\r\033[Kpurge: step 4 of 6 (audit lines)" {
		t.Errorf("step: %q", got)
	}
	buf.Reset()
	s.Done()
	if buf.String() != "\r\033[K" {
		t.Errorf("done does not clear the line: %q", buf.String())
	}
	var nilP *progress
	nilP.Update(1, 2)
	nilP.Step(1, 2, "x")
	nilP.Done()
}
