package xapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// The stored statements are the queue towards a learning record store. A statement waits until
// the LRS has accepted it (or said it has it already), in the order the statements were made: when
// the LRS is down, the oldest waiting statement holds back the rest (so a voiding statement never
// overtakes the statement it voids) and is tried again after a growing pause. A statement the LRS
// refuses as invalid is marked failed with the LRS's answer and stops blocking; an admin can put
// it back (/admin/xapi). Nothing is lost when the LRS is down, and because every statement has its
// fixed id, an LRS that got a batch whose answer was lost recognises it when it comes again.

// Send states of a statement.
const (
	StateWaiting = "waiting"
	StateSent    = "sent"
	StateFailed  = "failed"
)

const (
	batchSize = 50
	// An LRS is a service under the operator's control that comes back; trying every two minutes
	// at most costs nothing and delivers soon after it does.
	firstBackoff = 15 * time.Second
	maxBackoff   = 2 * time.Minute
	pollInterval = 5 * time.Second
	maxAnswerLen = 500 // bytes of an LRS answer kept
)

// Outgoing is one statement on its way to the LRS.
type Outgoing struct {
	ID   string
	Body string // the stored JSON
}

// Verdict is what became of one statement.
type Verdict int

// Verdicts.
const (
	Delivered Verdict = iota // the LRS has it (stored now, or already had it)
	Retry                    // not now: try again later
	Refused                  // the LRS will not take it (e.g. 400): failed until an admin retries
)

// Outcome is the verdict on one statement with the LRS's answer.
type Outcome struct {
	Verdict Verdict
	Answer  string // the LRS's status and message, kept for the admin page
}

// Transport delivers statements to an LRS. Send reports one outcome per statement, in order, or
// an error when the batch could not be delivered at all (network, LRS down, credentials): then
// every statement of it waits.
type Transport interface {
	Send(ctx context.Context, batch []Outgoing) ([]Outcome, error)
}

// SendTo makes the service send the stored statements through t (serve --xapi-endpoint); Run
// does the sending.
func (s *Service) SendTo(t Transport) { s.transport = t }

// Sending reports whether an LRS is configured.
func (s *Service) Sending() bool { return s.transport != nil }

// Kick wakes the sender early, after a transaction that stored statements has committed (it also
// polls). It never blocks.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run sends due statements until ctx ends.
func (s *Service) Run(ctx context.Context) {
	if s.transport == nil {
		return
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("learning records: LRS not reachable; statements wait", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.kick:
		}
	}
}

// SendDue sends waiting statements in batches, oldest first, while the LRS takes them. It
// returns how many the LRS now has, and the error that stopped the pass (the LRS is down).
func (s *Service) SendDue(ctx context.Context) (int, error) {
	if s.transport == nil {
		return 0, nil
	}
	s.pass.Lock()
	defer s.pass.Unlock()
	delivered := 0
	for {
		batch, due, err := s.head(ctx)
		if err != nil || len(batch) == 0 || !due {
			return delivered, err
		}
		outcomes, sendErr := s.transport.Send(ctx, batch)
		if sendErr == nil && len(outcomes) != len(batch) {
			sendErr = fmt.Errorf("the LRS client reported %d outcomes for %d statements", len(outcomes), len(batch))
		}
		now := s.now()
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			for i, st := range batch {
				o := Outcome{Verdict: Retry}
				if sendErr != nil {
					o.Answer = sendErr.Error()
				} else {
					o = outcomes[i]
				}
				if err := settle(ctx, tx, st.ID, o, now); err != nil {
					return err
				}
				if o.Verdict == Delivered {
					delivered++
				}
			}
			return nil
		})
		if err != nil {
			return delivered, err
		}
		if sendErr != nil {
			return delivered, sendErr
		}
		for _, o := range outcomes {
			if o.Verdict == Retry {
				return delivered, nil // the LRS asked for a pause
			}
		}
	}
}

