package web_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"saferspaces/internal/i18n"
	"saferspaces/web"
)

// quotedKey is a string literal that looks like a catalog key: "area.part.part".
var quotedKey = regexp.MustCompile(`"([a-z]+(?:\.[a-z0-9_]+)+)"`)

// isPrefix reports whether s begins keys of lang: a handler passes "reg.error" and a field's
// errors are "reg.error.name.required".
func isPrefix(lang i18n.Lang, s string) bool {
	for _, k := range i18n.Keys(lang) {
		if strings.HasPrefix(k, s) && (strings.HasSuffix(s, "_") || strings.HasPrefix(k[len(s):], ".")) {
			return true
		}
	}
	return false
}

// Every catalog key a template or a handler names exists in every language: a missing one shows
// as "[area.key]" on the page (as trainer.cell.check once did on the learner detail). A literal that
// begins keys (the prefix of a form's field errors) counts; keys built at run time
// ("legal." + page + ".title") are checked by the pages' own tests.
func TestEveryKeyNamedInTemplatesAndHandlersExists(t *testing.T) {
	areas := map[string]bool{}
	for _, k := range i18n.Keys(i18n.Default) {
		areas[strings.SplitN(k, ".", 2)[0]] = true
	}
	type use struct{ key, where string }
	var uses []use
	scan := func(where string, b []byte) {
		for _, m := range quotedKey.FindAllSubmatch(b, -1) {
			k := string(m[1])
			if ext := filepath.Ext(k); ext == ".csv" || ext == ".xlsx" || ext == ".png" || ext == ".pdf" || ext == ".html" || ext == ".css" || ext == ".js" {
				continue
			}
			if areas[strings.SplitN(k, ".", 2)[0]] {
				uses = append(uses, use{k, where})
			}
		}
	}
	err := fs.WalkDir(web.Templates, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := fs.ReadFile(web.Templates, p)
		scan(p, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gos, _ := filepath.Glob("*.go")
	for _, f := range gos {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scan(f, b)
	}
	if len(uses) < 500 {
		t.Fatalf("found only %d keys: the scan does not see the templates", len(uses))
	}
	for _, u := range uses {
		for _, lang := range i18n.Languages() {
			if !i18n.Has(lang, u.key) && !isPrefix(lang, u.key) {
				t.Errorf("%s names %q, which the %s catalog does not have", u.where, u.key, lang)
			}
		}
	}
}
