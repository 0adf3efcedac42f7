package audit_test

import (
	"testing"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/testkit"
)

func TestRecordListAndPseudonymise(t *testing.T) {
	db := testkit.OpenDB(t)
	ctx := t.Context()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	events := []audit.Event{
		{At: at, Actor: "admin@stadt.example", ActorID: 1, Action: "registration.approved", TargetID: 7, Target: "erika@stadt.example", IP: "192.0.2.1"},
		{At: at.Add(time.Minute), Actor: "erika@stadt.example", ActorID: 7, Action: "login.succeeded", IP: "192.0.2.7"},
		{At: at.Add(2 * time.Minute), Actor: "100%_sure@stadt.example", Action: "login.failed", IP: "192.0.2.9"},
	}
	for _, e := range events {
		if err := audit.Record(ctx, db.W, e); err != nil {
			t.Fatal(err)
		}
	}
	all, total, err := audit.List(ctx, db.R, "", 10, 0)
	if err != nil || total != 3 || len(all) != 3 {
		t.Fatalf("List = %d of %d, %v", len(all), total, err)
	}
	if all[0].Action != "login.failed" || !all[2].At.Equal(at) {
		t.Errorf("not newest first: %+v", all)
	}
	// LIKE wildcards in the filter are taken literally.
	if got, n, _ := audit.List(ctx, db.R, "%_", 10, 0); n != 1 || got[0].Actor != "100%_sure@stadt.example" {
		t.Errorf("filter %%_ matched %d events", n)
	}
	if _, n, _ := audit.List(ctx, db.R, "erika", 10, 0); n != 2 {
		t.Errorf("filter erika matched %d events, want 2", n)
	}
	if page, n, _ := audit.List(ctx, db.R, "", 1, 1); n != 3 || len(page) != 1 || page[0].Action != "login.succeeded" {
		t.Errorf("second page of one: %+v", page)
	}

	// A failed sign-in names the typed address only, without an id.
	if err := audit.Record(ctx, db.W, audit.Event{At: at, Actor: "Erika@Stadt.example", Action: "login.failed"}); err != nil {
		t.Fatal(err)
	}
	if err := audit.Pseudonymise(ctx, db.W, 7, "erika@stadt.example", "typed:0123", "user #7"); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := audit.List(ctx, db.R, "erika", 10, 0); n != 0 {
		t.Errorf("erased person still in %d audit lines", n)
	}
	if _, n, _ := audit.List(ctx, db.R, "user #7", 10, 0); n != 3 {
		t.Errorf("pseudonym in %d lines, want 3", n)
	}
}
