package i18n_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/i18n"
)

// Every text must exist in every language: a key missing in one catalog would show as [key] to
// the readers of that language.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	if err := i18n.Check(); err != nil {
		t.Fatal(err)
	}
	langs := i18n.Languages()
	if langs[0] != i18n.Default || !slices.Contains(langs, "en") {
		t.Fatalf("languages = %v", langs)
	}
	want := i18n.Keys(i18n.Default)
	if len(want) < 300 {
		t.Fatalf("only %d keys in the default catalog", len(want))
	}
	for _, l := range langs[1:] {
		got := i18n.Keys(l)
		for _, k := range want {
			if !slices.Contains(got, k) {
				t.Errorf("%s: missing %s", l, k)
			}
		}
		for _, k := range got {
			if !slices.Contains(want, k) {
				t.Errorf("%s: %s is not in the %s catalog", l, k, i18n.Default)
			}
		}
	}
	for _, l := range langs {
		for _, k := range i18n.Keys(l) {
			if strings.TrimSpace(i18n.T(l, k)) == "" && !strings.HasPrefix(k, "mail.") {
				t.Errorf("%s: %s is empty", l, k)
			}
		}
		if i18n.Name(l) == "" || !strings.HasPrefix(i18n.Tag(l), string(l)+"-") {
			t.Errorf("%s: name %q, tag %q", l, i18n.Name(l), i18n.Tag(l))
		}
	}
}

func TestLookups(t *testing.T) {
	if got := i18n.T("en", "nav.login"); got != "Sign in" {
		t.Errorf("en nav.login = %q", got)
	}
	if got := i18n.T("de", "no.such.key"); got != "[no.such.key]" {
		t.Errorf("missing key = %q", got)
	}
	if got := i18n.T("xx", "nav.login"); got != i18n.T(i18n.Default, "nav.login") {
		t.Errorf("unknown language = %q", got)
	}
	for s, want := range map[string]i18n.Lang{"de": "de", " EN ": "en", "xx": "", "": ""} {
		if got, ok := i18n.Parse(s); got != want || ok != (want != "") {
			t.Errorf("Parse(%q) = %q, %v", s, got, ok)
		}
	}
	if got := i18n.Match("fr-CH, en;q=0.8"); got != "en" && got != "fr" {
		t.Errorf("Match = %q", got)
	}
	if got := i18n.Fallbacks("fr"); !slices.Equal(got, []i18n.Lang{"fr", "en", "de"}) {
		t.Errorf("Fallbacks(fr) = %v", got)
	}
}

// Dates are written as each language writes them, in the zone given, not the process's.
func TestDates(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC) // already 1 March in Berlin
	for _, tc := range []struct {
		lang               i18n.Lang
		date, dt, num, pct string
	}{
		{"de", "1.\u00a0März 2026", "01.03.2026, 00:30", "01.03.2026", "42\u00a0%"},
		{"en", "1\u00a0March 2026", "1\u00a0Mar 2026, 00:30", "2026-03-01", "42%"},
	} {
		if got := i18n.Date(tc.lang, at, berlin); got != tc.date {
			t.Errorf("%s Date = %q, want %q", tc.lang, got, tc.date)
		}
		if got := i18n.DateTime(tc.lang, at, berlin); got != tc.dt {
			t.Errorf("%s DateTime = %q, want %q", tc.lang, got, tc.dt)
		}
		if got := i18n.NumericDate(tc.lang, at, berlin); got != tc.num {
			t.Errorf("%s NumericDate = %q, want %q", tc.lang, got, tc.num)
		}
		if got := i18n.Percent(tc.lang, 42); got != tc.pct {
			t.Errorf("%s Percent = %q, want %q", tc.lang, got, tc.pct)
		}
	}
	if got := i18n.Date("de", at, time.UTC); got != "28.\u00a0Februar 2026" {
		t.Errorf("UTC date = %q", got)
	}
	if got := i18n.Date("de", time.Time{}, berlin); got != "–" {
		t.Errorf("zero date = %q", got)
	}
}

// The texts follow each language's typography, so that no page needs a fix-up: no plural
// makeshifts such as "Minute(n)" or "minute(s)" (i18n.N has real plural forms), a no-break space
// between a number and "%" in German and French (none in English and Italian), English quotation
// marks in English, and a plural text has every form its language needs.
func TestTypography(t *testing.T) {
	files, err := filepath.Glob("catalogs/*.yaml")
	if err != nil || len(files) < 8 {
		t.Fatalf("catalog files: %v %v", files, err)
	}
	makeshift := regexp.MustCompile(`\p{L}\((n|en|s|e|r|in|innen|e\)s)\)`)
	spaceBeforePercent := regexp.MustCompile(`[ \t]%`)
	anySpaceBeforePercent := regexp.MustCompile(`[\s\x{00a0}\x{202f}]%`)
	plural := regexp.MustCompile(`(?m)^([a-z0-9_.]+):\n  (zero|one|two|few|many|other):`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lang := i18n.Lang(strings.Split(filepath.Base(f), ".")[1])
		// Mail bodies are plain text for mail programs; the page rules are checked everywhere else.
		for i, line := range strings.Split(string(src), "\n") {
			at := fmt.Sprintf("%s:%d", f, i+1)
			if m := makeshift.FindString(line); m != "" {
				t.Errorf("%s: %q: use a plural form (i18n.N) instead", at, m)
			}
			switch lang {
			case "de", "fr":
				if spaceBeforePercent.MatchString(line) {
					t.Errorf("%s: a normal space before %%: use a no-break space (i18n.Percent)", at)
				}
			case "en", "it":
				if anySpaceBeforePercent.MatchString(line) {
					t.Errorf("%s: a space before %%", at)
				}
			}
			if lang == "en" && strings.ContainsAny(line, "„«»") {
				t.Errorf("%s: German or French quotation marks in English", at)
			}
		}
		for _, m := range plural.FindAllStringSubmatch(string(src), -1) {
			for _, n := range []int{0, 1, 2, 3, 5, 21, 1000000} {
				if got := i18n.N(lang, m[1], n); strings.HasPrefix(got, "[") {
					t.Errorf("%s: %s lacks the plural form for %d", f, m[1], n)
				}
			}
		}
	}
}

// Every language has a name in every language, for the pages that show a person's language.
func TestEveryLanguageIsNamedInEveryLanguage(t *testing.T) {
	for _, ui := range i18n.Languages() {
		for _, l := range i18n.Languages() {
			if got := i18n.T(ui, "admin.lang."+string(l)); strings.HasPrefix(got, "[") {
				t.Errorf("%s has no name for %s: %s", ui, l, got)
			}
		}
	}
}
