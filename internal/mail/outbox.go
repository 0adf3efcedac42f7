package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/sqlite"
)

// Outbox statuses.
const (
	StatusPending = "pending" // waiting for its (next) attempt
	StatusSent    = "sent"
	StatusFailed  = "failed" // gave up after maxAttempts; an admin may Retry
)

const (
	maxAttempts  = 10
	firstBackoff = 30 * time.Second
	maxBackoff   = time.Hour
	pollInterval = 2 * time.Second
	maxErrorLen  = 500 // bytes of last_error kept; SMTP errors can be long transcripts
)

// Sender delivers one message. id is the outbox id, useful for file names and Message-IDs.
type Sender interface {
	Send(ctx context.Context, m Message, id int64) error
}

// Enqueue stores m in the outbox inside the caller's transaction, so that the mail exists if and
// only if the event that caused it (a registration, an approval, ...) was committed. It never sends;
// call Outbox.Kick after the commit to have it sent without waiting for the next poll.
func Enqueue(ctx context.Context, tx *sql.Tx, m Message, now time.Time) (int64, error) {
	if err := validate(m); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox
		(to_addr, to_name, lang, kind, subject, body, status, attempts, next_attempt_at, created_at, message_key, from_public_form)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
		m.To, m.ToName, i18n.OrDefault(string(m.Lang)), m.Kind, m.Subject, m.Body, StatusPending, now.Unix(), now.Unix(),
		newMessageKey(), m.Public)
	if err != nil {
		return 0, fmt.Errorf("enqueue mail: %w", err)
	}
	return res.LastInsertId()
}

// validate refuses what would break the message headers later, when nobody is there to see it.
func validate(m Message) error {
	addr, err := mail.ParseAddress(m.To)
	if err != nil || addr.Address != m.To {
		return errs.E(errs.Invalid, "invalid recipient e-mail address")
	}
	if strings.ContainsAny(m.ToName+m.Subject, "\r\n") {
		return errs.E(errs.Invalid, "recipient name and subject must be a single line")
	}
	if strings.TrimSpace(m.Subject) == "" || strings.TrimSpace(m.Body) == "" {
		return errs.E(errs.Invalid, "e-mail needs a subject and a body")
	}
	return nil
}

// Outbox delivers queued mail and lists it for the admin page.
type Outbox struct {
	db     *sqlite.DB
	sender Sender
	log    *slog.Logger
	now    func() time.Time
	kick   chan struct{}
	// pass serialises delivery passes, so Run and a direct DeliverDue never send the same mail twice.
	pass sync.Mutex
}

// NewOutbox returns an outbox delivering through sender; now is the clock (time.Now in production).
func NewOutbox(db *sqlite.DB, sender Sender, log *slog.Logger, now func() time.Time) *Outbox {
	return &Outbox{db: db, sender: sender, log: log, now: now, kick: make(chan struct{}, 1)}
}

// Kick wakes the worker early, e.g. right after a transaction that enqueued mail committed. It
// never blocks: one pending wake-up is as good as many.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Run delivers due mail until ctx is cancelled, waking every poll interval or on Kick.
func (o *Outbox) Run(ctx context.Context) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if _, err := o.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			o.log.Error("mail outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-o.kick:
		}
	}
}

type queued struct {
	id       int64
	attempts int
	msg      Message
}

