package account

import (
	"context"
	"database/sql"
	"fmt"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// ErrInvalidCredentials is the one answer to every sign-in that fails for a reason the person
// signing in must not learn: unknown address, wrong password, or an account that is pending,
// rejected, disabled, erased or not yet activated.
var ErrInvalidCredentials = errs.E(errs.Invalid, "the e-mail address or the password is wrong")

// Authenticate checks a sign-in. It returns the user, ErrInvalidCredentials, or an errs.TooMany
// (with a *ThrottleError inside) while the account or the address is throttled — then even the
// right password is refused. Every failure costs one argon2id verification, a real one or one
// against a dummy hash, so the time taken does not tell whether the address is known.
//
// For an account with a second factor (or one whose role must set one up), the right password is
// only the first step: the account's failures stay counted, and the sign-in is complete (and
// audited as such) only with the code (SecondStep, VerifySecondFactor, ConfirmEnrolment).
func (s *Service) Authenticate(ctx context.Context, email, password, ip string) (*User, error) {
	email = clipBytes(normalEmail(email), MaxEmailLen)
	ip = clipBytes(ip, 64)
	// The account is looked up before a hashing slot is taken: the slot is for hashing only.
	u, err := userByEmail(ctx, s.db.R, email)
	switch {
	case errs.Is(err, errs.NotFound):
		u = nil
	case err != nil:
		return nil, err
	}
	a, wait, err := s.startAttempt(ctx, email, ip)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		if err := s.recordThrottled(ctx, email, ip, wait, s.now()); err != nil {
			return nil, err
		}
		return nil, tooMany(wait)
	}
	defer a.end()
	now := a.now

	hash, reason := "", "unknown address"
	if u != nil {
		switch {
		case u.Active():
			hash, reason = u.PasswordHash, "wrong password"
		case u.Status == StatusApproved:
			reason = "account not activated yet"
		default:
			reason = "account " + string(u.Status)
		}
	}
	if !a.verify(hash, password) {
		if err := a.fail(ctx, u, reason); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	}
	// A right password is no failure: stop counting it now, not after the write below, which
	// may wait for the database's writer while hundreds of colleagues sign in too.
	a.end()

	step, err := s.SecondStep(ctx, u)
	if err != nil {
		return nil, err
	}
	if step != StepNone {
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "login.password_accepted",
				TargetID: u.ID, Target: u.Email, Detail: "waiting for the second factor", IP: ip})
		})
		return u, err
	}

	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := clearFailures(ctx, tx, email); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, now.Unix(), u.ID); err != nil {
			return fmt.Errorf("record sign-in: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "login.succeeded",
			TargetID: u.ID, Target: u.Email, IP: ip})
	})
	if err != nil {
		return nil, err
	}
	u.LastLoginAt = sqlite.Time(now.Unix())
	return u, nil
}
