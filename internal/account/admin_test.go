package account_test

import (
	"crypto/sha256"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/mail"
)

var activationLink = regexp.MustCompile(regexp.QuoteMeta(gateBase) + `/activate/([A-Za-z0-9_-]+)`)

// lastActivation returns the token in the newest activation mail to addr.
func (g *gate) lastActivation(addr string) string {
	g.t.Helper()
	var token string
	for _, m := range g.mails(string(mail.KindActivation)) {
		if m.To == addr {
			match := activationLink.FindStringSubmatch(m.Body)
			if match == nil {
				g.t.Fatalf("activation mail without link:\n%s", m.Body)
			}
			token = match[1]
		}
	}
	if token == "" {
		g.t.Fatalf("no activation mail to %s", addr)
	}
	return token
}

func (g *gate) pending(email string) int64 {
	g.t.Helper()
	if err := g.register(email); err != nil {
		g.t.Fatal(err)
	}
	u, err := g.svc.UserByEmail(g.t.Context(), email)
	if err != nil {
		g.t.Fatal(err)
	}
	return u.ID
}

func TestApproveIssuesActivationLink(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	cohort, err := g.svc.CreateCohort(t.Context(), audit.CLI, "Musterstadt 2026", "MS-26")
	if err != nil {
		t.Fatal(err)
	}
	id := g.pending("erika@example.org")

	if err := g.svc.Approve(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org", IP: "203.0.113.9"}, id, cohort.ID); err != nil {
		t.Fatal(err)
	}
	u, _ := g.svc.UserByID(t.Context(), id)
	if u.Status != account.StatusApproved || u.CohortID != cohort.ID || !u.DecidedAt.Equal(g.clock.Now()) {
		t.Errorf("approved user = %+v", u)
	}
	if n := g.count(`SELECT count(*) FROM users WHERE id = ? AND decided_by = ?`, id, admin); n != 1 {
		t.Error("decided_by not recorded")
	}
	token := g.lastActivation("erika@example.org")
	sum := sha256.Sum256([]byte(token))
	var expires int64
	if err := g.db.R.QueryRow(`SELECT expires_at FROM tokens WHERE hash = ? AND user_id = ? AND purpose = 'activation'`, sum[:], id).Scan(&expires); err != nil {
		t.Fatalf("token not stored as its hash: %v", err)
	}
	if want := g.clock.Now().Add(72 * time.Hour).Unix(); expires != want {
		t.Errorf("expires %d, want %d (72 h)", expires, want)
	}
	if n := g.count(`SELECT count(*) FROM tokens WHERE hash = ?`, []byte(token)); n != 0 {
		t.Error("raw token stored")
	}
	if got, err := g.svc.LookupToken(t.Context(), token, account.PurposeActivation); err != nil || got.ID != id {
		t.Errorf("LookupToken = %v, %v", got, err)
	}
	if got := g.auditActions(id); got[len(got)-1] != "registration.approved" {
		t.Errorf("audit = %v", got)
	}
	if n := g.count(`SELECT count(*) FROM audit_log WHERE detail LIKE ?`, "%"+token+"%"); n != 0 {
		t.Error("token in the audit log")
	}

	if err := g.svc.Approve(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id, 0); !errors.Is(err, account.ErrWrongStatus) {
		t.Errorf("approving twice: err = %v", err)
	}
	if err := g.svc.Approve(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, 9999, 0); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown user: err = %v", err)
	}
	other := g.pending("other@example.org")
	if err := g.svc.Approve(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, other, 4242); !errors.Is(err, account.ErrNoSuchCohort) {
		t.Errorf("unknown cohort: err = %v", err)
	}
	if u, _ := g.svc.UserByID(t.Context(), other); u.Status != account.StatusPending {
		t.Errorf("failed approval left status %s", u.Status)
	}
}

func TestRejectSendsReason(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	id := g.pending("erika@example.org")
	for _, reason := range []string{"", "  \n ", strings.Repeat("x", account.MaxRejectReason+1)} {
		if err := g.svc.Reject(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id, reason); !errs.Is(err, errs.Invalid) {
			t.Errorf("reason %.10q: err = %v", reason, err)
		}
	}
	reason := "Die Plattform steht nur Behörden offen; bitte registrieren Sie sich mit Ihrer dienstlichen Adresse."
	if err := g.svc.Reject(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org", IP: "203.0.113.9"}, id, reason); err != nil {
		t.Fatal(err)
	}
	u, _ := g.svc.UserByID(t.Context(), id)
	if u.Status != account.StatusRejected || u.RejectReason != reason {
		t.Errorf("rejected user = %+v", u)
	}
	m := g.mails(string(mail.KindRejected))
	if len(m) != 1 || m[0].To != "erika@example.org" || !strings.Contains(m[0].Body, reason) {
		t.Errorf("rejection mails = %+v", m)
	}
	if err := g.svc.Reject(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id, "again"); !errors.Is(err, account.ErrWrongStatus) {
		t.Errorf("rejecting twice: err = %v", err)
	}
	// An admin may change their mind about a rejection.
	if err := g.svc.Approve(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id, 0); err != nil {
		t.Errorf("approve after reject: %v", err)
	}
	if u, _ := g.svc.UserByID(t.Context(), id); u.RejectReason != "" {
		t.Errorf("reason kept after approval: %q", u.RejectReason)
	}
}

