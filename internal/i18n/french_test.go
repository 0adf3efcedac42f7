package i18n_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/goccy/go-yaml"
)

// French puts a no-break space before : ; ! ? and » and after « (docs/terminology.md,
// Typography). The catalogs use U+00A0; U+202F (narrow) is accepted as well. A plain space there
// lets the mark wrap onto the next line, and a missing space is simply wrong in French.
var (
	frAction = regexp.MustCompile(`\{\{.*?\}\}`)
	// A mark ends a word when whitespace, the end, closing punctuation or a tag follows it;
	// this leaves out URLs (https://), times (12:30) and query strings (?lang=fr).
	frNoSpace    = regexp.MustCompile(`[^\s\x{00a0}\x{202f}]([:;!?»])(?:[\s\x{00a0}\x{202f}).,»"'<]|$)`)
	frPlainSpace = regexp.MustCompile(`[ \t\n]([:;!?»])`)
	frOpen       = regexp.MustCompile(`«(?:[ \t\n]|[^\x{00a0}\x{202f}]|$)`)
	frCloseBare  = regexp.MustCompile(`[^\s\x{00a0}\x{202f}]»`)
)

// frenchTypography returns what is wrong with the French text s.
func frenchTypography(s string) []string {
	// Template actions may contain anything; their output is a word.
	s = frAction.ReplaceAllString(s, "X")
	var bad []string
	for _, m := range frNoSpace.FindAllStringSubmatchIndex(s, -1) {
		bad = append(bad, fmt.Sprintf("no space before %q in …%s…", s[m[2]:m[3]], around(s, m[2])))
	}
	for _, m := range frPlainSpace.FindAllStringSubmatchIndex(s, -1) {
		bad = append(bad, fmt.Sprintf("a plain space before %q in …%s…", s[m[2]:m[3]], around(s, m[2])))
	}
	for _, m := range frOpen.FindAllStringIndex(s, -1) {
		bad = append(bad, fmt.Sprintf("no no-break space after « in …%s…", around(s, m[0])))
	}
	for _, m := range frCloseBare.FindAllStringIndex(s, -1) {
		if !frNoSpace.MatchString(s[m[0]:]) { // reported above already
			bad = append(bad, fmt.Sprintf("no no-break space before » in …%s…", around(s, m[0])))
		}
	}
	return bad
}

func around(s string, i int) string {
	from, to := max(0, i-20), min(len(s), i+20)
	for from > 0 && s[from]&0xC0 == 0x80 {
		from--
	}
	for to < len(s) && s[to]&0xC0 == 0x80 {
		to++
	}
	return s[from:to]
}

func TestFrenchPunctuationSpaces(t *testing.T) {
	files, err := filepath.Glob("catalogs/*.fr.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("French catalogs: %v %v", files, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := yaml.Unmarshal(src, &msgs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		keys := make([]string, 0, len(msgs))
		for k := range msgs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			texts := map[string]string{}
			switch v := msgs[k].(type) {
			case string:
				texts[k] = v
			case map[string]any: // plural forms
				for form, s := range v {
					if s, ok := s.(string); ok {
						texts[k+"."+form] = s
					}
				}
			}
			for id, s := range texts {
				for _, bad := range frenchTypography(s) {
					t.Errorf("%s: %s: %s", f, id, bad)
				}
			}
		}
	}
}

func TestFrenchTypographyRule(t *testing.T) {
	for s, ok := range map[string]bool{
		"Source\u00a0: {{.Title}}":         true,
		"Source : x":                       false,
		"Source: x":                        false,
		"sous «\u00a0Mon compte\u00a0»":    true,
		"sous « Mon compte »":              false,
		"sous «Mon compte»":                false,
		"Voir https://example.org/a?b=c":   true,
		"à 12:30 ; puis":                   false,
		"à 12:30\u202f; puis":              true,
		"{{if .X}}a{{end}}":                true,
		"accessible\u00a0? Écrivez-nous !": false,
	} {
		if got := len(frenchTypography(s)) == 0; got != ok {
			t.Errorf("%q: ok %v, want %v (%v)", s, got, ok, frenchTypography(s))
		}
	}
}
