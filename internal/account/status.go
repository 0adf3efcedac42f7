package account

import (
	"context"
	"database/sql"
	"fmt"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// Disable switches an approved account off: it can no longer sign in, every session of it ends at
// once, and its unused activation and reset links stop working. Admins cannot disable themselves,
// and the last active admin cannot be disabled. Disabling a disabled account changes nothing.
func (s *Service) Disable(ctx context.Context, actorID int64, actor string, userID int64, ip string) error {
	if userID == actorID {
		return errs.E(errs.Conflict, "you cannot disable your own account")
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		switch u.Status {
		case StatusDisabled:
			return nil
		case StatusApproved:
		default:
			return errs.E(errs.Conflict, "only approved accounts can be disabled; this one is %s", u.Status)
		}
		if err := keepOneAdmin(ctx, tx, u); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ? WHERE id = ?`, StatusDisabled, u.ID); err != nil {
			return err
		}
		if err := s.RevokeUser(ctx, tx, u.ID, nil); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: actorID, Actor: actor, Action: "user.disabled",
			TargetID: u.ID, Target: u.Email, IP: ip})
	})
	if err != nil {
		return fmt.Errorf("disable user %d: %w", userID, err)
	}
	return nil
}

// Enable switches a disabled account back on. Its password is unchanged; if it never had one, an
// admin re-sends the activation link.
func (s *Service) Enable(ctx context.Context, actorID int64, actor string, userID int64, ip string) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		switch u.Status {
		case StatusApproved:
			return nil
		case StatusDisabled:
		default:
			return errs.E(errs.Conflict, "only disabled accounts can be enabled; this one is %s", u.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ? WHERE id = ?`, StatusApproved, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: actorID, Actor: actor, Action: "user.enabled",
			TargetID: u.ID, Target: u.Email, IP: ip})
	})
	if err != nil {
		return fmt.Errorf("enable user %d: %w", userID, err)
	}
	return nil
}
