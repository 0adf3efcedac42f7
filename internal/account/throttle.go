package account

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/limits"
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
//     held by the account's limits nor by its address's cap: the same two account limits apply
//     to the failures made with that browser instead. So an attacker who locks an account does not lock out its owner's browser,
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

// An attempt is a sign-in (a password change's check of the current password, a second-factor
// code) in flight. It holds one of the hashing slots and, until it ends, counts for the throttle
// as a failure of its account (or remembered browser) and address — so a burst of parallel
// guesses is counted as it comes in, not after the slow password checks. It lives in memory, not
// as a row: a right password then costs no write to take back, and the attempts in flight are
// bounded by the hashing slots (4), so many right sign-ins at once from one address (a town hall
// behind NAT) never add up to the address's cap.
type attempt struct {
	s         *Service
	key       string    // typedHash of the address typed
	ip        string    // the client's address, for the audit log
	network   string    // what the per-address cap counts (limits.Network: an IPv6 address's /64)
	device    []byte    // hash of a trusted device of the account typed; nil for none
	now       time.Time // when the attempt got its slot
	release   func()    // the hashing slot; nil once given back
	forgotten bool      // no longer counted
}

// counter is what the attempt counts against besides its address: the remembered browser, or
// the account typed.
func (a *attempt) counter() string {
	if a.device != nil {
		return "device:" + string(a.device)
	}
	return a.key
}

// inflight counts the attempts in flight per account (or remembered browser) and per address.
type inflight struct {
	mu    sync.Mutex
	byKey map[string]int
	byIP  map[string]int
}

// newAttempt prepares an attempt for the address typed from ip; device is the browser's device
// token ("" for none), which counts only if it is a remembered browser of that account.
func (s *Service) newAttempt(ctx context.Context, email, ip, device string) (*attempt, error) {
	key, err := s.typedHash(ctx, email)
	if err != nil {
		return nil, err
	}
	a := &attempt{s: s, key: key, ip: clipBytes(ip, 64), network: clipBytes(limits.Network(ip), 64)}
	if a.device, err = trustedDevice(ctx, s.db.R, device, email, s.now()); err != nil {
		return nil, err
	}
	return a, nil
}

// startAttempt waits for a hashing slot and checks the throttle, counting the attempts in
// flight; if the attempt may go ahead it is counted too, in the same critical section. Otherwise
// wait says how long the caller must wait and nothing is held. A first check before queueing
// refuses a throttled caller at once, without waiting for a slot.
func (s *Service) startAttempt(ctx context.Context, a *attempt) (wait time.Duration, err error) {
	if wait, err = s.throttleWait(ctx, a, s.now()); err != nil || wait > 0 {
		return wait, err
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return 0, err
	}
	s.attempts.mu.Lock()
	defer s.attempts.mu.Unlock()
	now := s.now()
	wait, err = throttleWaitIn(ctx, s.db.R, a, now, s.attempts.byKey[a.counter()], s.attempts.byIP[a.network])
	if err != nil || wait > 0 {
		release()
		return wait, err
	}
	if s.attempts.byKey == nil {
		s.attempts.byKey, s.attempts.byIP = map[string]int{}, map[string]int{}
	}
	s.attempts.byKey[a.counter()]++
	s.attempts.byIP[a.network]++
	a.now, a.release = now, release
	return 0, nil
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
	if in.byKey[a.counter()]--; in.byKey[a.counter()] <= 0 {
		delete(in.byKey, a.counter())
	}
	if in.byIP[a.network]--; in.byIP[a.network] <= 0 {
		delete(in.byIP, a.network)
	}
}

// throttleWait is throttleWaitIn over the read pool, with the attempts now in flight. It holds
// the lock for the read, so that an attempt stored as a failure meanwhile is not counted twice.
func (s *Service) throttleWait(ctx context.Context, a *attempt, now time.Time) (time.Duration, error) {
	s.attempts.mu.Lock()
	defer s.attempts.mu.Unlock()
	return throttleWaitIn(ctx, s.db.R, a, now, s.attempts.byKey[a.counter()], s.attempts.byIP[a.network])
}

// fail stores the attempt as a failed sign-in and stops counting it as in flight, in one step
// for the throttle's checks (which take the same lock): it is counted once, never twice or not at
// all. actor is who the audit line names: the account's address, or the keyed hash of what was
// typed.
func (a *attempt) fail(ctx context.Context, actor string, u *User, reason string) error {
	a.releaseSlot()
	in := &a.s.attempts
	in.mu.Lock()
	defer in.mu.Unlock()
	err := a.s.recordFailure(ctx, a, actor, u, reason)
	a.forget()
	return err
}

// succeed forgets, in tx, the failures a right password or code ends: the remembered browser's
// only (the account stays throttled for everybody else), or else all of the account's.
func (a *attempt) succeed(ctx context.Context, tx *sql.Tx) error {
	col, key := "email", any(a.key)
	if a.device != nil {
		col, key = "device", a.device
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE `+col+` = ?`, key); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}

// throttleWaitIn reports how long attempt a has to wait (0: it may go ahead), counting
// pendingKey and pendingIP attempts in flight as failures at now.
func throttleWaitIn(ctx context.Context, q querier, a *attempt, now time.Time, pendingKey, pendingIP int) (time.Duration, error) {
	t := now.Unix()
	var ipFailures int
	var ipOldest int64
	err := q.QueryRowContext(ctx, `SELECT count(*), coalesce(min(at), 0) FROM login_failures WHERE ip = ? AND at > ?`,
		a.network, t-int64(ipWindow/time.Second)).Scan(&ipFailures, &ipOldest)
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
	// A remembered browser signing in to its own account is not held by its address's cap: a
	// faulty script or a guesser behind the town hall's shared address must not lock out the
	// staff's own browsers. Its failures stay limited by the browser's own counts below.
	if ipFailures >= ipCap && a.device == nil {
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
	if pendingKey > 0 {
		hourly += pendingKey
		recent += pendingKey
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

// recordFailure stores and audits a failed attempt and prunes failures too old to matter for
// this account and address.
func (s *Service) recordFailure(ctx context.Context, a *attempt, actor string, u *User, reason string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures(email, ip, at, device) VALUES(?, ?, ?, ?)`,
			a.key, a.network, a.now.Unix(), a.device); err != nil {
			return fmt.Errorf("record failed sign-in: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE (email = ? OR ip = ?) AND at <= ?`,
			a.key, a.network, a.now.Add(-failureRetention).Unix()); err != nil {
			return fmt.Errorf("prune failed sign-ins: %w", err)
		}
		if a.device != nil {
			reason += " (remembered browser)"
		}
		e := audit.Event{At: a.now, Actor: actor, Action: "login.failed", Detail: reason, IP: a.ip}
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
	key, err := s.typedHashIn(ctx, tx, email)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE email = ?`, key); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}
