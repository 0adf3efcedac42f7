package content_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"saferspaces/internal/content"
)

// checkOutcome asserts the contract every input must keep: a catalog, or a *ValidationError
// whose problems are all located in a file.
func checkOutcome(t *testing.T, fsys fstest.MapFS) {
	t.Helper()
	cat, err := content.Load(fsys)
	if err == nil {
		if cat == nil || len(cat.Modules) != 1 {
			t.Fatalf("Load returned no error but catalog %+v", cat)
		}
		return
	}
	var verr *content.ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) == 0 {
		t.Fatalf("Load error %T %v is not a non-empty *ValidationError", err, err)
	}
	for _, p := range verr.Problems {
		if p.File == "" || p.Line < 0 || p.Message == "" {
			t.Fatalf("badly located problem %#v", p)
		}
	}
}

// FuzzLoadModuleYAML feeds arbitrary bytes as module.yaml and check.yaml: authors make every
// mistake eventually, and none of them may crash the server at start-up.
func FuzzLoadModuleYAML(f *testing.F) {
	f.Add([]byte(moduleYAML), []byte(checkYAML))
	f.Add([]byte("id: [x\n"), []byte("questions:\n  - &a {id: x}\n  - *a\n"))
	f.Add([]byte("---\n---\n"), []byte("pass_mark: 0x10\nquestions: {}\n"))
	f.Add([]byte("title: !!binary aGk=\n"), []byte("? [a]\n: b\n"))
	f.Fuzz(func(t *testing.T, module, check []byte) {
		fsys := validFS()
		fsys["01-basics/module.yaml"] = &fstest.MapFile{Data: module}
		fsys["01-basics/check.yaml"] = &fstest.MapFile{Data: check}
		checkOutcome(t, fsys)
	})
}

// FuzzLoadLesson does the same for a lesson file, whose front matter is split by hand.
func FuzzLoadLesson(f *testing.F) {
	f.Add([]byte(startEN))
	f.Add([]byte("---\r\ntitle: x\r\n---"))
	f.Add([]byte("\ufeff---\n---\n[x](/modules/)"))
	f.Add([]byte("---\ntitle: x\n---\n[](/modules/a/lessons)\n<div>\n"))
	f.Fuzz(func(t *testing.T, lesson []byte) {
		fsys := validFS()
		fsys["01-basics/lessons/01-start.en.md"] = &fstest.MapFile{Data: lesson}
		checkOutcome(t, fsys)
	})
}
