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
	return s.switchStatus(ctx, actorID, actor, userID, ip, StatusApproved, StatusDisabled, "disable",
		func(tx *sql.Tx, u *User) error {
			if err := keepOneAdmin(ctx, tx, u); err != nil {
				return err
			}
			if err := s.RevokeUser(ctx, tx, u.ID, nil); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ?`, u.ID)
			return err
		})
}

// Enable switches a disabled account back on. Its password is unchanged; if it never had one, an
// admin re-sends the activation link.
func (s *Service) Enable(ctx context.Context, actorID int64, actor string, userID int64, ip string) error {
	return s.switchStatus(ctx, actorID, actor, userID, ip, StatusDisabled, StatusApproved, "enable", nil)
}

// switchStatus moves a user from status from to status to in one transaction, after apply (if
// any) has checked and done what else the change needs; it is audited as "user.<verb>d". A user
// already in status to is left alone.
func (s *Service) switchStatus(ctx context.Context, actorID int64, actor string, userID int64, ip, from, to, verb string,
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
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: actorID, Actor: actor, Action: "user." + verb + "d",
			TargetID: u.ID, Target: u.Email, IP: ip})
	})
	if err != nil {
		return fmt.Errorf("%s user %d: %w", verb, userID, err)
	}
	return nil
}