func TestResendVoidsOldLink(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	id := g.pending("erika@example.org")
	if err := g.svc.ResendCredential(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id); !errors.Is(err, account.ErrWrongStatus) {
		t.Errorf("resend to a pending applicant: err = %v", err)
	}
	if err := g.svc.Approve(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id, 0); err != nil {
		t.Fatal(err)
	}
	first := g.lastActivation("erika@example.org")
	if err := g.svc.ResendCredential(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, id); err != nil {
		t.Fatal(err)
	}
	second := g.lastActivation("erika@example.org")
	if first == second {
		t.Fatal("resend repeated the same token")
	}
	if _, err := g.svc.LookupToken(t.Context(), first, account.PurposeActivation); !errs.Is(err, errs.NotFound) {
		t.Errorf("old link still works: %v", err)
	}
	if _, err := g.svc.LookupToken(t.Context(), second, account.PurposeActivation); err != nil {
		t.Errorf("new link: %v", err)
	}
	if got := g.auditActions(id); got[len(got)-1] != "credential.resent" {
		t.Errorf("audit = %v", got)
	}
}

func TestSetRoleKeepsAnAdmin(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	trainer := g.user("trainer@example.org", account.RoleTrainer, account.StatusApproved, "de")
	cohort, err := g.svc.CreateCohort(t.Context(), audit.CLI, "Kohorte A", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.svc.AddCohortTrainer(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, cohort.ID, trainer); err != nil {
		t.Fatal(err)
	}

	if err := g.svc.SetRole(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, admin, account.RoleLearner); !errors.Is(err, account.ErrOwnAdminRole) {
		t.Errorf("self-demotion: err = %v", err)
	}
	if err := g.svc.SetRole(t.Context(), audit.CLI, admin, account.RoleTrainer); !errors.Is(err, account.ErrLastAdmin) {
		t.Errorf("demoting the last admin: err = %v", err)
	}
	if err := g.svc.SetRole(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, trainer, "superuser"); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown role: err = %v", err)
	}
	if err := g.svc.SetRole(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, trainer, account.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	// With a second admin, the first may be demoted by them.
	if err := g.svc.SetRole(t.Context(), audit.Actor{ID: trainer, Email: "trainer@example.org"}, admin, account.RoleLearner); err != nil {
		t.Errorf("demoting one of two admins: %v", err)
	}
	if err := g.svc.SetRole(t.Context(), audit.CLI, trainer, account.RoleLearner); !errors.Is(err, account.ErrLastAdmin) {
		t.Errorf("demoting the new last admin: err = %v", err)
	}
	// A learner leads no cohort.
	if err := g.svc.AddCohortTrainer(t.Context(), audit.Actor{ID: trainer, Email: "t"}, cohort.ID, admin); !errors.Is(err, account.ErrNotALeader) {
		t.Errorf("learner as trainer: err = %v", err)
	}
	u, _ := g.svc.UserByID(t.Context(), admin)
	if u.Role != account.RoleLearner {
		t.Errorf("role = %s", u.Role)
	}
	if n := g.count(`SELECT count(*) FROM audit_log WHERE action = 'user.role'`); n != 2 {
		t.Errorf("%d role changes audited, want 2", n)
	}
}

func TestSetUserCohortAndOverview(t *testing.T) {
	g := newGate(t)
	admin := g.user("admin@example.org", account.RoleAdmin, account.StatusApproved, "de")
	learner := g.user("l@example.org", account.RoleLearner, account.StatusApproved, "de")
	a, err := g.svc.CreateCohort(t.Context(), audit.CLI, "Kohorte A", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.svc.SetUserCohort(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, learner, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := g.svc.AddCohortTrainer(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, a.ID, admin); err != nil {
		t.Fatal(err)
	}
	ov, err := g.svc.CohortOverview(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ov) != 1 || ov[0].Members != 1 || len(ov[0].Leaders) != 1 || ov[0].Leaders[0].ID != admin {
		t.Errorf("overview = %+v", ov)
	}
	if err := g.svc.SetUserCohort(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, learner, 0); err != nil {
		t.Fatal(err)
	}
	if u, _ := g.svc.UserByID(t.Context(), learner); u.CohortID != 0 {
		t.Errorf("still in cohort %d", u.CohortID)
	}
	if err := g.svc.AddCohortTrainer(t.Context(), audit.Actor{ID: admin, Email: "admin@example.org"}, 999, admin); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown cohort: err = %v", err)
	}
}

func TestSearchUsers(t *testing.T) {
	g := newGate(t)
	g.user("anna@stadt.example", account.RoleLearner, account.StatusApproved, "de")
	g.user("bernd@stadt.example", account.RoleTrainer, account.StatusApproved, "de")
	g.user("100%_sicher@example.org", account.RoleLearner, account.StatusPending, "de")
	g.user("erased-9@erased.invalid", account.RoleLearner, account.StatusErased, "de")
	for _, tc := range []struct {
		q    account.UserQuery
		want int
	}{
		{account.UserQuery{}, 3},
		{account.UserQuery{Text: "@stadt"}, 2},
		{account.UserQuery{Text: "%"}, 1},
		{account.UserQuery{Text: "_"}, 1},
		{account.UserQuery{Text: "0%_s"}, 1},
		{account.UserQuery{Role: account.RoleTrainer}, 1},
		{account.UserQuery{Status: account.StatusPending}, 1},
		{account.UserQuery{Status: account.StatusErased}, 1},
		{account.UserQuery{Text: "Musterstadt"}, 3}, // organisation
	} {
		users, total, err := g.svc.SearchUsers(t.Context(), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if total != tc.want || len(users) != tc.want {
			t.Errorf("%+v: %d (%d listed), want %d", tc.q, total, len(users), tc.want)
		}
	}
	users, total, _ := g.svc.SearchUsers(t.Context(), account.UserQuery{Limit: 2, Offset: 2})
	if total != 3 || len(users) != 1 {
		t.Errorf("page 2: %d of %d", len(users), total)
	}
}