// DeliverDue makes one pass over the pending mail that is due, oldest first, and reports how many
// were sent. A failed send is recorded on the mail (with backoff), not returned; the error is for
// the database or a cancelled ctx.
//
// Each mail is claimed before it is sent (see claim), so that two workers — a second process on
// the same database, which serve's lock on the data folder otherwise prevents — never send the
// same mail twice.
func (o *Outbox) DeliverDue(ctx context.Context) (sent int, err error) {
	o.pass.Lock()
	defer o.pass.Unlock()
	defer func() {
		if sent > 0 {
			// The bodies just cleared held live activation and reset links: push them out of the
			// write-ahead log too.
			if err := o.db.Scrub(context.WithoutCancel(ctx)); err != nil {
				o.log.Warn("scrub sent mail from the write-ahead log", "err", err)
			}
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		q, err := o.claim(ctx, o.now())
		if err != nil || q == nil {
			return sent, err
		}
		// Sending happens outside any transaction: a slow SMTP server must not hold the
		// database's only write lock.
		sendErr := o.sender.Send(ctx, q.msg, q.id)
		if sendErr != nil && ctx.Err() != nil {
			// Shutting down is not the mail's fault: hand it back, due at once, for the next start.
			o.release(context.WithoutCancel(ctx), q)
			return sent, ctx.Err()
		}
		// Recorded even if ctx is cancelled meanwhile: a mail that went out must not go out again.
		if err := o.record(context.WithoutCancel(ctx), *q, sendErr); err != nil {
			return sent, err
		}
		if sendErr != nil {
			// Most failures mean the server is unreachable; trying the rest now would only wait
			// out one timeout per mail. They stay due for the next pass.
			return sent, nil
		}
		sent++
	}
}

// claimLease is how long a claimed mail is kept from other workers. It is far longer than a send
// can take (every SMTP step times out after smtpTimeout), so a mail is sent twice only if a
// worker died after sending it and before recording it — at least once, never lost.
const claimLease = 15 * time.Minute

// bulkKinds are the mails sent to many people at once — a cohort's reminders, a trainer's
// message, retention's warnings — which may queue by the thousand; the rest (activation, password
// reset, registration, certificates) goes out before them.
var bulkKinds = []Kind{KindReminder, KindCohortMessage, KindInactivityWarning}

// claim takes the oldest due mail in one statement, mail to one person before bulk mail (a
// password reset must not wait behind a cohort's thousand reminders: its link expires in an
// hour): its next attempt moves past the lease, so no other worker finds it due, and it is
// returned; nil when nothing is due.
func (o *Outbox) claim(ctx context.Context, now time.Time) (*queued, error) {
	var q queued
	m := &q.msg
	err := o.db.W.QueryRowContext(ctx, `UPDATE mail_outbox SET next_attempt_at = ?
		WHERE id = (SELECT id FROM mail_outbox WHERE status = ? AND next_attempt_at <= ?
			ORDER BY kind IN (?, ?, ?), id LIMIT 1)
		RETURNING id, attempts, to_addr, to_name, lang, kind, subject, body, message_key`,
		now.Add(claimLease).Unix(), StatusPending, now.Unix(), bulkKinds[0], bulkKinds[1], bulkKinds[2]).Scan(&q.id, &q.attempts, &m.To, &m.ToName, &m.Lang, &m.Kind, &m.Subject, &m.Body, &m.MessageKey)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim due mail: %w", err)
	}
	return &q, nil
}

// release hands a claimed mail back, due at once.
func (o *Outbox) release(ctx context.Context, q *queued) {
	if _, err := o.db.W.ExecContext(ctx, `UPDATE mail_outbox SET next_attempt_at = ? WHERE id = ? AND status = ?`,
		o.now().Unix(), q.id, StatusPending); err != nil {
		o.log.Warn("hand back claimed mail", "id", q.id, "err", err)
	}
}

