package main

import (
	"errors"
	"strings"
	"testing"
)

// The operator's cohort commands: a person in two cohorts, a trainer added and removed, a cohort
// renamed, archived (then read-only) and restored, and clear errors for what does not exist.
func TestCohortCommands(t *testing.T) {
	data := migratedData(t)
	must := func(args ...string) string {
		t.Helper()
		out, errOut, err := runCmd(t, append(args[:2:2], append([]string{"--data", data}, args[2:]...)...)...)
		if err != nil {
			t.Fatalf("%q: %v\n%s", args, err, errOut)
		}
		return out
	}
	must("cohort", "create", "--name", "Herbst 2026", "--starts", "2026-09-01", "--due", "2026-11-30")
	must("cohort", "create", "--name", "Auffrischung 2027")
	must("user", "create", "--email", "lea@stadt.example", "--name", "Lea Lernt")
	must("user", "create", "--email", "tom@stadt.example", "--name", "Tom Trainer", "--role", "trainer")

	if out := must("cohort", "add", "--cohort", "herbst 2026", "--email", "LEA@stadt.example"); !strings.Contains(out, `lea@stadt.example is now a member of cohort "Herbst 2026"`) {
		t.Errorf("add: %q", out)
	}
	must("cohort", "add", "--cohort", "Auffrischung 2027", "--email", "lea@stadt.example")
	must("cohort", "add", "--cohort", "Herbst 2026", "--email", "tom@stadt.example", "--role", "trainer")
	if n := countRows(t, data, `SELECT count(*) FROM cohort_members`); n != 2 {
		t.Errorf("%d memberships, want Lea in both cohorts", n)
	}
	// A learner cannot lead; an unknown person or cohort is named.
	for _, args := range [][]string{
		{"cohort", "add", "--data", data, "--cohort", "Herbst 2026", "--email", "lea@stadt.example", "--role", "trainer"},
		{"cohort", "add", "--data", data, "--cohort", "Herbst 2026", "--email", "nobody@stadt.example"},
		{"cohort", "add", "--data", data, "--cohort", "Winter", "--email", "lea@stadt.example"},
	} {
		if _, _, err := runCmd(t, args...); err == nil || errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want a clear error", args, err)
		}
	}
	if _, errOut, err := runCmd(t, "cohort", "add", "--data", data, "--cohort", "Herbst 2026"); !errors.Is(err, errUsage) || !strings.Contains(errOut, "--email") {
		t.Errorf("missing --email: %v %q", err, errOut)
	}

	out := must("cohort", "list")
	for _, want := range []string{"Herbst 2026", "2026-09-01", "2026-11-30", "tom@stadt.example", "Auffrischung 2027"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	must("cohort", "rename", "--cohort", "Herbst 2026", "--name", "Herbst 2026 (Köln)")
	must("cohort", "remove", "--cohort", "Herbst 2026 (Köln)", "--email", "tom@stadt.example", "--role", "trainer")
	must("cohort", "archive", "--cohort", "Herbst 2026 (Köln)")
	if out := must("cohort", "list"); strings.Contains(out, "Herbst") {
		t.Errorf("an archived cohort is in the default list:\n%s", out)
	}
	if out := must("cohort", "list", "--archived"); !strings.Contains(out, "Herbst 2026 (Köln)") || !strings.Contains(out, "archived") {
		t.Errorf("list --archived:\n%s", out)
	}
	// Archived means read-only.
	_, _, err := runCmd(t, "cohort", "remove", "--data", data, "--cohort", "Herbst 2026 (Köln)", "--email", "lea@stadt.example")
	if err == nil || !strings.Contains(err.Error(), "archived") {
		t.Errorf("remove from an archived cohort: %v", err)
	}
	must("cohort", "restore", "--cohort", "Herbst 2026 (Köln)")
	must("cohort", "remove", "--cohort", "Herbst 2026 (Köln)", "--email", "lea@stadt.example")
	if n := countRows(t, data, `SELECT count(*) FROM cohort_members`); n != 1 {
		t.Errorf("%d memberships after removing Lea from one", n)
	}
	if n := countRows(t, data, `SELECT count(*) FROM audit_log WHERE actor = 'cli' AND action LIKE 'cohort.%'`); n < 8 {
		t.Errorf("%d audit lines for the cohort commands", n)
	}
	out = must("cohort", "remind", "--cohort", "Auffrischung 2027")
	if !strings.Contains(out, "0 reminders queued") {
		t.Errorf("remind of a fresh cohort: %q", out)
	}
}
