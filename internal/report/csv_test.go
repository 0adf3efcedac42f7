package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/report"
)

func TestWriteCSV(t *testing.T) {
	w := newWorld(t)
	r, err := w.svc.Report(context.Background(), w.nord, w.trainerT, "trainer")
	if err != nil {
		t.Fatal(err)
	}
	// Names as learners type them: umlauts, and one a spreadsheet would run as a formula.
	r.Learners[0].Name = "Jürgen Öztürk"
	r.Learners[1].Name = "=HYPERLINK(\"http://evil.example\";\"klick\")"
	r.Learners[2].Organisation = "@SUM(1+1)"
	r.Learners[3].Organisation = "-2+3"

	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r, "de", time.UTC); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if !strings.HasPrefix(raw, "\xEF\xBB\xBF") {
		t.Fatalf("no UTF-8 byte order mark: %q", raw[:min(10, len(raw))])
	}
	body := strings.TrimPrefix(raw, "\xEF\xBB\xBF")
	lines := strings.SplitAfter(body, "\r\n")
	if last := lines[len(lines)-1]; last != "" {
		t.Errorf("the file does not end with CRLF: %q", last)
	}
	if strings.Count(body, "\n") != strings.Count(body, "\r\n") {
		t.Error("a line ends with a bare LF")
	}
	wantHeader := "Name;E-Mail;Organisation;Letzte Aktivität;" +
		"Grundlagen öffentlicher Räume: Fortschritt (%);Grundlagen öffentlicher Räume: Bester Selbsttest (%);" +
		"Übungen: Fortschritt (%);Übungen: Bester Selbsttest (%)\r\n"
	if lines[0] != wantHeader {
		t.Errorf("header\n got %q\nwant %q", lines[0], wantHeader)
	}
	if want := "Jürgen Öztürk;anna@example.org;Ordnungsamt Köln;18.03.2026;100;100;0;\r\n"; lines[1] != want {
		t.Errorf("first row\n got %q\nwant %q", lines[1], want)
	}

	cr := csv.NewReader(strings.NewReader(body))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(r.Learners) {
		t.Fatalf("%d rows, want header + %d", len(rows), len(r.Learners))
	}
	for _, tt := range []struct {
		row, col int
		want     string
	}{
		{2, 0, "'=HYPERLINK(\"http://evil.example\";\"klick\")"},
		{2, 3, "02.03.2026"},
		{2, 4, "33"},
		{2, 5, ""}, // no attempt: empty, not 0
		{3, 2, "'@SUM(1+1)"},
		{3, 3, ""}, // never active
		{4, 2, "'-2+3"},
		{5, 7, "100"},
	} {
		if got := rows[tt.row][tt.col]; got != tt.want {
			t.Errorf("row %d col %d = %q, want %q", tt.row, tt.col, got, tt.want)
		}
	}
}

func TestWriteCSVEnglish(t *testing.T) {
	w := newWorld(t)
	r, err := w.svc.Report(context.Background(), w.nord, w.trainerT, "trainer")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r, "en", time.UTC); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimPrefix(buf.String(), "\uFEFF"), "\r\n")
	if !strings.HasPrefix(lines[0], "Name;E-mail;Organisation;Last activity;Basics of public spaces: progress (%);") {
		t.Errorf("English header = %q", lines[0])
	}
	if !strings.Contains(lines[1], ";2026-03-18;") {
		t.Errorf("English date: %q", lines[1])
	}
}

func TestFileName(t *testing.T) {
	at := time.Date(2026, time.March, 20, 23, 30, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"Stadt Münster 2026":    "saferspaces-stadt-muenster-2026-2026-03-20.csv",
		"Kohorte \"A\"\r\nX: y": "saferspaces-kohorte-a-x-y-2026-03-20.csv",
		"../../etc/passwd":      "saferspaces-etc-passwd-2026-03-20.csv",
		"東京":                    "saferspaces-2026-03-20.csv",
		"  Große Straße  ":      "saferspaces-grosse-strasse-2026-03-20.csv",
	} {
		if got := report.FileName(in, at); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}
