package account_test

import (
	"context"
	"strings"
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

func TestCreateAccount(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	c, err := e.acc.CreateCohort(ctx, audit.CLI, "Kohorte A", "")
	if err != nil {
		t.Fatal(err)
	}
	u, link, err := e.acc.CreateAccount(ctx, audit.CLI, account.NewAccount{Email: " lea@stadt.example ", Name: "Lea  Lernt",
		Cohort: "kohorte a", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "lea@stadt.example" || u.Name != "Lea Lernt" || u.Role != account.RoleLearner || u.Status != account.StatusApproved ||
		u.CohortID != c.ID || u.Lang != "en" || u.Active() {
		t.Errorf("created %+v", u)
	}
	var to, body, lang string
	e.db.R.QueryRow(`SELECT to_addr, body, lang FROM mail_outbox WHERE kind = 'activation'`).Scan(&to, &body, &lang)
	if to != u.Email || lang != "en" || !strings.Contains(body, link) {
		t.Errorf("activation mail to %q (%s) without the link %s:\n%s", to, lang, link, body)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'user.created' AND actor = 'cli' AND target_id = ?`, u.ID); n != 1 {
		t.Errorf("%d user.created lines", n)
	}

	tr, _, err := e.acc.CreateAccount(ctx, audit.CLI, account.NewAccount{Email: "tom@stadt.example", Name: "Tom", Role: account.RoleTrainer, Cohort: "Kohorte A"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.CohortID != 0 || e.count(`SELECT count(*) FROM cohort_trainers WHERE cohort_id = ? AND user_id = ?`, c.ID, tr.ID) != 1 {
		t.Error("a trainer created with --cohort must lead it, not join it")
	}

	for name, c := range map[string]struct {
		in   account.NewAccount
		kind errs.Kind
		msg  string
	}{
		"existing address": {account.NewAccount{Email: "LEA@stadt.example", Name: "Lea"}, errs.Conflict, "already exists"},
		"unknown cohort":   {account.NewAccount{Email: "neu@stadt.example", Name: "Neu", Cohort: "Gibt es nicht"}, errs.Invalid, "saferspaces cohort create"},
		"bad role":         {account.NewAccount{Email: "neu@stadt.example", Name: "Neu", Role: "root"}, errs.Invalid, "role"},
		"bad e-mail":       {account.NewAccount{Email: "neu at stadt", Name: "Neu"}, errs.Invalid, "e-mail"},
		"no name":          {account.NewAccount{Email: "neu@stadt.example"}, errs.Invalid, "name"},
	} {
		_, _, err := e.acc.CreateAccount(ctx, audit.CLI, c.in)
		if !errs.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEnsureDemoIsIdempotent(t *testing.T) {
	e := newAuthEnv(t)
	ctx := context.Background()
	first, err := e.acc.EnsureDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 {
		t.Fatalf("%d demo accounts", len(first))
	}
	for _, d := range first {
		if d.Existed || len(d.Password) != 16 {
			t.Errorf("%+v", d)
		}
		u, err := e.acc.Authenticate(ctx, d.Email, d.Password, "192.0.2.1")
		if err != nil || u.Role != d.Role {
			t.Errorf("demo %s cannot sign in: %v", d.Role, err)
		}
		if needs, err := e.acc.NeedsAcceptance(ctx, u.ID); err != nil || needs {
			t.Errorf("demo %s must accept the declaration first (%v)", d.Role, err)
		}
	}
	c, err := e.acc.CohortByCode(ctx, account.DemoCohortCode)
	if err != nil || c.Name != account.DemoCohortName || c.Members != 1 || c.Trainers != 1 {
		t.Errorf("demo cohort %+v, %v", c, err)
	}
	again, err := e.acc.EnsureDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range again {
		if !d.Existed || d.Password != "" {
			t.Errorf("second run: %+v", d)
		}
	}
	if _, err := e.acc.Authenticate(ctx, first[0].Email, first[0].Password, "192.0.2.1"); err != nil {
		t.Errorf("second run changed the password: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM users`); n != 3 {
		t.Errorf("%d users after two runs", n)
	}
}
