package mail

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/i18n"
)

// Batch queues many messages inside one transaction with one prepared statement, for bulk work
// (a users import of thousands of rows) that must hold the database's write lock only briefly.
// Each message is checked as Enqueue checks it.
type Batch struct {
	stmt *sql.Stmt
}

// NewBatch prepares a batch in tx; Close it before the transaction ends.
func NewBatch(ctx context.Context, tx *sql.Tx) (*Batch, error) {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO mail_outbox
		(to_addr, to_name, lang, kind, subject, body, status, attempts, next_attempt_at, created_at, message_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("enqueue mail: %w", err)
	}
	return &Batch{stmt: stmt}, nil
}

// Check reports whether m would be accepted: call it before the transaction, so that a bad
// address is found while nothing holds the write lock.
func Check(m Message) error { return validate(m) }

// Add queues m.
func (b *Batch) Add(ctx context.Context, m Message, now time.Time) error {
	if err := validate(m); err != nil {
		return err
	}
	if _, err := b.stmt.ExecContext(ctx, m.To, m.ToName, i18n.OrDefault(string(m.Lang)), m.Kind, m.Subject, m.Body,
		StatusPending, now.Unix(), now.Unix(), newMessageKey()); err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	return nil
}

// Close releases the prepared statement.
func (b *Batch) Close() error { return b.stmt.Close() }
