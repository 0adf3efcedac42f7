package account_test

import (
	"testing"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
)

// One person, one account: the same address with the domain in other letters is the same address.
func TestAddressesDifferingInDomainCaseAreOneAccount(t *testing.T) {
	e := newAuthEnv(t)
	u, _ := e.create("Jörg@MÜNCHEN.example", account.RoleLearner)
	if u.Email != "Jörg@münchen.example" {
		t.Errorf("stored as %q", u.Email)
	}
	if _, _, err := e.acc.CreateAccount(t.Context(), audit.Actor{Email: "test"}, account.NewAccount{Email: "jörg@münchen.example", Name: "Zweiter", Role: account.RoleLearner}); err == nil {
		t.Error("a second account for the same address in other letters")
	}
	if got, err := e.acc.UserByEmail(t.Context(), " Jörg@München.EXAMPLE "); err != nil || got.ID != u.ID {
		t.Errorf("lookup with another spelling of the domain: %v, %v", got, err)
	}
}
