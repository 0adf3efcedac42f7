package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The rules of docs/architecture.md that the compiler does not enforce, read from the code:
// HTTP stays in internal/web, web reaches the database only through the feature services, and
// no package sets the process's time zone (the operator's zone is a value that is passed).
func TestArchitectureRules(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && strings.HasPrefix(name, ".") || name == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		test := strings.HasSuffix(rel, "_test.go")
		inWeb := strings.HasPrefix(rel, "internal/web/")
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case !test && strings.HasPrefix(rel, "internal/") && !inWeb && strings.HasPrefix(p, "net/http"):
				t.Errorf("%s imports %s: HTTP belongs to internal/web", rel, p)
			case !test && inWeb && p == "saferspaces/internal/sqlite":
				t.Errorf("%s imports %s: web uses the feature services, not the database", rel, p)
			}
		}
		full, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(full, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok {
				return true
			}
			for _, lhs := range as.Lhs {
				if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Local" {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == "time" {
						t.Errorf("%s: assigns time.Local; pass the operator's *time.Location instead", fset.Position(as.Pos()))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked; is the walk still right?", checked)
	}
}
