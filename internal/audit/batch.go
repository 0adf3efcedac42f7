package audit

import (
	"context"
	"database/sql"
	"fmt"
)

// Batch writes many events inside one transaction with one prepared statement, for bulk changes
// (a users import of thousands of rows) that must hold the write lock only briefly.
type Batch struct {
	stmt *sql.Stmt
}

// NewBatch prepares a batch in tx; Close it before the transaction ends.
func NewBatch(ctx context.Context, tx *sql.Tx) (*Batch, error) {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit_log(at, actor_id, actor, action, target_id, target, detail, ip)
		VALUES(?, NULLIF(?, 0), ?, ?, NULLIF(?, 0), ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Batch{stmt: stmt}, nil
}

// Add writes e.
func (b *Batch) Add(ctx context.Context, e Event) error {
	if _, err := b.stmt.ExecContext(ctx, e.At.Unix(), e.ActorID, e.Actor, e.Action, e.TargetID, e.Target, e.Detail, e.IP); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Close releases the prepared statement.
func (b *Batch) Close() error { return b.stmt.Close() }
