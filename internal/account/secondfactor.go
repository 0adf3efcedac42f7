package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"saferspaces/internal/audit"
	"saferspaces/internal/codes"
	"saferspaces/internal/errs"
	mailer "saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
)

// The second factor is TOTP (RFC 6238) as every authenticator app computes it: HMAC-SHA-1, six
// digits, a new code every 30 seconds. One step either side is accepted for phones whose clock is
// a little off. A code is good once: the newest step used is stored, and only codes of later steps
// are taken afterwards, so a code seen over a shoulder or in a proxy log cannot be replayed.
// Guesses count as failed sign-ins of the account (throttle.go), like wrong passwords.
const (
	totpPeriod    = 30
	totpSkew      = 1
	totpDigits    = otp.DigitsSix
	RecoveryCount = 10 // one-time recovery codes per set
	// TOTPIssuer is the name an authenticator app shows above the account.
	TOTPIssuer = "saferspaces"
)

// Step is what a sign-in still needs after the right password.
type Step int

// Steps of a sign-in.
const (
	StepNone  Step = iota // signed in
	StepCode              // the code of the enrolled second factor
	StepEnrol             // the role requires a second factor and there is none yet: set it up now
)

// NeedsSecondFactor reports whether the role must use a second factor: admins and trainers, who
// see and change other people's data.
func (r Role) NeedsSecondFactor() bool { return r == RoleAdmin || r == RoleTrainer }

// ErrWrongCode is the answer to a code that is wrong, used already or too old.
var ErrWrongCode = errs.E(errs.Invalid, "the code is wrong or has been used already")

// ErrFactorRequired refuses to switch off the second factor of a role that must have one.
var ErrFactorRequired = errs.E(errs.Conflict, "administrators and trainers must keep their second factor")

// ErrNoFactor: there is no second factor to reset.
var ErrNoFactor = errs.E(errs.Conflict, "this account has no second factor")

// SecondFactor is the state of a user's second factor.
type SecondFactor struct {
	Enabled      bool      // enrolled and confirmed
	Pending      bool      // enrolment started, not yet confirmed with a code
	ConfirmedAt  time.Time // zero unless Enabled
	RecoveryLeft int       // unused recovery codes
}

// SecondFactorOf reports the user's second factor.
func (s *Service) SecondFactorOf(ctx context.Context, userID int64) (SecondFactor, error) {
	var f SecondFactor
	var confirmed sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT confirmed_at FROM second_factors WHERE user_id = ?`, userID).Scan(&confirmed)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read second factor: %w", err)
	}
	f.Enabled, f.Pending = confirmed.Valid, !confirmed.Valid
	f.ConfirmedAt = sqlite.Time(confirmed.Int64)
	if err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`,
		userID).Scan(&f.RecoveryLeft); err != nil {
		return f, fmt.Errorf("count recovery codes: %w", err)
	}
	return f, nil
}

// SecondStep is what u's sign-in needs after the right password: the code of their second factor,
// its enrolment (admins and trainers without one), or nothing.
func (s *Service) SecondStep(ctx context.Context, u *User) (Step, error) {
	f, err := s.SecondFactorOf(ctx, u.ID)
	switch {
	case err != nil:
		return StepNone, err
	case f.Enabled:
		return StepCode, nil
	case u.Role.NeedsSecondFactor():
		return StepEnrol, nil
	}
	return StepNone, nil
}

// Enrolment is a second factor being set up: the secret to type into an authenticator app and
// the otpauth:// URI that its QR code carries.
type Enrolment struct {
	Secret string // base32, as apps expect it
	URI    string
}

// BeginEnrolment starts setting up a second factor, or returns the one already started. A user
// whose second factor is active must switch it off (or have it reset) first: errs.Conflict.
func (s *Service) BeginEnrolment(ctx context.Context, userID int64) (*Enrolment, error) {
	u, err := userByID(ctx, s.db.R, userID)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Email, Period: totpPeriod,
		SecretSize: 20, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader})
	if err != nil {
		return nil, fmt.Errorf("make second-factor secret: %w", err)
	}
	sealed, err := s.keys.seal(u.ID, key.Secret())
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var confirmed sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT confirmed_at FROM second_factors WHERE user_id = ?`, u.ID).Scan(&confirmed)
		switch {
		case err == nil && confirmed.Valid:
			return errs.E(errs.Conflict, "a second factor is already set up")
		case err == nil:
			return nil // keep the secret already shown (a reload must not change the QR code)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO second_factors(user_id, secret, created_at) VALUES (?, ?, ?)`,
			u.ID, sealed, s.now().Unix())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("begin second factor: %w", err)
	}
	return s.PendingEnrolment(ctx, u.ID)
}

