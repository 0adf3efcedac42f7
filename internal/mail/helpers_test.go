package mail_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// newClock is the outbox's clock, at a fixed start.
func newClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 11, 26, 17, 15, 2, 0, time.UTC))
}

// enqueue stores m in its own transaction, as a feature package would alongside its own writes.
func enqueue(t *testing.T, db *sqlite.DB, m mail.Message, now time.Time) int64 {
	t.Helper()
	var id int64
	err := db.Tx(t.Context(), func(tx *sql.Tx) error {
		var err error
		id, err = mail.Enqueue(t.Context(), tx, m, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func activation(t *testing.T, to, link string) mail.Message {
	t.Helper()
	m, err := mail.Compose(mail.KindActivation, "de", mail.Data{Name: "Jürgen Größe", Email: to, Link: link,
		BaseURL: "https://saferspaces.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// senderFunc adapts a function to mail.Sender.
type senderFunc func(ctx context.Context, m mail.Message, id int64) error

func (f senderFunc) Send(ctx context.Context, m mail.Message, id int64) error { return f(ctx, m, id) }

type row struct {
	status    string
	attempts  int
	lastError string
	next      int64
	body      string
}

func outboxRow(t *testing.T, db *sqlite.DB, id int64) row {
	t.Helper()
	var r row
	err := db.R.QueryRow(`SELECT status, attempts, last_error, next_attempt_at, body FROM mail_outbox WHERE id = ?`, id).
		Scan(&r.status, &r.attempts, &r.lastError, &r.next, &r.body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
