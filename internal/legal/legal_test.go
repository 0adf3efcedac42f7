package legal_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"saferspaces/internal/config"
	"saferspaces/internal/i18n"
	"saferspaces/internal/legal"
)

const (
	begin = "<!-- BEGIN record of processing: generated from internal/legal.Records -->\n"
	end   = "<!-- END record of processing -->"
)

// The record of processing in docs/data-protection.md is the same table the privacy notice shows
// (made from legal.Records with the default periods). SAFERSPACES_UPDATE_DOCS=1 rewrites it.
func TestRecordOfProcessingInDocs(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "data-protection.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated section (%q … %q)", path, begin, end)
	}
	want := legal.MarkdownTable("en", config.DefaultRetention())
	if got := s[i+len(begin) : j]; got != want {
		if os.Getenv("SAFERSPACES_UPDATE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the record of processing in %s differs from legal.Records; run SAFERSPACES_UPDATE_DOCS=1 go test ./internal/legal\n--- doc\n%s\n--- want\n%s", path, got, want)
	}
}

// Every record is written in every language, with the periods in force.
func TestRecordsInEveryLanguage(t *testing.T) {
	r := config.DefaultRetention()
	r.Inactive = config.Months(24)
	for _, lang := range i18n.Languages() {
		for _, rec := range legal.Records() {
			row := rec.Row(lang, r)
			for _, s := range []string{row.Data, row.Purpose, row.Basis, row.Kept, row.Deleted} {
				if s == "" || strings.HasPrefix(s, "[") || strings.Contains(s, "<no value>") {
					t.Errorf("%s %s: %q", lang, rec.ID, s)
				}
			}
		}
	}
	if got := legal.Records()[0].Row("de", r).Kept; !strings.Contains(got, "24 Monate") || !strings.Contains(got, "30 Tage") {
		t.Errorf("German account retention: %q", got)
	}
	if got := legal.Period("en", config.Years(1)); got != "1 year" {
		t.Errorf("Period(1y) = %q", got)
	}
}

// Without settings every page says so; with them, none does.
func TestDocumentsMissingSettings(t *testing.T) {
	p := legal.Builtin(config.Operator{}, config.DefaultRetention(), "")
	for _, page := range legal.AllPages() {
		if d := p.Document(page, "de"); len(d.Missing) == 0 || len(d.Sections) == 0 {
			t.Errorf("%s: %+v", page, d)
		}
	}
	op := config.Operator{}
	op.Demo()
	p = legal.Builtin(op, config.DefaultRetention(), "https://x.example")
	for _, page := range legal.AllPages() {
		if d := p.Document(page, "en"); len(d.Missing) != 0 {
			t.Errorf("%s missing %v", page, d.Missing)
		}
	}
}
