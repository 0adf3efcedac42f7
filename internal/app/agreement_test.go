package app_test

import (
	"context"
	"io"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/app"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/testkit"
	"saferspaces/internal/xapi"
)

// The trainer's matrix, the learner's dashboard and the xAPI export share one progress rule
// (learning.Units); this guards the wiring: for a cohort with mixed progress, all three say the
// same percentage and completion for every learner and module.
func TestProgressAgreesAcrossViews(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	cfg := config.Default()
	cfg.BaseURL, cfg.Data = "https://ss.example", t.TempDir()
	cat := testkit.Catalog(t,
		testkit.Module{ID: "alpha", Lessons: []string{"one", "two", "three"}},
		testkit.Module{ID: "beta", Lessons: []string{"four"}})
	svc := app.New(app.Parts{Config: cfg, DB: testkit.OpenDB(t), Content: cat, Log: testkit.Logger(io.Discard), Now: clock.Now})

	cohort, err := svc.Accounts.CreateCohort(ctx, audit.CLI, "Nord", "")
	if err != nil {
		t.Fatal(err)
	}
	pass := map[string][]string{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"x"}}
	fail := map[string][]string{"q1": {"b"}, "q2": {"c"}, "q3": {"y"}}
	type step func(id int64) error
	lesson := func(m, l string) step {
		return func(id int64) error { _, err := svc.Learning.CompleteLesson(ctx, id, m, l); return err }
	}
	check := func(m string, answers map[string][]string) step {
		return func(id int64) error { _, err := svc.Learning.SubmitCheck(ctx, id, m, answers); return err }
	}
	learners := map[string][]step{
		"anna@example.org":  {lesson("alpha", "one"), lesson("alpha", "two"), lesson("alpha", "three"), check("alpha", fail), check("alpha", pass), lesson("beta", "four")},
		"bernd@example.org": {lesson("alpha", "two")},
		"clara@example.org": {check("beta", pass), lesson("beta", "four"), check("alpha", pass)},
		"dora@example.org":  nil,
	}
	ids := map[int64]string{}
	for email, steps := range learners {
		u, _, err := svc.Accounts.CreateAccount(ctx, audit.CLI, account.NewAccount{Email: email, Name: "Test " + email, Cohort: "Nord"})
		if err != nil {
			t.Fatal(err)
		}
		ids[u.ID] = email
		for _, st := range steps {
			clock.Advance(time.Hour)
			if err := st(u.ID); err != nil {
				t.Fatal(err)
			}
		}
	}

	// What the xAPI export last said about each learner and module.
	type state struct {
		percent  int
		complete bool
	}
	exported := map[string]state{}
	err = svc.XAPI.Statements(ctx, func(st *xapi.Statement) error {
		if st.Object.Definition == nil || st.Object.Definition.Type != xapi.TypeModule || st.Result == nil {
			return nil
		}
		pct, _ := st.Result.Extensions[xapi.ExtProgress].(float64) // as read back from the stored JSON
		exported[st.Actor.Account.Name+" "+st.Object.ID] = state{int(pct), st.Verb.ID == xapi.VerbCompleted}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	rep, err := svc.Reports.Report(ctx, cohort.ID, 0, account.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Learners) != len(learners) {
		t.Fatalf("%d learners in the matrix, want %d", len(rep.Learners), len(learners))
	}
	compared := 0
	for _, l := range rep.Learners {
		mods, prog, err := svc.Learning.Dashboard(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Percent != prog.Percent || l.ModulesDone != prog.ModulesDone {
			t.Errorf("%s: matrix says %d %% and %d modules, dashboard %d %% and %d", ids[l.ID], l.Percent, l.ModulesDone, prog.Percent, prog.ModulesDone)
		}
		for i, cell := range l.Cells {
			dash := mods[i]
			if cell.Percent != dash.Percent || cell.Complete != dash.Complete {
				t.Errorf("%s %s: matrix %d %% complete=%v, dashboard %d %% complete=%v",
					ids[l.ID], dash.Module.ID, cell.Percent, cell.Complete, dash.Percent, dash.Complete)
			}
			actor, err := svc.XAPI.ActorName(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			x, ok := exported[actor+" "+cfg.BaseURL+"/modules/"+dash.Module.ID]
			if dash.Percent == 0 {
				if ok {
					t.Errorf("%s %s: exported %+v without progress", ids[l.ID], dash.Module.ID, x)
				}
				continue
			}
			if !ok || x.percent != dash.Percent || x.complete != dash.Complete {
				t.Errorf("%s %s: xAPI %+v (found %v), dashboard %d %% complete=%v",
					ids[l.ID], dash.Module.ID, x, ok, dash.Percent, dash.Complete)
			}
			compared++
		}
	}
	if compared < 4 {
		t.Fatalf("only %d learner × module pairs with progress compared", compared)
	}
}
