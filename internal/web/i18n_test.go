package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"saferspaces/internal/i18n"
	webfs "saferspaces/web"
)

func TestRequestLanguage(t *testing.T) {
	for _, tc := range []struct {
		user, cookie, accept string
		want                 i18n.Lang
	}{
		{"en", "de", "de", "en"},     // the signed-in user's setting wins
		{"", "en", "de", "en"},       // then the switch's cookie
		{"", "xx", "en-GB,de", "en"}, // an unknown cookie is ignored
		{"", "", "en-US;q=0.9", "en"},
		{"", "", "ja", i18n.Default},
		{"", "", "", i18n.Default},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if got := requestLanguage(r, tc.user); got != tc.want {
			t.Errorf("%+v: %q", tc, got)
		}
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
	uses := regexp.MustCompile(`(?:\b[tn] \$?\.Lang|i18n\.[TN]\([^,()]+,) "([a-z0-9_.]+)"\s*[,)}]`)
	var sources []string
	fs.WalkDir(webfs.Templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(webfs.Templates, p)
			sources = append(sources, p+"\x00"+string(b))
		}
		return nil
	})
	goFiles, _ := filepath.Glob("../*/*.go")
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
			for _, lang := range i18n.Languages() {
				if !i18n.Has(lang, m[1]) {
					t.Errorf("%s: key %q missing in %s", name, m[1], lang)
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("found only %d key uses; is the pattern still right?", n)
	}
}
