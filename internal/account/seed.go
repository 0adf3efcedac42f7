package account

import (
	"context"
	"database/sql"
	"fmt"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// SeedActive creates approved, activated accounts that share one password, each having accepted
// the declaration in force, in one transaction: for the load tool (cmd/saferspaces-load), which
// needs thousands of learners who can sign in, and must not spend an argon2id hash on each. The
// password is checked against the policy and hashed once. It returns the new accounts' ids.
func (s *Service) SeedActive(ctx context.Context, act audit.Actor, accounts []NewAccount, password string) ([]int64, error) {
	for i := range accounts {
		if err := accounts[i].normalise(); err != nil {
			return nil, fmt.Errorf("seed %s: %w", accounts[i].Email, err)
		}
		if err := CheckPassword(password, accounts[i].Email); err != nil {
			return nil, fmt.Errorf("seed %s: %w", accounts[i].Email, err)
		}
	}
	phc, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ids := make([]int64, 0, len(accounts))
	err = s.db.BulkTx(ctx, func(tx *sql.Tx) error {
		cur, err := currentDeclaration(ctx, tx)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		for _, in := range accounts {
			id, err := s.insertApproved(ctx, tx, in)
			if err != nil {
				return fmt.Errorf("seed %s: %w", in.Email, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, activated_at = ? WHERE id = ?`,
				phc, now.Unix(), id); err != nil {
				return err
			}
			if cur != nil {
				if err := insertAcceptance(ctx, tx, id, cur.Version, now, "", "seeded"); err != nil {
					return err
				}
			}
			if err := audit.Log(ctx, tx, now, act, "user.created", id, in.Email, "seeded, role "+string(in.Role)); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
