package account

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// Sign-in throttling, counted from login_failures (failed attempts only; refused attempts while
// throttled are not failures, so waiting is always enough to get in again).
//
//   - Per account (the e-mail typed, known or not): the first 5 failures within 15 minutes cost
//     nothing; after that every attempt waits 30 s × 2^(n−5) since the last failure (30 s, 1 min,
//     2 min, …, at most 15 min), even with the right password.
//   - Per account, hard cap: 20 failures within an hour stop all attempts until the oldest of
//     them is an hour old.
//   - Per IP address: 50 failures within 15 minutes, across all accounts, stop every sign-in from
//     that address until the oldest of them is 15 minutes old.
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

// An attempt is a sign-in (or a password change's check of the current password) in flight. It
// holds one of the hashing slots and, until it ends, counts for the throttle as a failure of its
// account and address — so a burst of parallel guesses is counted as it comes in, not after the
// slow password checks. It lives in memory, not as a row: a right password then costs no write
// to take back, and the attempts in flight are bounded by the hashing slots (4), so many right
// sign-ins at once from one address (a town hall behind NAT) never add up to the address's cap.
type attempt struct {
	s         *Service
	email, ip string
	now       time.Time // when the attempt got its slot
	release   func()    // the hashing slot; nil once given back
	forgotten bool      // no longer counted
}

// inflight counts the attempts in flight per account and per address.
type inflight struct {
	mu      sync.Mutex
	byEmail map[string]int
	byIP    map[string]int
}

// startAttempt waits for a hashing slot and checks the throttle, counting the attempts in
// flight; if the attempt may go ahead it is counted too, in the same critical section, and
// returned. Otherwise wait says how long the caller must wait and nothing is held. A first check
// before queueing refuses a throttled caller at once, without waiting for a slot.
func (s *Service) startAttempt(ctx context.Context, email, ip string) (a *attempt, wait time.Duration, err error) {
	if wait, err = s.throttleWait(ctx, email, ip, s.now()); err != nil || wait > 0 {
		return nil, wait, err
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return nil, 0, err
	}
	s.attempts.mu.Lock()
	defer s.attempts.mu.Unlock()
	now := s.now()
	wait, err = throttleWaitIn(ctx, s.db.R, email, ip, now, s.attempts.byEmail[email], s.attempts.byIP[ip])
	if err != nil || wait > 0 {
		release()
		return nil, wait, err
	}
	if s.attempts.byEmail == nil {
		s.attempts.byEmail, s.attempts.byIP = map[string]int{}, map[string]int{}
	}
	s.attempts.byEmail[email]++
	s.attempts.byIP[ip]++
	return &attempt{s: s, email: email, ip: ip, now: now, release: release}, 0, nil
}

// verify checks pw against the stored hash in the attempt's slot, then gives the slot back.
func (a *attempt) verify(phc, pw string) bool {
	defer a.releaseSlot()
	return a.s.verifyHeld(phc, pw)
}

func (a *attempt) releaseSlot() {
	if a.release != nil {
		a.release()
		a.release = nil
	}
}

// end stops counting the attempt. Call it after its outcome is stored (a failure recorded, or the
// failures cleared), so that there is no moment in which it counts nowhere.
func (a *attempt) end() {
	a.releaseSlot()
	a.s.attempts.mu.Lock()
	defer a.s.attempts.mu.Unlock()
	a.forget()
}

// forget stops counting the attempt; the caller holds the lock.
func (a *attempt) forget() {
	if a.forgotten {
		return
	}
	a.forgotten = true
	in := &a.s.attempts
	if in.byEmail[a.email]--; in.byEmail[a.email] <= 0 {
		delete(in.byEmail, a.email)
	}
	if in.byIP[a.ip]--; in.byIP[a.ip] <= 0 {
		delete(in.byIP, a.ip)
	}
}

