package account

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	mailer "saferspaces/internal/mail"
)

// Erase removes a user's personal data (GDPR Art. 17) while keeping what the platform must keep:
//
//   - the users row stays as "erased" with a placeholder address, so ids in progress, certificates
//     and the audit log still point somewhere; name, organisation, position, reasons, the requested
//     cohort code and the password hash are cleared;
//   - sessions, tokens, cohort memberships and leading, sign-in failures and queued mail to the
//     address are deleted;
//   - acceptance records keep version and time as proof that the declaration was accepted, but
//     lose IP address and user agent;
//   - the audit log is pseudonymised ("user #ID" instead of the address);
//   - learning progress keyed by the user id stays as anonymous statistics;
//   - second factor, recovery codes and links to an identity provider are deleted;
//   - the hooks of OnErase run (the learning records add their voiding statements).
//
// Nobody can erase themselves here (that is a request to the operators) or the last admin.
func (s *Service) Erase(ctx context.Context, act audit.Actor, userID int64) error {
	if userID == act.ID {
		return ErrOwnAccount
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := decide(ctx, tx, userID, StatusPending, StatusApproved, StatusRejected, StatusDisabled)
		if err != nil {
			return err
		}
		if err := keepOneAdmin(ctx, tx, u); err != nil {
			return err
		}
		placeholder := fmt.Sprintf("erased-%d@erased.invalid", u.ID)
		steps := []struct {
			query string
			args  []any
		}{
			{`UPDATE users SET email = ?, name = '—', organisation = '', position = '', requested_cohort = '',
				reject_reason = '', password_hash = '', status = ? WHERE id = ?`, []any{placeholder, StatusErased, u.ID}},
			{`DELETE FROM sessions WHERE user_id = ?`, []any{u.ID}},
			{`DELETE FROM tokens WHERE user_id = ?`, []any{u.ID}},
			{`DELETE FROM cohort_members WHERE user_id = ?`, []any{u.ID}},
			{`DELETE FROM cohort_trainers WHERE user_id = ?`, []any{u.ID}},
			{`DELETE FROM second_factors WHERE user_id = ?`, []any{u.ID}},
			{`DELETE FROM recovery_codes WHERE user_id = ?`, []any{u.ID}},
			{`DELETE FROM user_identities WHERE user_id = ?`, []any{u.ID}},
			{`DELETE FROM login_failures WHERE email = ?`, []any{u.Email}},
			{`UPDATE declaration_acceptances SET ip = '', user_agent = '' WHERE user_id = ?`, []any{u.ID}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
				return err
			}
		}
		if err := mailer.ForgetRecipient(ctx, tx, u.Email, u.Name, fmt.Sprintf("user #%d", u.ID)); err != nil {
			return err
		}
		if err := audit.Pseudonymise(ctx, tx, u.ID, u.Email); err != nil {
			return err
		}
		for _, h := range s.onErase {
			if err := h(ctx, tx, u.ID, now); err != nil {
				return err
			}
		}
		return audit.Log(ctx, tx, now, act, "user.erased", u.ID, fmt.Sprintf("user #%d", u.ID), "")
	})
	if err != nil {
		return fmt.Errorf("erase user %d: %w", userID, err)
	}
	return nil
}

// EraseHook is work another package does in the transaction of an erasure, on its own tables.
type EraseHook func(ctx context.Context, tx *sql.Tx, userID int64, now time.Time) error

// OnErase adds a hook that every erasure runs (package app wires the learning records' voiding).
func (s *Service) OnErase(h EraseHook) { s.onErase = append(s.onErase, h) }
