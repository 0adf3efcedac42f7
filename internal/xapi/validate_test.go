package xapi_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/xapi"
)

// validator finds Learning Locker's xapi-validation package (npm), which .ci/run installs into
// .ci/node_modules, and node. Without them the test is skipped with a message — unless
// SAFERSPACES_REQUIRE_BROWSER is set (as in CI), then it fails, like the browser test.
func validator(t *testing.T) (node, pkg string) {
	t.Helper()
	require := os.Getenv("SAFERSPACES_REQUIRE_BROWSER") != ""
	missing := func(what string) {
		if require {
			t.Fatalf("%s is missing and SAFERSPACES_REQUIRE_BROWSER is set (.ci/run installs it)", what)
		}
		t.Skipf("%s is missing; run .ci/run once to install it", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node")
	}
	pkg = os.Getenv("SAFERSPACES_XAPI_VALIDATION")
	if pkg == "" {
		pkg, _ = filepath.Abs(filepath.Join("..", "..", ".ci", "node_modules", "xapi-validation"))
	}
	if _, err := os.Stat(filepath.Join(pkg, "package.json")); err != nil {
		missing("the npm package xapi-validation (" + pkg + ")")
	}
	return node, pkg
}

// validateJS checks every line of stdin as an xAPI statement and prints each problem.
const validateJS = `
const validate = require(process.argv[1]).default;
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
let bad = 0;
lines.forEach((line, i) => {
  const warnings = validate(JSON.parse(line));
  if (warnings.length) {
    bad++;
    console.log('statement ' + (i + 1) + ': ' + warnings.map(w => (w.path || []).join('.') + ' (' + w.constructor.name + ')').join(', ') + '\n  ' + line);
  }
});
console.log(lines.length + ' statements checked, ' + bad + ' invalid');
process.exit(bad ? 1 : 0);
`

// Every kind of statement the platform makes — backfilled, recorded live (lessons, passed and
// failed attempts, progress, module and programme completion) and voiding — passes the
// xapi-validation package of Learning Locker.
func TestStatementsPassXAPIValidation(t *testing.T) {
	node, pkg := validator(t)
	var all bytes.Buffer

	db, _, _ := seed(t)
	var buf bytes.Buffer
	backfilled := newServiceOn(t, db)
	if err := backfilled.Export(t.Context(), &buf, audit.CLI, "validation"); err != nil {
		t.Fatal(err)
	}
	all.Write(buf.Bytes())

	l := newLive(t)
	berta := l.learner("berta@example.org", "de")
	l.work(berta)
	l.clock.Advance(time.Hour)
	if err := l.svc.Accounts.Erase(l.ctx, audit.Actor{Email: "admin@example.org"}, berta.ID); err != nil {
		t.Fatal(err)
	}
	out, sts := export(t, l.svc.XAPI)
	all.WriteString(out)
	kinds := map[string]bool{}
	for _, s := range sts {
		kinds[s.Verb.ID] = true
	}
	if len(kinds) != 5 {
		t.Fatalf("the live statements have %d verbs, want all 5: %v", len(kinds), kinds)
	}

	n := strings.Count(all.String(), "\n")
	cmd := exec.Command(node, "-e", validateJS, "--", pkg)
	cmd.Stdin = &all
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xapi-validation: %v\n%s", err, res)
	}
	if !strings.Contains(string(res), fmt.Sprintf("%d statements checked, 0 invalid", n)) || n < 20 {
		t.Fatalf("xapi-validation checked too little (%d lines): %s", n, res)
	}
	t.Log(strings.TrimSpace(string(res)))
}

func newServiceOn(t *testing.T, db *sqlite.DB) *xapi.Service {
	return xapi.New(db, testCatalog(t), base, time.Now)
}
