package account

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	mailer "saferspaces/internal/mail"
)

// Setting a password: by activation link, by reset link, or signed in with the current password.
// Each checks the policy and hashes before its write transaction (hashing takes tens of
// milliseconds and the database has one writer), then re-checks the token inside it.

// resetResendGap is how soon after a reset link another may be mailed to the same account: enough
// to stop the form being used to flood someone's mailbox, short enough for a lost mail.
const resetResendGap = 2 * time.Minute

// Activate sets the first password of an approved account through its activation link. On success
// the link is used up, every older session of the account ends, and the user is returned for
// signing in.
func (s *Service) Activate(ctx context.Context, raw, password, ip, ua string) (*User, error) {
	return s.setPasswordByToken(ctx, raw, PurposeActivation, password, ip, ua)
}

// ResetPassword sets a new password through a reset link. Every session of the account ends, its
// failed sign-ins are forgotten, and a "password changed" e-mail is queued.
func (s *Service) ResetPassword(ctx context.Context, raw, password, ip, ua string) (*User, error) {
	return s.setPasswordByToken(ctx, raw, PurposeReset, password, ip, ua)
}

func (s *Service) setPasswordByToken(ctx context.Context, raw, purpose, password, ip, ua string) (*User, error) {
	hash, err := ParseToken(raw)
	if err != nil {
		return nil, err
	}
	u, err := s.LookupToken(ctx, raw, purpose)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return nil, err
	}
	phc, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	if _, err := s.key(ctx, nil); err != nil { // before the transaction: clearFailures needs it
		return nil, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err = s.consumeToken(ctx, tx, hash, purpose)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, activated_at = coalesce(activated_at, ?) WHERE id = ?`,
			phc, now.Unix(), u.ID); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := s.RevokeUser(ctx, tx, u.ID, nil); err != nil {
			return err
		}
		// A new password ends the throttle of the password, but not of the second factor: a reset
		// link must not buy fresh guesses at the code.
		var factor bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM second_factors WHERE user_id = ? AND confirmed_at IS NOT NULL)`,
			u.ID).Scan(&factor); err != nil {
			return err
		}
		if err := forgetDevices(ctx, tx, u.ID); err != nil {
			return err
		}
		if !factor {
			if err := s.clearFailures(ctx, tx, u.Email); err != nil {
				return err
			}
		}
		action := "account.activated"
		if purpose == PurposeReset {
			action = "password.reset"
			if err := s.enqueue(ctx, tx, mailer.KindPasswordChanged, u.Lang,
				mailer.Data{Name: u.Name, Email: u.Email, BaseURL: s.baseURL()}, "", ""); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: action,
			TargetID: u.ID, Target: u.Email, Detail: "user agent: " + clipBytes(ua, 200), IP: ip})
	})
	if err != nil {
		return nil, err
	}
	return userByID(ctx, s.db.R, u.ID)
}

// RequestReset mails a reset link (valid 1 hour) if email belongs to an account that can sign in,
// and does nothing visible otherwise: the caller shows the same page either way. Both paths write
// an audit line, so they also take about the same time.
func (s *Service) RequestReset(ctx context.Context, email, ip string) error {
	return s.onLinkRequest(ctx, email, ip, "password.reset_requested", func(tx *sql.Tx, u *User, ev *audit.Event) error {
		if !u.Active() {
			ev.Detail = "account " + string(u.Status) + " or not activated; nothing sent"
			return nil
		}
		if recent, err := linkSentRecently(ctx, tx, u.ID, PurposeReset, true, ev); err != nil || recent {
			return err
		}
		raw, err := s.IssueToken(ctx, tx, u.ID, PurposeReset, ResetTTL)
		if err != nil {
			return err
		}
		if err := s.enqueuePublic(ctx, tx, mailer.KindPasswordReset, u.Lang, mailer.Data{Name: u.Name, Email: u.Email,
			Link: s.tokenLink(PurposeReset, raw), BaseURL: s.baseURL()}, "", ""); err != nil {
			return err
		}
		ev.Detail = "reset link sent"
		return nil
	})
}

// onLinkRequest is what asking for a link by e-mail address shares: the address as typed is
// recorded only as a keyed hash unless it is an account's; an unknown address gets nothing; handle
// decides for an account, in the transaction, and sets the audit line's detail, which is written
// on every path (so every answer takes about the same time).
func (s *Service) onLinkRequest(ctx context.Context, email, ip, action string, handle func(tx *sql.Tx, u *User, ev *audit.Event) error) error {
	email = clipBytes(normalEmail(email), MaxEmailLen)
	ip = clipBytes(ip, 64)
	typed, err := s.typedHash(ctx, email)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ev := audit.Event{At: now, Actor: typed, Action: action, IP: ip}
		u, err := userByEmail(ctx, tx, email)
		switch {
		case errs.Is(err, errs.NotFound):
			ev.Detail = "no account with this address; nothing sent"
			return audit.Record(ctx, tx, ev)
		case err != nil:
			return err
		}
		ev.Actor, ev.ActorID, ev.TargetID, ev.Target = u.Email, u.ID, u.ID, u.Email
		if err := handle(tx, u, &ev); err != nil {
			return err
		}
		return audit.Record(ctx, tx, ev)
	})
}