// PendingEnrolment returns the enrolment the user has started and not confirmed, or errs.NotFound.
func (s *Service) PendingEnrolment(ctx context.Context, userID int64) (*Enrolment, error) {
	u, err := userByID(ctx, s.db.R, userID)
	if err != nil {
		return nil, err
	}
	var sealed []byte
	err = s.db.R.QueryRowContext(ctx, `SELECT secret FROM second_factors WHERE user_id = ? AND confirmed_at IS NULL`,
		userID).Scan(&sealed)
	if err != nil {
		return nil, sqlite.NotFound(err, "second-factor enrolment")
	}
	secret, err := s.keys.open(userID, sealed)
	if err != nil {
		return nil, err
	}
	return enrolment(u.Email, secret)
}

// enrolment makes the otpauth:// URI of a secret (Key URI Format of Google Authenticator, which
// every app reads).
func enrolment(account, secret string) (*Enrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("second-factor secret: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: totpPeriod,
		Secret: raw, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	return &Enrolment{Secret: key.Secret(), URI: key.URL()}, nil
}

// CodeOptions are the TOTP parameters, for tests and outside checks that compute codes.
var CodeOptions = totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// ConfirmEnrolment activates the started second factor with a first code from the app and returns
// a fresh set of recovery codes, shown once. signIn says that this confirmation ends a sign-in
// (an admin or trainer setting up their factor before anything else): then it counts as the
// successful sign-in, like VerifySecondFactor.
func (s *Service) ConfirmEnrolment(ctx context.Context, userID int64, code, ip string, signIn bool) ([]string, error) {
	var codes []string
	_, err := s.checkCode(ctx, userID, code, ip, codeUse{enrol: true, signIn: signIn}, func(tx *sql.Tx, u *User, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE second_factors SET confirmed_at = ? WHERE user_id = ?`, now.Unix(), u.ID); err != nil {
			return err
		}
		var err error
		if codes, err = s.replaceRecoveryCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "second_factor.enabled",
			TargetID: u.ID, Target: u.Email, IP: ip})
	})
	return codes, err
}

// VerifySecondFactor ends a sign-in with the code of the user's app or one of their recovery
// codes. A right code counts as the successful sign-in; a wrong one as a failed sign-in.
//
// device is the browser's device token ("" for none): a browser the account remembers is
// throttled by its own failures here too, as at the password (devices.go).
func (s *Service) VerifySecondFactor(ctx context.Context, userID int64, code, ip, device string) (*User, error) {
	return s.checkCode(ctx, userID, code, ip, codeUse{signIn: true, recovery: true, device: device}, nil)
}

// NewRecoveryCodes replaces the user's recovery codes, after a current code, and returns the new
// set (shown once).
func (s *Service) NewRecoveryCodes(ctx context.Context, userID int64, code, ip string) ([]string, error) {
	var codes []string
	_, err := s.checkCode(ctx, userID, code, ip, codeUse{}, func(tx *sql.Tx, u *User, now time.Time) error {
		var err error
		if codes, err = s.replaceRecoveryCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "second_factor.recovery_codes",
			TargetID: u.ID, Target: u.Email, Detail: "new set of recovery codes", IP: ip})
	})
	return codes, err
}

// DisableSecondFactor switches a learner's second factor off, after a current code (or a
// recovery code). Roles that require one keep it (ErrFactorRequired).
func (s *Service) DisableSecondFactor(ctx context.Context, userID int64, code, ip string) error {
	u, err := userByID(ctx, s.db.R, userID)
	if err != nil {
		return err
	}
	if u.Role.NeedsSecondFactor() {
		return ErrFactorRequired
	}
	_, err = s.checkCode(ctx, userID, code, ip, codeUse{recovery: true}, func(tx *sql.Tx, u *User, now time.Time) error {
		if err := deleteFactor(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "second_factor.disabled",
			TargetID: u.ID, Target: u.Email, IP: ip})
	})
	return err
}

// CancelEnrolment forgets a started, unconfirmed enrolment (the user changed their mind).
func (s *Service) CancelEnrolment(ctx context.Context, userID int64) error {
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = ? AND confirmed_at IS NULL`, userID); err != nil {
		return fmt.Errorf("cancel enrolment: %w", err)
	}
	return nil
}

// ResetSecondFactor removes another user's second factor and recovery codes, for someone who lost
// their phone and their codes. Their sessions end, they are told by e-mail, and an admin or
// trainer sets up a new factor at their next sign-in.
func (s *Service) ResetSecondFactor(ctx context.Context, act audit.Actor, userID int64) error {
	if userID == act.ID {
		return ErrOwnAccount
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := decide(ctx, tx, userID, StatusPending, StatusApproved, StatusRejected, StatusDisabled)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = ?`, u.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoFactor
		}
		if err := deleteFactor(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := s.RevokeUser(ctx, tx, u.ID, nil); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, mailer.KindSecondFactorReset, u.Lang, mailer.Data{Name: u.Name, Email: u.Email,
			BaseURL: s.baseURL()}, "", ""); err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "second_factor.reset", u.ID, u.Email, "")
	})
	if err != nil {
		return fmt.Errorf("reset second factor of user %d: %w", userID, err)
	}
	return nil
}

func deleteFactor(ctx context.Context, tx *sql.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = ?`, userID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID)
	return err
}

// codeUse says what a code is checked for.
type codeUse struct {
	enrol    bool   // against the pending (unconfirmed) secret
	signIn   bool   // it ends a sign-in: success forgets the account's failures and is audited as a sign-in
	recovery bool   // a recovery code is accepted too
	device   string // the browser's device token, for a sign-in
}

// checkCode checks code against the user's second factor, throttled like a password: the attempt
// counts while it is checked (throttle.go: an attempt in flight) and is stored as a failure when
// the code is wrong. On success
// it runs then (if any) in the same transaction that records the used step or recovery code.
func (s *Service) checkCode(ctx context.Context, userID int64, code, ip string, use codeUse,
	then func(tx *sql.Tx, u *User, now time.Time) error) (*User, error) {
	u, err := userByID(ctx, s.db.R, userID)
	if err != nil {
		return nil, err
	}
	ip = clipBytes(ip, 64)
	// Code guesses count against the account like password guesses (the same key), so neither a
	// second browser nor a reset link buys fresh guesses at the code; at a sign-in, a remembered
	// browser of the account counts its own failures, as at the password.
	device := ""
	if use.signIn {
		device = use.device
	}
	a, err := s.newAttempt(ctx, u.Email, ip, device)
	if err != nil {
		return nil, err
	}
	wait, err := s.startAttempt(ctx, a)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		if err := s.recordThrottled(ctx, u.Email, ip, wait, s.now()); err != nil {
			return nil, err
		}
		return nil, tooMany(wait)
	}
	a.releaseSlot() // a code is checked without hashing; the attempt still counts until it ends
	defer a.end()
	now := a.now
	var sealed []byte
	var lastStep int64
	err = s.db.R.QueryRowContext(ctx, `SELECT secret, last_step FROM second_factors
		WHERE user_id = ? AND (confirmed_at IS NULL) = ?`, u.ID, use.enrol).Scan(&sealed, &lastStep)
	if err != nil {
		return nil, sqlite.NotFound(err, "second factor")
	}
	secret, err := s.keys.open(u.ID, sealed)
	if err != nil {
		return nil, err
	}
	code = strings.Join(strings.Fields(code), "")
	ok := false
	var how string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if step, match := matchTOTP(secret, code, now, lastStep); match {
			// The condition makes two requests racing with one code take it only once.
			res, err := tx.ExecContext(ctx, `UPDATE second_factors SET last_step = ? WHERE user_id = ? AND last_step < ?`, step, u.ID, step)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			ok, how = n == 1, "app code"
		} else if norm, isCode := codes.Normalize(code); isCode && use.recovery {
			h, err := s.keys.codeHash(u.ID, norm)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at IS NULL`,
				now.Unix(), u.ID, h)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			ok, how = n == 1, "recovery code"
		}
		if !ok {
			return nil
		}
		if use.signIn {
			// Only now is the sign-in complete: the failures of the password step and this one go
			// (a remembered browser's only: the account stays throttled for everybody else).
			if err := a.succeed(ctx, tx); err != nil {
				return err
			}
			if a.device != nil {
				how += ", remembered browser"
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, now.Unix(), u.ID); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "login.succeeded",
				TargetID: u.ID, Target: u.Email, Detail: "second factor: " + how, IP: ip}); err != nil {
				return err
			}
		}
		if then != nil {
			return then(tx, u, now)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check second-factor code: %w", err)
	}
	if !ok {
		if err := a.fail(ctx, u.Email, u, "wrong second-factor code"); err != nil {
			return nil, err
		}
		return nil, ErrWrongCode
	}
	u.LastLoginAt = sqlite.Time(now.Unix())
	return u, nil
}

// matchTOTP finds the time step (within the skew) whose code is code and that is newer than
// lastStep.
func matchTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		if step <= lastStep {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// replaceRecoveryCodes makes a new set of recovery codes, voiding the old ones.
func (s *Service) replaceRecoveryCodes(ctx context.Context, tx *sql.Tx, userID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return nil, err
	}
	out := make([]string, 0, RecoveryCount)
	for len(out) < RecoveryCount {
		// Stored keyed-hashed with the key outside the database, so the stored form cannot be
		// searched offline from the database alone.
		c := codes.New()
		h, err := s.keys.codeHash(userID, c)
		if err != nil {
			return nil, err
		}
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO recovery_codes(user_id, hash) VALUES (?, ?)`, userID, h)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = append(out, c)
		}
	}
	return out, nil
}