// head is the oldest waiting statements; due is false while the oldest one's pause runs.
func (s *Service) head(ctx context.Context) ([]Outgoing, bool, error) {
	var batch []Outgoing
	due := false
	now := s.now().Unix()
	err := sqlite.Each(ctx, s.db.R, `SELECT id, body, next_attempt_at FROM xapi_statements WHERE state = ?
		ORDER BY seq LIMIT ?`, []any{StateWaiting, batchSize}, func(scan func(...any) error) error {
		var o Outgoing
		var next int64
		if err := scan(&o.ID, &o.Body, &next); err != nil {
			return err
		}
		if len(batch) == 0 {
			due = next <= now
		}
		batch = append(batch, o)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("read the statement queue: %w", err)
	}
	return batch, due, nil
}

// settle records the outcome of one statement.
func settle(ctx context.Context, tx *sql.Tx, id string, o Outcome, now time.Time) error {
	answer := clip(o.Answer, maxAnswerLen)
	var err error
	switch o.Verdict {
	case Delivered:
		_, err = tx.ExecContext(ctx, `UPDATE xapi_statements SET state = ?, sent_at = ?, attempts = attempts + 1, last_error = ?
			WHERE id = ?`, StateSent, now.Unix(), answer, id)
	case Refused:
		_, err = tx.ExecContext(ctx, `UPDATE xapi_statements SET state = ?, attempts = attempts + 1, last_error = ? WHERE id = ?`,
			StateFailed, answer, id)
	default:
		var attempts int
		if err = tx.QueryRowContext(ctx, `SELECT attempts FROM xapi_statements WHERE id = ?`, id).Scan(&attempts); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE xapi_statements SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
			WHERE id = ?`, answer, now.Add(backoff(attempts+1)).Unix(), id)
	}
	if err != nil {
		return fmt.Errorf("statement %s: %w", id, err)
	}
	return nil
}

// backoff is the pause after the n-th failed attempt: 15 s, 30 s, 1 min, then every 2 min.
func backoff(n int) time.Duration {
	d := firstBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// Retry puts a failed statement (id) or every failed one (id "") back into the queue, and lets
// waiting ones go at once; audited in the same transaction.
func (s *Service) Retry(ctx context.Context, act audit.Actor, id string) (int, error) {
	now := s.now()
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE xapi_statements SET state = ?, next_attempt_at = ?
			WHERE (state = ? AND (? = '' OR id = ?)) OR (? = '' AND state = ?)`,
			StateWaiting, now.Unix(), StateFailed, id, id, id, StateWaiting)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if id != "" && n == 0 {
			return errs.E(errs.NotFound, "no failed statement with this id")
		}
		target := "all failed and waiting statements"
		if id != "" {
			target = "statement " + id
		}
		return audit.Log(ctx, tx, now, act, "xapi.retry", 0, "", fmt.Sprintf("%s (%d)", target, n))
	})
	if err != nil {
		return 0, fmt.Errorf("retry statements: %w", err)
	}
	s.Kick()
	return int(n), nil
}

// QueueStats sums up the queue, for the admin page and for monitoring.
type QueueStats struct {
	Waiting, Sent, Failed int
	OldestWaiting         time.Time // when the oldest waiting statement was made; zero if none
}

// Stats sums up the queue.
func (s *Service) Stats(ctx context.Context) (QueueStats, error) {
	var q QueueStats
	var oldest int64
	err := s.db.R.QueryRowContext(ctx, `SELECT coalesce(sum(state = 'waiting'), 0), coalesce(sum(state = 'sent'), 0),
		coalesce(sum(state = 'failed'), 0), coalesce(min(CASE WHEN state = 'waiting' THEN created_at END), 0) FROM xapi_statements`).
		Scan(&q.Waiting, &q.Sent, &q.Failed, &oldest)
	if err != nil {
		return q, fmt.Errorf("queue statistics: %w", err)
	}
	q.OldestWaiting = sqlite.Time(oldest)
	return q, nil
}

// Item is one statement in the admin's view of the queue.
type Item struct {
	ID          string
	State       string
	Verb        string // the verb's last path segment: completed, passed, …
	Object      string // the object's id
	Timestamp   string
	CreatedAt   time.Time
	Attempts    int
	NextAttempt time.Time
	SentAt      time.Time
	Answer      string // the LRS's last answer
}

// Items lists up to limit statements in one state: waiting and failed ones oldest first (the
// order they go in), sent ones newest first.
func (s *Service) Items(ctx context.Context, state string, limit int) ([]Item, error) {
	order := "seq"
	if state == StateSent {
		order = "seq DESC"
	}
	var out []Item
	err := sqlite.Each(ctx, s.db.R, `SELECT id, state, body, created_at, attempts, next_attempt_at, coalesce(sent_at, 0), last_error
		FROM xapi_statements WHERE state = ? ORDER BY `+order+` LIMIT ?`, []any{state, limit}, func(scan func(...any) error) error {
		var it Item
		var body string
		var created, next, sent int64
		if err := scan(&it.ID, &it.State, &body, &created, &it.Attempts, &next, &sent, &it.Answer); err != nil {
			return err
		}
		it.CreatedAt, it.NextAttempt, it.SentAt = sqlite.Time(created), sqlite.Time(next), sqlite.Time(sent)
		var st Statement
		if err := json.Unmarshal([]byte(body), &st); err == nil {
			it.Verb = st.Verb.ID[strings.LastIndexByte(st.Verb.ID, '/')+1:]
			it.Object, it.Timestamp = st.Object.ID, st.Timestamp
		}
		out = append(out, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list statements: %w", err)
	}
	return out, nil
}

// clip cuts s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
