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

// Authenticate checks a sign-in without a remembered browser; see SignIn.
func (s *Service) Authenticate(ctx context.Context, email, password, ip string) (*User, error) {
	u, _, err := s.SignIn(ctx, email, password, ip, "")
	return u, err
}

// SignIn checks a sign-in. device is the token of the browser's device cookie ("" for none). It
// returns the user and a new device token for the cookie, ErrInvalidCredentials, or an
// errs.TooMany (with a *ThrottleError inside) while the account (or, for a remembered browser,
// that browser) or the address is throttled — then even the right password is refused. Every
// failure costs one argon2id verification, a real one or one against a dummy hash, so the time
// taken does not tell whether the address is known.
func (s *Service) SignIn(ctx context.Context, email, password, ip, device string) (*User, string, error) {
	email = clipBytes(normalEmail(email), MaxEmailLen)
	ip = clipBytes(ip, 64)
	// The account is looked up before a hashing slot is taken: the slot is for hashing only.
	a, err := s.newAttempt(ctx, email, ip, device)
	if err != nil {
		return nil, "", err
	}
	u, err := userByEmail(ctx, s.db.R, email)
	switch {
	case errs.Is(err, errs.NotFound):
		u = nil
	case err != nil:
		return nil, "", err
	}
	actor, err := s.typedActor(ctx, email, u)
	if err != nil {
		return nil, "", err
	}
	wait, err := s.startAttempt(ctx, a)
	if err != nil {
		return nil, "", err
	}
	if wait > 0 {
		if err := s.recordThrottled(ctx, actor, ip, wait, s.now()); err != nil {
			return nil, "", err
		}
		return nil, "", tooMany(wait)
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
		if err := a.fail(ctx, actor, u, reason); err != nil {
			return nil, "", err
		}
		return nil, "", ErrInvalidCredentials
	}
	// A right password is no failure: stop counting it now, not after the write below, which
	// may wait for the database's writer while hundreds of colleagues sign in too.
	a.end()

	// For an account with a second factor (or one whose role must set one up), the right password
	// is only the first step: the account's failures stay counted, and the sign-in is complete (and
	// audited as such) only with the code (SecondStep, VerifySecondFactor, ConfirmEnrolment).
	step, err := s.SecondStep(ctx, u)
	if err != nil {
		return nil, "", err
	}
	if step != StepNone {
		detail := "waiting for the second factor"
		if a.device != nil {
			detail += ", remembered browser"
		}
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "login.password_accepted",
				TargetID: u.ID, Target: u.Email, Detail: detail, IP: ip})
		})
		return u, "", err
	}

	var token string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.succeed(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, now.Unix(), u.ID); err != nil {
			return fmt.Errorf("record sign-in: %w", err)
		}
		if token, err = rememberDevice(ctx, tx, u.ID, a.device, now); err != nil {
			return err
		}
		detail := ""
		if a.device != nil {
			detail = "remembered browser"
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "login.succeeded",
			TargetID: u.ID, Target: u.Email, Detail: detail, IP: ip})
	})
	if err != nil {
		return nil, "", err
	}
	u.LastLoginAt = sqlite.Time(now.Unix())
	return u, token, nil
}
