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
func (s *Service) Disable(ctx context.Context, act audit.Actor, userID int64) error {
	if userID == act.ID {
		return errs.E(errs.Conflict, "you cannot disable your own account")
	}
	return s.switchStatus(ctx, act, userID, StatusApproved, StatusDisabled, "disable",
		func(tx *sql.Tx, u *User) error {
			if err := keepOneAdmin(ctx, tx, u); err != nil {
				return err
			}
			if err := s.RevokeUser(ctx, tx, u.ID, nil); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ?`, u.ID); err != nil {
				return err
			}
			return forgetDevices(ctx, tx, u.ID)
		})
}

// Enable switches a disabled account back on. Its password is unchanged; if it never had one, an
// admin re-sends the activation link.
func (s *Service) Enable(ctx context.Context, act audit.Actor, userID int64) error {
	return s.switchStatus(ctx, act, userID, StatusDisabled, StatusApproved, "enable", nil)
}

// switchStatus moves a user from status from to status to in one transaction, after apply (if
// any) has checked and done what else the change needs; it is audited as "user.<verb>d". A user
// already in status to is left alone.
func (s *Service) switchStatus(ctx context.Context, act audit.Actor, userID int64, from, to Status, verb string,
	apply func(tx *sql.Tx, u *User) error) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		switch u.Status {
		case to:
			return nil
		case from:
		default:
			return errs.E(errs.Conflict, "only %s accounts can be %sd; this one is %s", from, verb, u.Status)
		}
		if apply != nil {
			if err := apply(tx, u); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ? WHERE id = ?`, to, u.ID); err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "user."+verb+"d", u.ID, u.Email, "")
	})
	if err != nil {
		return fmt.Errorf("%s user %d: %w", verb, userID, err)
	}
	return nil
}
