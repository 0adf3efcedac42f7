package account

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"math/big"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// The demo cohort that `serve --demo` creates.
const (
	DemoCohortName = "Demo-Kohorte"
	DemoCohortCode = "demo"
)

// DemoAccount reports one demo account. Password is set only when the account was created by this
// call: it is shown once and stored nowhere but as a hash.
type DemoAccount struct {
	Role     Role
	Email    string
	Password string
	Existed  bool
}

var demoAccounts = []NewAccount{
	{Email: "admin@demo.saferspaces.test", Name: "Demo Admin", Organisation: "Demo", Role: RoleAdmin},
	{Email: "trainer@demo.saferspaces.test", Name: "Demo Trainer", Organisation: "Demo", Role: RoleTrainer, Cohort: DemoCohortName},
	{Email: "learner@demo.saferspaces.test", Name: "Demo Learner", Organisation: "Demo", Role: RoleLearner, Cohort: DemoCohortName},
}

// EnsureDemo creates the demo cohort and the demo admin, trainer and learner — approved,
// activated with a random password, and with the declaration in force accepted — unless they
// exist already. It is safe to call on every start: existing accounts are left as they are (their
// passwords are not reset).
func (s *Service) EnsureDemo(ctx context.Context) ([]DemoAccount, error) {
	if _, err := s.CohortByName(ctx, DemoCohortName); errs.Is(err, errs.NotFound) {
		if _, err := s.CreateCohort(ctx, audit.Actor{Email: "demo"}, DemoCohortName, DemoCohortCode); err != nil && !errs.Is(err, errs.Conflict) {
			return nil, fmt.Errorf("demo cohort: %w", err)
		}
	} else if err != nil {
		return nil, err
	}
	var out []DemoAccount
	for _, in := range demoAccounts {
		d := DemoAccount{Role: in.Role, Email: in.Email}
		if _, err := s.UserByEmail(ctx, in.Email); err == nil {
			d.Existed = true
			out = append(out, d)
			continue
		} else if !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		pw, err := demoPassword(in.Email)
		if err != nil {
			return nil, err
		}
		phc, err := s.hashPassword(ctx, pw)
		if err != nil {
			return nil, err
		}
		if err := in.normalise(); err != nil {
			return nil, err
		}
		now := s.now()
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			id, err := s.insertApproved(ctx, tx, in)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, activated_at = ? WHERE id = ?`,
				phc, now.Unix(), id); err != nil {
				return err
			}
			if cur, err := currentDeclaration(ctx, tx); err == nil {
				if err := insertAcceptance(ctx, tx, id, cur.Version, now, "", "saferspaces serve --demo"); err != nil {
					return err
				}
			} else if !errs.Is(err, errs.NotFound) {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{At: now, Actor: "demo", Action: "user.created",
				TargetID: id, Target: in.Email, Detail: "demo account, role " + string(in.Role)})
		})
		if err != nil {
			return nil, fmt.Errorf("demo %s: %w", in.Role, err)
		}
		d.Password = pw
		out = append(out, d)
	}
	return out, nil
}

// demoPassword makes a random 16-character password without look-alike characters (it is read
// off a terminal and typed), drawn again in the unlikely case the policy refuses it.
func demoPassword(email string) (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	for {
		b := make([]byte, 16)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				return "", err
			}
			b[i] = alphabet[n.Int64()]
		}
		if CheckPassword(string(b), email) == nil {
			return string(b), nil
		}
	}
}