// throttleWait is throttleWaitIn over the read pool, with the attempts now in flight. It holds
// the lock for the read, so that an attempt stored as a failure meanwhile is not counted twice.
func (s *Service) throttleWait(ctx context.Context, email, ip string, now time.Time) (time.Duration, error) {
	s.attempts.mu.Lock()
	defer s.attempts.mu.Unlock()
	return throttleWaitIn(ctx, s.db.R, email, ip, now, s.attempts.byEmail[email], s.attempts.byIP[ip])
}

// fail stores the attempt as a failed sign-in and stops counting it as in flight, in one step
// for the throttle's checks (which take the same lock): it is counted once, never twice or not at
// all.
func (a *attempt) fail(ctx context.Context, u *User, reason string) error {
	a.releaseSlot()
	in := &a.s.attempts
	in.mu.Lock()
	defer in.mu.Unlock()
	err := a.s.recordFailure(ctx, a.email, a.ip, u, reason, a.now)
	a.forget()
	return err
}

// throttleWaitIn reports how long a sign-in for email from ip has to wait (0: it may go ahead),
// counting pendingEmail and pendingIP attempts in flight as failures at now.
func throttleWaitIn(ctx context.Context, q querier, email, ip string, now time.Time, pendingEmail, pendingIP int) (time.Duration, error) {
	t := now.Unix()
	var ipFailures int
	var ipOldest int64
	err := q.QueryRowContext(ctx, `SELECT count(*), coalesce(min(at), 0) FROM login_failures WHERE ip = ? AND at > ?`,
		ip, t-int64(ipWindow/time.Second)).Scan(&ipFailures, &ipOldest)
	if err != nil {
		return 0, fmt.Errorf("throttle by address: %w", err)
	}
	if pendingIP > 0 {
		ipFailures += pendingIP
		if ipOldest == 0 {
			ipOldest = t
		}
	}
	var wait time.Duration
	if ipFailures >= ipCap {
		wait = max(wait, time.Unix(ipOldest, 0).Add(ipWindow).Sub(now))
	}

	var hourly, recent int
	var oldest, last int64
	err = q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(at > ?), 0), coalesce(min(at), 0), coalesce(max(at), 0)
		FROM login_failures WHERE email = ? AND at > ?`,
		t-int64(throttleWindow/time.Second), email, t-int64(failureRetention/time.Second)).Scan(&hourly, &recent, &oldest, &last)
	if err != nil {
		return 0, fmt.Errorf("throttle by account: %w", err)
	}
	if pendingEmail > 0 {
		hourly += pendingEmail
		recent += pendingEmail
		last = t
		if oldest == 0 {
			oldest = t
		}
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

// recordFailure stores and audits a failed attempt and prunes failures too old to matter for this
// account and address.
func (s *Service) recordFailure(ctx context.Context, email, ip string, u *User, reason string, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures(email, ip, at) VALUES(?, ?, ?)`, email, ip, now.Unix()); err != nil {
			return fmt.Errorf("record failed sign-in: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE (email = ? OR ip = ?) AND at <= ?`,
			email, ip, now.Add(-failureRetention).Unix()); err != nil {
			return fmt.Errorf("prune failed sign-ins: %w", err)
		}
		e := audit.Event{At: now, Actor: email, Action: "login.failed", Detail: reason, IP: ip}
		if u != nil {
			e.TargetID, e.Target = u.ID, u.Email
		}
		return audit.Record(ctx, tx, e)
	})
}

// recordThrottled writes "login.throttled" at most once a minute per e-mail and address, so an
// attacker hammering a locked account cannot flood the audit log.
func (s *Service) recordThrottled(ctx context.Context, email, ip string, wait time.Duration, now time.Time) error {
	recent, err := audit.Recent(ctx, s.db.R, "login.throttled", email, ip, now.Add(-throttleAuditEvery))
	if err != nil || recent > 0 {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Record(ctx, tx, audit.Event{At: now, Actor: email, Action: "login.throttled",
			Detail: fmt.Sprintf("sign-in refused for %s", wait.Round(time.Second)), IP: ip})
	})
}

// clearFailures forgets an account's failures after a successful sign-in or a password reset.
func clearFailures(ctx context.Context, tx *sql.Tx, email string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE email = ?`, email); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}
