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
//   - the users row stays as "erased" with a placeholder address, so ids in certificates and the
//     audit log still point somewhere; name, organisation, position, reasons, the requested
//     cohort code and the password hash are cleared;
//   - sessions, tokens, remembered browsers, cohort memberships and leading, sign-in failures and
//     mail to or about the person are deleted, the .eml copies included;
//   - acceptance records keep version and time as proof that the declaration was accepted, but
//     lose IP address and user agent;
//   - the audit log is pseudonymised ("user #ID" instead of the address);
//   - second factor, recovery codes and links to an identity provider are deleted;
//   - what other packages keep about the person goes through their OnErase hooks (learning
//     progress becomes anonymous totals, feedback sent from the address is deleted, the learning
//     records get their voiding statements);
//   - the write-ahead log is checkpointed and truncated at once, so the old values do not
//     linger in saferspaces.db-wal (secure_delete zeroes them in the database file).
//
// Nobody can erase themselves here (that is a request to the operators) or the last admin.
func (s *Service) Erase(ctx context.Context, act audit.Actor, userID int64) error {
	if userID == act.ID {
		return ErrOwnAccount
	}
	return s.erase(ctx, act, userID, "user.erased", false,
		StatusPending, StatusApproved, StatusRejected, StatusDisabled)
}

// erase does an erasure (action names its audit line): in one transaction, then the hooks that
// run after it, then the scrub of the write-ahead log. With deleteRow the users row goes too
// (applicants who never got in: nothing needs to point at them).
func (s *Service) erase(ctx context.Context, act audit.Actor, userID int64, action string, deleteRow bool, allowed ...Status) error {
	if _, err := s.key(ctx, nil); err != nil {
		return err
	}
	now := s.now()
	var gone Erased
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := decide(ctx, tx, userID, allowed...)
		if err != nil {
			return err
		}
		if err := keepOneAdmin(ctx, tx, u); err != nil {
			return err
		}
		gone = Erased{ID: u.ID, Email: u.Email, Name: u.Name}
		return s.eraseTx(ctx, tx, act, u, action, deleteRow, now)
	})
	if err != nil {
		return fmt.Errorf("erase user %d: %w", userID, err)
	}
	for _, after := range s.afterErase {
		after(ctx, gone)
	}
	s.scrub(ctx)
	return nil
}

func (s *Service) eraseTx(ctx context.Context, tx *sql.Tx, act audit.Actor, u *User, action string, deleteRow bool, now time.Time) error {
	pseudonym := fmt.Sprintf("user #%d", u.ID)
	if deleteRow {
		pseudonym = fmt.Sprintf("applicant #%d", u.ID)
	}
	typed, err := s.typedHash(ctx, u.Email)
	if err != nil {
		return err
	}
	p := Erased{ID: u.ID, Email: u.Email, Name: u.Name}
	for _, in := range s.inErase {
		if err := in(ctx, tx, p); err != nil {
			return err
		}
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
		{`DELETE FROM trusted_devices WHERE user_id = ?`, []any{u.ID}},
		{`DELETE FROM second_factors WHERE user_id = ?`, []any{u.ID}},
		{`DELETE FROM recovery_codes WHERE user_id = ?`, []any{u.ID}},
		{`DELETE FROM user_identities WHERE user_id = ?`, []any{u.ID}},
		{`DELETE FROM cohort_members WHERE user_id = ?`, []any{u.ID}},
		{`DELETE FROM cohort_trainers WHERE user_id = ?`, []any{u.ID}},
		{`DELETE FROM login_failures WHERE email IN (?, ?)`, []any{typed, u.Email}},
		{`UPDATE declaration_acceptances SET ip = '', user_agent = '' WHERE user_id = ?`, []any{u.ID}},
	}
	if deleteRow {
		steps = append(steps, struct {
			query string
			args  []any
		}{`DELETE FROM users WHERE id = ?`, []any{u.ID}})
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
			return err
		}
	}
	if err := mailer.ForgetRecipient(ctx, tx, u.Email, u.Name, pseudonym); err != nil {
		return err
	}
	if err := audit.Pseudonymise(ctx, tx, u.ID, u.Email, typed, pseudonym); err != nil {
		return err
	}
	if !deleteRow {
		return audit.Log(ctx, tx, now, act, action, u.ID, pseudonym, "")
	}
	// A deleted row's id goes to the next person who registers (SQLite reuses the highest id):
	// the lines about the applicant keep "applicant #ID" as text but no longer point at the id,
	// or they would show in that person's data export and on their audit trail.
	if err := audit.Unlink(ctx, tx, u.ID); err != nil {
		return err
	}
	return audit.Log(ctx, tx, now, act, action, 0, pseudonym, "")
}

// scrub moves the write-ahead log into the database and truncates it right after an erasure:
// until then the -wal file still holds the pages with the old name and address. A reader that
// holds an old snapshot can delay it; a few short retries cover the ordinary case, and the next
// scrub (after the next erasure or mail delivery) catches up otherwise.
func (s *Service) scrub(ctx context.Context) {
	var err error
	for i := range 5 {
		if err = s.db.Scrub(context.WithoutCancel(ctx)); err == nil {
			return
		}
		time.Sleep(time.Duration(i+1) * 20 * time.Millisecond)
	}
	s.log.Warn("erasure: the write-ahead log could not be truncated yet", "err", err)
}
