package account_test

import (
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
)

// Sort and search keys follow the name; erasure wipes them in its own transaction.
func TestSortKeysFollowNamesAndErasure(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	id := g.user("juergen.mueller@example.org", account.RoleLearner, account.StatusApproved, "de")
	g.db.W.Exec(`UPDATE users SET name = 'Jürgen MÜLLER', organisation = 'Ordnungsamt Köln' WHERE id = ?`, id)
	if err := g.svc.EnsureSortKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	var search, org string
	var key []byte
	row := func() {
		t.Helper()
		if err := g.db.R.QueryRow(`SELECT search, org_fold, coalesce(sort_name, x'') FROM users WHERE id = ?`, id).Scan(&search, &org, &key); err != nil {
			t.Fatal(err)
		}
	}
	row()
	if search != "jürgen müller juergen.mueller@example.org ordnungsamt köln" || org != "ordnungsamt köln" || len(key) == 0 {
		t.Errorf("keys: search %q, org %q, key %d bytes", search, org, len(key))
	}
	if err := g.svc.Erase(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id); err != nil {
		t.Fatal(err)
	}
	row()
	if search != "" || org != "" || len(key) != 0 {
		t.Errorf("after erasure the old name lingers: search %q, org %q", search, org)
	}
	if err := g.svc.EnsureSortKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	row()
	if search == "" || len(key) == 0 {
		t.Errorf("keys of the erased row were not made again from its placeholder: %q", search)
	}
}
