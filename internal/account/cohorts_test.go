package account_test

import (
	"context"
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

func TestCohorts(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	a, err := e.acc.CreateCohort(ctx, audit.CLI, "  Frühjahr   2026 ", "fj-2026")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Frühjahr 2026" || a.Code != "fj-2026" || a.CreatedAt.IsZero() {
		t.Errorf("created %+v", a)
	}
	b, err := e.acc.CreateCohort(ctx, audit.CLI, "Herbst 2026", "")
	if err != nil || b.Code != "" {
		t.Fatalf("cohort without code: %+v, %v", b, err)
	}
	if _, err := e.acc.CreateCohort(ctx, audit.CLI, "Winter 2026", ""); err != nil {
		t.Fatalf("a second cohort without code: %v", err)
	}
	for name, c := range map[string][2]string{
		"duplicate name":       {"frühjahr 2026", ""},
		"duplicate code":       {"Sommer 2026", "FJ-2026"},
		"code with space":      {"Sommer 2026", "fj 2026"},
		"code with slash":      {"Sommer 2026", "a/b"},
		"name too short":       {"S", ""},
		"name only whitespace": {"   ", ""},
	} {
		_, err := e.acc.CreateCohort(ctx, audit.CLI, c[0], c[1])
		if !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := e.acc.CreateCohort(ctx, audit.CLI, "Frühjahr 2026", ""); !errs.Is(err, errs.Conflict) {
		t.Errorf("duplicate name: %v, want Conflict", err)
	}

	// NOCASE folds ASCII letters only.
	if c, err := e.acc.CohortByName(ctx, "FRüHJAHR 2026"); err != nil || c.ID != a.ID {
		t.Errorf("by name: %v, %v", c, err)
	}
	if c, err := e.acc.CohortByCode(ctx, "Fj-2026"); err != nil || c.ID != a.ID {
		t.Errorf("by code: %v, %v", c, err)
	}
	if _, err := e.acc.CohortByCode(ctx, ""); !errs.Is(err, errs.NotFound) {
		t.Errorf("empty code: %v", err)
	}

	learner, _ := e.create("lea.lernt@stadt.example", account.RoleLearner)
	trainer, _ := e.create("tom.trainer@stadt.example", account.RoleTrainer)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.acc.SetUserCohort(ctx, audit.CLI, learner.ID, a.ID))
	must(e.acc.SetUserCohort(ctx, audit.CLI, learner.ID, a.ID)) // same again: fine
	must(e.acc.SetUserCohort(ctx, audit.CLI, learner.ID, b.ID)) // a second cohort: a person may be in several
	must(e.acc.AddCohortTrainer(ctx, audit.CLI, a.ID, trainer.ID))
	must(e.acc.AddCohortTrainer(ctx, audit.CLI, a.ID, trainer.ID))
	must(e.acc.AddCohortTrainer(ctx, audit.CLI, b.ID, trainer.ID))
	u, _ := e.acc.UserByID(ctx, learner.ID)
	if u.CohortID != b.ID {
		t.Errorf("learner in cohort %d, want %d", u.CohortID, b.ID)
	}
	list, err := e.acc.Cohorts(ctx, true)
	if err != nil || len(list) != 3 {
		t.Fatalf("Cohorts = %v, %v", list, err)
	}
	counts := map[string][2]int{}
	for _, c := range list {
		counts[c.Name] = [2]int{c.Members, c.Trainers}
	}
	if counts["Frühjahr 2026"] != [2]int{1, 1} || counts["Herbst 2026"] != [2]int{1, 1} {
		t.Errorf("members/trainers = %v", counts)
	}
	must(e.acc.SetUserCohort(ctx, audit.CLI, learner.ID, 0))
	if u, _ := e.acc.UserByID(ctx, learner.ID); u.CohortID != 0 {
		t.Error("SetCohort 0 kept the membership")
	}
}
