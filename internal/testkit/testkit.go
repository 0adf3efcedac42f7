// Package testkit holds helpers shared by the tests of several packages: a clock the test moves, a
// migrated SQLite database in a temp folder, and a log buffer that concurrent writers may share.
// It is only for tests; no production code may import it.
package testkit

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"saferspaces/internal/sqlite"
)

// Clock is a settable time source, safe for concurrent use. It stands still until told to move.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that stands at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time; pass c.Now where code wants a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// OpenDB opens a migrated database in a fresh temp folder; it is closed when the test ends.
func OpenDB(t testing.TB) *sqlite.DB {
	t.Helper()
	return OpenDBIn(t, t.TempDir())
}

// OpenDBIn opens a migrated database in the data folder dir (made if missing), for tests that keep
// more in that folder (session keys, mail); it is closed when the test ends.
func OpenDBIn(t testing.TB, dir string) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// Count runs a SELECT count(*) … on the read pool and returns the number.
func Count(t testing.TB, db *sqlite.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// SyncBuffer collects output from concurrent writers (handlers, workers, a server goroutine) for
// the test to read. Its zero value is ready to use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Logger returns a text logger at debug level writing to w (io.Discard when the test ignores logs,
// a *SyncBuffer when it reads them).
func Logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
