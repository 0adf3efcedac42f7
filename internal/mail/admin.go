package mail

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// Entry is one outbox row as the admin page shows it. The body is left out on purpose: it may hold
// a single-use token that is none of the admin's business.
type Entry struct {
	ID            int64
	To            string
	Kind          string
	Subject       string
	Status        string
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time // zero until sent
	NextAttemptAt time.Time
}

// List returns one page of the outbox, newest first, and the number of entries matching status
// ("" for all). A limit outside 1..500 means 50, so a crafted query cannot ask for the whole table.
func (o *Outbox) List(ctx context.Context, status string, limit, offset int) ([]Entry, int, error) {
	switch status {
	case "", StatusPending, StatusSent, StatusFailed:
	default:
		return nil, 0, errs.E(errs.Invalid, "unknown mail status %q", status)
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	offset = max(offset, 0)

	var total int
	err := o.db.R.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE ?1 = '' OR status = ?1`, status).Scan(&total)
	if err != nil {
		return nil, 0, fmt.Errorf("count mail: %w", err)
	}
	rows, err := o.db.R.QueryContext(ctx, `SELECT id, to_addr, kind, subject, status, attempts, last_error,
			created_at, sent_at, next_attempt_at
		FROM mail_outbox WHERE ?1 = '' OR status = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3`,
		status, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list mail: %w", err)
	}
	defer rows.Close()
	var list []Entry
	for rows.Next() {
		var e Entry
		var created, next int64
		var sent sql.NullInt64
		if err := rows.Scan(&e.ID, &e.To, &e.Kind, &e.Subject, &e.Status, &e.Attempts, &e.LastError,
			&created, &sent, &next); err != nil {
			return nil, 0, fmt.Errorf("list mail: %w", err)
		}
		e.CreatedAt, e.NextAttemptAt = time.Unix(created, 0).UTC(), time.Unix(next, 0).UTC()
		if sent.Valid {
			e.SentAt = time.Unix(sent.Int64, 0).UTC()
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list mail: %w", err)
	}
	return list, total, nil
}

// Retry makes a pending or failed mail due now and wakes the worker. The attempt count is kept as
// history, so a mail that had failed gets exactly one more attempt before it counts as failed again;
// an admin retries after fixing the cause, and wants to see the outcome at once. A sent mail cannot
// be retried: its body (and token) is gone; re-send the credential instead.
func (o *Outbox) Retry(ctx context.Context, act audit.Actor, id int64) error {
	err := o.db.Tx(ctx, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM mail_outbox WHERE id = ?`, id).Scan(&status)
		if err != nil {
			return sqlite.NotFound(err, "mail")
		}
		if status == StatusSent {
			return errs.E(errs.Conflict, "this mail has already been sent")
		}
		if _, err = tx.ExecContext(ctx, `UPDATE mail_outbox SET status = ?, next_attempt_at = ? WHERE id = ?`,
			StatusPending, o.now().Unix(), id); err != nil {
			return err
		}
		return audit.Log(ctx, tx, o.now(), act, "mail.retried", 0, "", fmt.Sprintf("outbox mail #%d", id))
	})
	if err != nil {
		return fmt.Errorf("retry mail %d: %w", id, err)
	}
	o.Kick()
	return nil
}

// ExportMail is one e-mail to a person, for their data export (the body is left out: it is
// erased once the mail is sent, and before that it may carry a single-use link).
type ExportMail struct {
	Kind      string    `json:"kind"`
	Subject   string    `json:"subject"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	SentAt    time.Time `json:"sent_at,omitzero"`
}

// SentTo lists the mail to the address, oldest first, for the person's data export.
func (o *Outbox) SentTo(ctx context.Context, email string) ([]ExportMail, error) {
	out := []ExportMail{}
	err := sqlite.Each(ctx, o.db.R, `SELECT kind, subject, status, created_at, coalesce(sent_at, 0) FROM mail_outbox
		WHERE to_addr = ? COLLATE NOCASE ORDER BY id`, []any{email}, func(scan func(...any) error) error {
		var m ExportMail
		var created, sent int64
		err := scan(&m.Kind, &m.Subject, &m.Status, &created, &sent)
		m.CreatedAt, m.SentAt = sqlite.Time(created), sqlite.Time(sent)
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("export mail: %w", err)
	}
	return out, nil
}