// Backlog is the state of the queue for monitoring: how many mails wait to be sent and how old
// the oldest of them is (0 when none waits). The age grows while delivery is stuck — an SMTP
// server down, a worker not running — and stays small while mail flows.
func (o *Outbox) Backlog(ctx context.Context) (pending int, oldest time.Duration, err error) {
	var created sql.NullInt64
	err = o.db.R.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM mail_outbox WHERE status = ?`,
		StatusPending).Scan(&pending, &created)
	if err != nil {
		return 0, 0, fmt.Errorf("mail backlog: %w", err)
	}
	if created.Valid {
		oldest = max(o.now().Sub(time.Unix(created.Int64, 0)), 0)
	}
	return pending, oldest, nil
}

// Stuck reports whether delivery has stopped: mail has waited for longer than after, nothing
// made since the oldest of it was delivered within after, and the waiting mail is either not
// tried yet (the worker is not running) or for more than one recipient (the SMTP server or
// the network refuses everything). One recipient whose mailbox keeps answering "try later" is
// retried for hours by design; while other mail goes out that is not the outbox standing still.
func (o *Outbox) Stuck(ctx context.Context, after time.Duration) (bool, error) {
	cutoff := o.now().Add(-after).Unix()
	var recipients, untried int
	var oldest sql.NullInt64
	err := o.db.R.QueryRowContext(ctx, `SELECT count(DISTINCT to_addr), coalesce(sum(attempts = 0), 0), min(created_at)
		FROM mail_outbox WHERE status = ? AND created_at <= ?`, StatusPending, cutoff).Scan(&recipients, &untried, &oldest)
	if err != nil {
		return false, fmt.Errorf("mail backlog: %w", err)
	}
	if !oldest.Valid {
		return false, nil
	}
	var moving bool
	err = o.db.R.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE created_at >= ? AND sent_at >= ?)`,
		oldest.Int64, cutoff).Scan(&moving)
	if err != nil {
		return false, fmt.Errorf("mail backlog: %w", err)
	}
	return !moving && (untried > 0 || recipients > 1), nil
}

// record stores the outcome of one attempt.
func (o *Outbox) record(ctx context.Context, q queued, sendErr error) error {
	now := o.now()
	attempts := q.attempts + 1
	if sendErr == nil {
		// The body goes: it holds single-use tokens that the database otherwise keeps only as hashes.
		_, err := o.db.W.ExecContext(ctx, `UPDATE mail_outbox
			SET status = ?, attempts = ?, sent_at = ?, last_error = '', body = '' WHERE id = ?`,
			StatusSent, attempts, now.Unix(), q.id)
		if err != nil {
			// The mail went out but we could not say so; it will be sent again (at least once).
			return fmt.Errorf("mark mail %d sent: %w", q.id, err)
		}
		o.log.Debug("mail sent", "id", q.id, "kind", q.msg.Kind)
		return nil
	}
	status, next := StatusPending, now.Add(Backoff(attempts))
	if attempts >= maxAttempts || errors.As(sendErr, new(unsendable)) {
		status = StatusFailed
	}
	// The mail library names the recipient in its errors ("affected recipient(s): …"); the log
	// is not the place for addresses (docs/data-protection.md: the server log holds addresses
	// of clients, times and pages), and the row names the recipient already.
	why := strings.ReplaceAll(sendErr.Error(), q.msg.To, "<recipient>")
	_, err := o.db.W.ExecContext(ctx, `UPDATE mail_outbox
		SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?`,
		status, attempts, truncate(why, maxErrorLen), next.Unix(), q.id)
	if err != nil {
		return fmt.Errorf("record mail %d failure: %w", q.id, err)
	}
	if status == StatusFailed {
		o.log.Error("mail delivery gave up", "id", q.id, "kind", q.msg.Kind, "attempts", attempts, "err", why)
	} else {
		o.log.Warn("mail delivery failed, will retry", "id", q.id, "kind", q.msg.Kind,
			"attempts", attempts, "next_attempt", next, "err", why)
	}
	return nil
}

