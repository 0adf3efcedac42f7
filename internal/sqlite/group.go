package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit. Every commit waits for the disk (synchronous=FULL), and a learner's action — a
// lesson completed, a self-check submitted — is one commit, so under load the writers queue for
// the disk one after the other. GroupTx lets the actions that arrive while a commit is under way
// share the next one: each runs in a savepoint of its own inside one transaction, and one commit
// makes all of them durable. Nobody is answered before that commit: a caller learns that its
// write succeeded only once it is on disk, exactly as with Tx.

// maxGroup is the most actions one commit takes; more wait for the next.
const maxGroup = 64

// ErrClosed is GroupTx's error once the database is closed.
var ErrClosed = errors.New("database closed")

type groupReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// committer runs the shared transactions, in one goroutine started with the first GroupTx.
type committer struct {
	start  sync.Once
	reqs   chan *groupReq
	closed chan struct{}
	close  sync.Once
	wg     sync.WaitGroup
	// commits counts the shared transactions committed, for tests.
	commits atomic.Int64
}

func newCommitter() *committer {
	// Unbuffered: a request is either taken by the committer or refused once it has stopped;
	// those that arrive during a commit wait in line and make up the next group.
	return &committer{reqs: make(chan *groupReq), closed: make(chan struct{})}
}

// GroupTx runs fn in a write transaction that it may share with other GroupTx calls made at the
// same time. fn runs in a savepoint of its own: an error (or a panic) rolls back fn's writes
// alone and is returned to this caller only. GroupTx returns after the commit that made fn's
// writes durable, or with the commit's error. fn must not use any transaction but tx, and must
// run its statements with the context it is given, not ctx: that one carries ctx's values but
// is never cancelled. A statement cancelled half-way makes SQLite roll back the whole shared
// transaction, so a learner who closes the tab would otherwise fail everyone else's writes of
// the moment. A caller whose ctx has ended before its turn is not run at all.
func (db *DB) GroupTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	c := db.group
	c.start.Do(func() {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.run(db)
		}()
	})
	r := &groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return ErrClosed
	}
	// Once queued, the answer is awaited even if ctx ends: fn may be running.
	return <-r.done
}

func (c *committer) run(db *DB) {
	for {
		select {
		case r := <-c.reqs:
			batch := []*groupReq{r}
		more:
			for len(batch) < maxGroup {
				select {
				case r := <-c.reqs:
					batch = append(batch, r)
				default:
					break more
				}
			}
			c.commit(db, batch)
		case <-c.closed:
			for {
				select {
				case r := <-c.reqs:
					r.done <- ErrClosed
				default:
					return
				}
			}
		}
	}
}

// commit runs one shared transaction for batch and answers every request in it.
func (c *committer) commit(db *DB, batch []*groupReq) {
	ctx := context.Background() // the transaction outlives any one caller's context
	answers := make([]error, len(batch))
	fail := func(err error) {
		for i, r := range batch {
			if answers[i] == nil {
				answers[i] = err
			}
			r.done <- answers[i]
		}
	}
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			answers[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT action"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		if answers[i] = runGuarded(context.WithoutCancel(r.ctx), r.fn, tx); answers[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO action"); err != nil {
				tx.Rollback()
				fail(fmt.Errorf("roll back one action: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE action"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("release: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	c.commits.Add(1)
	for i, r := range batch {
		r.done <- answers[i]
	}
}

// runGuarded runs fn, turning a panic into an error: fn runs on the committer's goroutine, where
// a panic would end the process instead of one request.
func runGuarded(ctx context.Context, fn func(context.Context, *sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a grouped write: %v", p)
		}
	}()
	return fn(ctx, tx)
}

// stop ends the committer; requests still queued are answered with ErrClosed.
func (c *committer) stop() {
	c.close.Do(func() { close(c.closed) })
	c.wg.Wait()
}