// linkSentRecently reports whether a link of purpose (with unusedOnly: one not used yet) went to
// the user less than resetResendGap ago, and if so says in ev that nothing was sent.
func linkSentRecently(ctx context.Context, tx *sql.Tx, userID int64, purpose string, unusedOnly bool, ev *audit.Event) (bool, error) {
	var recent int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE user_id = ? AND purpose = ?
		AND (? = 0 OR used_at IS NULL) AND created_at > ?`,
		userID, purpose, unusedOnly, ev.At.Add(-resetResendGap).Unix()).Scan(&recent); err != nil {
		return false, err
	}
	if recent > 0 {
		ev.Detail = "a link was sent less than 2 minutes ago; nothing sent"
	}
	return recent > 0, nil
}

// ErrWrongPassword is returned by ChangePassword when the current password does not match.
var ErrWrongPassword = errs.E(errs.Invalid, "the current password is wrong")

// ChangePassword replaces a signed-in user's password after checking the current one. A wrong
// current password counts as a failed sign-in (so a stolen session cannot be used to guess it
// without limit). Every session of the user ends, including the caller's: the web layer issues
// the caller a new one right after. A "password changed" e-mail is queued.
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, password, ip string) error {
	u, err := userByID(ctx, s.db.R, userID)
	if err != nil {
		return err
	}
	a, err := s.newAttempt(ctx, u.Email, ip, "")
	if err != nil {
		return err
	}
	wait, err := s.startAttempt(ctx, a)
	if err != nil {
		return err
	}
	if wait > 0 {
		return tooMany(wait)
	}
	now := a.now
	ok := a.verify(u.PasswordHash, current)
	if !ok || !u.Active() {
		if err := a.fail(ctx, u.Email, u, "wrong current password on password change"); err != nil {
			return err
		}
		return ErrWrongPassword
	}
	a.end()
	if err := CheckPassword(password, u.Email); err != nil {
		return err
	}
	phc, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`,
			phc, u.ID, u.PasswordHash)
		if err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "the password was changed meanwhile; please sign in again")
		}
		if err := s.RevokeUser(ctx, tx, u.ID, nil); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ? AND purpose = ?`, u.ID, PurposeReset); err != nil {
			return err
		}
		if err := forgetDevices(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, mailer.KindPasswordChanged, u.Lang,
			mailer.Data{Name: u.Name, Email: u.Email, BaseURL: s.baseURL()}, "", ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "password.changed",
			TargetID: u.ID, Target: u.Email, IP: ip})
	})
}

// RequestActivation mails a new activation link (valid 72 hours, voiding older ones) if email
// belongs to an approved account whose password has not been set yet — someone whose link expired
// — and does nothing visible otherwise: the caller shows the same page for every address. At
// most one link every 2 minutes per account, so the form cannot flood a mailbox.
func (s *Service) RequestActivation(ctx context.Context, email, ip string) error {
	return s.onLinkRequest(ctx, email, ip, "activation.requested", func(tx *sql.Tx, u *User, ev *audit.Event) error {
		if u.Status != StatusApproved || u.PasswordHash != "" {
			ev.Detail = "account " + string(u.Status) + " or already activated; nothing sent"
			return nil
		}
		if recent, err := linkSentRecently(ctx, tx, u.ID, PurposeActivation, false, ev); err != nil || recent {
			return err
		}
		if err := s.sendActivation(ctx, tx, u, true); err != nil {
			return err
		}
		ev.Detail = "activation link sent"
		return nil
	})
}

// ResetLink is what IssueResetLink hands the operator.
type ResetLink struct {
	User       *User
	Link       string
	Activation bool // the account was never activated: the link is an activation link (72 hours)
}

// IssueResetLink makes a password link for the account with the e-mail address and returns it
// instead of mailing it: the way back into a locked-out admin or demo account for whoever runs
// the command line (`saferspaces user reset-password`). An activated account gets a reset link
// (valid 1 hour), one never activated a fresh activation link; either voids the older links of
// its kind. The account's failed sign-ins are forgotten, so the throttle does not keep the person
// out once the new password is set. Disabled, rejected, pending and erased accounts get nothing.
func (s *Service) IssueResetLink(ctx context.Context, act audit.Actor, email string) (*ResetLink, error) {
	email = normalEmail(email)
	now := s.now()
	var out ResetLink
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := userByEmail(ctx, tx, email)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.E(errs.NotFound, "no account with the e-mail address %s", email)
			}
			return err
		}
		if u.Status != StatusApproved {
			return errs.E(errs.Conflict, "the account %s is %s; only an approved account can get a password link", u.Email, u.Status)
		}
		purpose, ttl, action := PurposeReset, ResetTTL, "password.reset_link_issued"
		if u.PasswordHash == "" {
			purpose, ttl, action = PurposeActivation, ActivationTTL, "credential.link_issued"
		}
		raw, err := s.IssueToken(ctx, tx, u.ID, purpose, ttl)
		if err != nil {
			return err
		}
		if err := s.clearFailures(ctx, tx, u.Email); err != nil {
			return err
		}
		out = ResetLink{User: u, Link: s.tokenLink(purpose, raw), Activation: purpose == PurposeActivation}
		return audit.Log(ctx, tx, now, act, action, u.ID, u.Email, "link printed on the command line")
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