// Backoff is the wait after the given number of failed attempts: 30 s, 1 min, 2 min, … doubling up
// to one hour, so a short outage is bridged quickly and a long one is not hammered.
func Backoff(attempts int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// ForgetRecipient removes a person from the outbox when their data is erased, in the caller's
// transaction: mail to their address is deleted, and so is every unsent mail about them — whose
// subject or body names their address, or their name as whole words (a "new registration"
// notice, accessibility feedback quoted to the operator, a message the person wrote to a cohort);
// the subject of sent notices, which names them, is replaced by pseudonym. (Sent mail has no body
// left.)
func ForgetRecipient(ctx context.Context, tx *sql.Tx, email, name, pseudonym string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE to_addr = ? COLLATE NOCASE`, email); err != nil {
		return fmt.Errorf("forget recipient: %w", err)
	}
	names := mentions(email, name)
	var about []int64
	err := sqlite.Each(ctx, tx, `SELECT id, subject, body FROM mail_outbox WHERE status <> ?`, []any{StatusSent},
		func(scan func(...any) error) error {
			var id int64
			var subject, body string
			if err := scan(&id, &subject, &body); err != nil {
				return err
			}
			if names(subject) || names(body) {
				about = append(about, id)
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("forget recipient: %w", err)
	}
	for _, id := range about {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE id = ?`, id); err != nil {
			return fmt.Errorf("forget recipient: %w", err)
		}
	}
	for _, lang := range i18n.Languages() {
		d := Data{Name: name, Email: email, Link: "-"}
		was, err := Compose(KindRegistrationNew, lang, d)
		if err != nil {
			return err
		}
		d.Name = pseudonym
		now, err := Compose(KindRegistrationNew, lang, d)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET subject = ? WHERE kind = ? AND subject = ?`,
			now.Subject, string(KindRegistrationNew), was.Subject); err != nil {
			return fmt.Errorf("forget recipient: %w", err)
		}
	}
	return nil
}

// Archive is a sender that keeps copies of what it sent (the .eml folder of FileSender), which
// erasure and retention must reach too.
type Archive interface {
	Forget(ctx context.Context, email, name string) (int, error)
	Purge(ctx context.Context, before time.Time, dryRun bool) (int, error)
}

// ForgetFiles deletes the sender's copies of mail to or about a person (after their erasure was
// committed). It reports how many files went; 0 when the sender keeps none.
func (o *Outbox) ForgetFiles(ctx context.Context, email, name string) (int, error) {
	a, ok := o.sender.(Archive)
	if !ok {
		return 0, nil
	}
	return a.Forget(ctx, email, name)
}

// Purged counts what Purge removed (or, in a dry run, would remove).
type Purged struct {
	Rows  int // outbox rows, sent or failed
	Files int // .eml files
}

// Purge deletes sent and failed mail created before before, and the sender's copies written
// before it; with dryRun it only counts. Pending mail is never purged: it has not been delivered.
func (o *Outbox) Purge(ctx context.Context, before time.Time, dryRun bool) (Purged, error) {
	var p Purged
	q := `DELETE FROM mail_outbox WHERE status IN (?, ?) AND created_at < ?`
	if dryRun {
		q = `SELECT count(*) FROM mail_outbox WHERE status IN (?, ?) AND created_at < ?`
		if err := o.db.R.QueryRowContext(ctx, q, StatusSent, StatusFailed, before.Unix()).Scan(&p.Rows); err != nil {
			return p, fmt.Errorf("count old mail: %w", err)
		}
	} else {
		res, err := o.db.W.ExecContext(ctx, q, StatusSent, StatusFailed, before.Unix())
		if err != nil {
			return p, fmt.Errorf("purge old mail: %w", err)
		}
		n, _ := res.RowsAffected()
		p.Rows = int(n)
	}
	if a, ok := o.sender.(Archive); ok {
		n, err := a.Purge(ctx, before, dryRun)
		p.Files = n
		if err != nil {
			return p, fmt.Errorf("purge mail files: %w", err)
		}
	}
	return p, nil
}

// PublicSince counts the mails that public forms caused (Message.Public) queued since since,
// whatever their status: the measure of the hourly cap on them. Mail that staff cause (approvals,
// reminders, cohort messages, certificates) does not count: it must not close the public forms.
func (o *Outbox) PublicSince(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := o.db.R.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE from_public_form = 1 AND created_at >= ?`, since.Unix()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count mail: %w", err)
	}
	return n, nil
}
