package account

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// Sign-in throttling, counted from login_failures (failed attempts only; refused attempts while
// throttled are not failures, so waiting is always enough to get in again). Failures are keyed by
// a keyed hash of the address typed (see typed.go), never by the text itself.
//
//   - Per account (the e-mail typed, known or not): the first 5 failures within 15 minutes cost
//     nothing; after that every attempt waits 30 s × 2^(n−5) since the last failure (30 s, 1 min,
//     2 min, …, at most 15 min), even with the right password.
//   - Per account, hard cap: 20 failures within an hour stop all attempts until the oldest of
//     them is an hour old.
//   - Per IP address: 50 failures within 15 minutes, across all accounts, stop every sign-in from
//     that address until the oldest of them is 15 minutes old.
//   - A remembered browser (trusted device, devices.go) that signs in to its own account is not
//     held by the account's limits: the same two limits apply to the failures made with that
//     browser instead. So an attacker who locks an account does not lock out its owner's browser,
//     and the owner's typos do not unlock the account for the attacker.
const (
	throttleWindow     = 15 * time.Minute
	throttleFree       = 5
	throttleBaseDelay  = 30 * time.Second
	throttleMaxDelay   = 15 * time.Minute
	accountHourlyCap   = 20
	ipCap              = 50
	ipWindow           = 15 * time.Minute
	failureRetention   = time.Hour // the longest window above
	throttleAuditEvery = time.Minute
)

// ThrottleError is the cause inside the errs.TooMany that a throttled sign-in returns.
type ThrottleError struct {
	RetryAfter time.Duration
}

func (e *ThrottleError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.RetryAfter.Round(time.Second))
}

func tooMany(wait time.Duration) error {
	return errs.Wrap(errs.TooMany, &ThrottleError{RetryAfter: wait}, "too many failed sign-in attempts; please wait and try again")
}

// backoff is the wait after n failures within the window.
func backoff(n int) time.Duration {
	if n < throttleFree {
		return 0
	}
	d := throttleBaseDelay
	for i := throttleFree; i < n && d < throttleMaxDelay; i++ {
		d *= 2
	}
	return min(d, throttleMaxDelay)
}

// attempt is one sign-in attempt as the throttle sees it.
type attempt struct {
	key    string // typedHash of the address typed
	ip     string
	device []byte // hash of a trusted device of the account typed; nil for none
}

// reserveAttempt checks the throttle and, if the attempt may go ahead, records it as a failure at
// once, in the same write transaction. The password is checked afterwards; a right one releases
// the reservation. Counting first and recording after the slow check would let a burst of
// parallel guesses all pass the check before any of them is counted.
func (s *Service) reserveAttempt(ctx context.Context, a attempt, now time.Time) (id int64, wait time.Duration, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if wait, err = throttleWait(ctx, tx, a, now); err != nil || wait > 0 {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO login_failures(email, ip, at, device) VALUES(?, ?, ?, ?)`,
			a.key, a.ip, now.Unix(), a.device)
		if err != nil {
			return fmt.Errorf("record sign-in attempt: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, wait, err
}

// releaseAttempt forgets a reserved attempt whose password was right.
func releaseAttempt(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE id = ?`, id); err != nil {
		return fmt.Errorf("release sign-in attempt: %w", err)
	}
	return nil
}

// throttleWait reports how long an attempt has to wait (0: it may go ahead).
func throttleWait(ctx context.Context, q querier, a attempt, now time.Time) (time.Duration, error) {
	t := now.Unix()
	var ipFailures int
	var ipOldest int64
	err := q.QueryRowContext(ctx, `SELECT count(*), coalesce(min(at), 0) FROM login_failures WHERE ip = ? AND at > ?`,
		a.ip, t-int64(ipWindow/time.Second)).Scan(&ipFailures, &ipOldest)
	if err != nil {
		return 0, fmt.Errorf("throttle by address: %w", err)
	}
	var wait time.Duration
	if ipFailures >= ipCap {
		wait = max(wait, time.Unix(ipOldest, 0).Add(ipWindow).Sub(now))
	}

	// The account's failures, or those of the remembered browser.
	col, key := "email", any(a.key)
	if a.device != nil {
		col, key = "device", a.device
	}
	var hourly, recent int
	var oldest, last int64
	err = q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(at > ?), 0), coalesce(min(at), 0), coalesce(max(at), 0)
		FROM login_failures WHERE `+col+` = ? AND at > ?`,
		t-int64(throttleWindow/time.Second), key, t-int64(failureRetention/time.Second)).Scan(&hourly, &recent, &oldest, &last)
	if err != nil {
		return 0, fmt.Errorf("throttle by account: %w", err)
	}
	if hourly >= accountHourlyCap {
		wait = max(wait, time.Unix(oldest, 0).Add(failureRetention).Sub(now))
	}
	if d := backoff(recent); d > 0 {
		wait = max(wait, time.Unix(last, 0).Add(d).Sub(now))
	}
	if wait > 0 && wait < time.Second {
		wait = time.Second // stored times are whole seconds
	}
	return max(wait, 0), nil
}

// recordFailure audits a failed attempt (reserveAttempt has already counted it) and prunes
// failures too old to matter for this account and address. actor is who the audit line names:
// the account's address, or the keyed hash of what was typed.
func (s *Service) recordFailure(ctx context.Context, a attempt, actor string, u *User, reason string, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE (email = ? OR ip = ?) AND at <= ?`,
			a.key, a.ip, now.Add(-failureRetention).Unix()); err != nil {
			return fmt.Errorf("prune failed sign-ins: %w", err)
		}
		if a.device != nil {
			reason += " (remembered browser)"
		}
		e := audit.Event{At: now, Actor: actor, Action: "login.failed", Detail: reason, IP: a.ip}
		if u != nil {
			e.TargetID, e.Target = u.ID, u.Email
		}
		return audit.Record(ctx, tx, e)
	})
}

// recordThrottled writes "login.throttled" at most once a minute per actor and address, so an
// attacker hammering a locked account cannot flood the audit log.
func (s *Service) recordThrottled(ctx context.Context, actor, ip string, wait time.Duration, now time.Time) error {
	recent, err := audit.Recent(ctx, s.db.R, "login.throttled", actor, ip, now.Add(-throttleAuditEvery))
	if err != nil || recent > 0 {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Record(ctx, tx, audit.Event{At: now, Actor: actor, Action: "login.throttled",
			Detail: fmt.Sprintf("sign-in refused for %s", wait.Round(time.Second)), IP: ip})
	})
}

// clearFailures forgets an account's failures after a successful sign-in or a password reset.
func (s *Service) clearFailures(ctx context.Context, tx *sql.Tx, email string) error {
	key, err := s.typedHash(ctx, email)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE email = ?`, key); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}
