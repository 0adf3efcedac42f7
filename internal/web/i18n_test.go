package web

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	webfs "saferspaces/web"
)

// Every interface text must exist in both languages: a key missing in one catalog would show as
// [key] to half of the users.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	keys := map[string]map[string]bool{}
	files, _ := fs.Glob(webfs.I18n, "i18n/*.yaml")
	for _, f := range files {
		b, err := fs.ReadFile(webfs.I18n, f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		parts := strings.Split(f, ".")
		lang := parts[len(parts)-2]
		if keys[lang] == nil {
			keys[lang] = map[string]bool{}
		}
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", f, k)
			}
			keys[lang][k] = true
		}
	}
	if len(keys) != len(Languages) {
		t.Fatalf("catalog languages = %v, want %v", slices.Collect(maps.Keys(keys)), Languages)
	}
	for k := range keys["de"] {
		if !keys["en"][k] {
			t.Errorf("%s: in German, missing in English", k)
		}
	}
	for k := range keys["en"] {
		if !keys["de"][k] {
			t.Errorf("%s: in English, missing in German", k)
		}
	}
}

func TestRequestLanguage(t *testing.T) {
	tr, err := NewTranslator(webfs.I18n)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.T("en", "nav.login"); got != "Sign in" {
		t.Errorf("en nav.login = %q", got)
	}
	if got := tr.T("de", "nav.login"); got != "Anmelden" {
		t.Errorf("de nav.login = %q", got)
	}
	if got := tr.T("de", "no.such.key"); got != "[no.such.key]" {
		t.Errorf("missing key = %q", got)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/modules/x":           "/modules/x",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"":                     "/",
		"/a\r\nSet-Cookie: x":  "/",
		"/\t/evil.example/x":   "/",
		"/\x00/evil.example":   "/",
		"/%09/evil.example":    "/%09/evil.example", // percent-encoded: a path on this site
		"/modules/x?next=1":    "/modules/x?next=1",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every literal key that a template or handler asks for exists in the catalogs; a typo would
// otherwise show as [key] on a page that no test happens to render.
func TestUsedKeysExist(t *testing.T) {
	tr, err := NewTranslator(webfs.I18n)
	if err != nil {
		t.Fatal(err)
	}
	uses := regexp.MustCompile(`(?:\bt \$?\.Lang|\.T\([^,()]+,) "([a-z0-9_.]+)"`)
	var sources []string
	fs.WalkDir(webfs.Templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(webfs.Templates, p)
			sources = append(sources, p+"\x00"+string(b))
		}
		return nil
	})
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		sources = append(sources, f+"\x00"+string(b))
	}
	n := 0
	for _, src := range sources {
		name, body, _ := strings.Cut(src, "\x00")
		for _, m := range uses.FindAllStringSubmatch(body, -1) {
			n++
			for _, lang := range Languages {
				if got := tr.T(lang, m[1]); got == "["+m[1]+"]" {
					t.Errorf("%s: key %q missing in %s", name, m[1], lang)
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("found only %d key uses; is the pattern still right?", n)
	}
}
