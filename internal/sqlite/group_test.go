package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"saferspaces/internal/sqlite"
)

// Actions at once share commits; each is answered with its own result only after the commit; a
// failing or panicking action loses its own writes and nothing else.
func TestGroupTxSharesCommitsAndKeepsActionsApart(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	if _, err := db.W.ExecContext(ctx, "CREATE TABLE actions(n INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	const n = 200
	refused := errors.New("refused")
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i] = db.GroupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO actions(n) VALUES (?)", i); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return refused // written, then refused: its row must go
				case 7:
					panic("an action that panics")
				}
				return nil
			})
			if results[i] == nil {
				// Answered only after the commit: a reader sees the row at once.
				var found int
				if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM actions WHERE n = ?", i).Scan(&found); err != nil || found != 1 {
					t.Errorf("action %d answered before its row was committed (%d, %v)", i, found, err)
				}
			}
		})
	}
	wg.Wait()
	for i, err := range results {
		switch i % 10 {
		case 3:
			if !errors.Is(err, refused) {
				t.Errorf("action %d: %v, want its own error", i, err)
			}
		case 7:
			if err == nil {
				t.Errorf("action %d panicked and was answered with no error", i)
			}
		default:
			if err != nil {
				t.Errorf("action %d: %v", i, err)
			}
		}
	}
	var rows int
	if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM actions WHERE n % 10 IN (3, 7)").Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d rows of refused or panicked actions stayed (%v)", rows, err)
	}
	if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM actions").Scan(&rows); err != nil || rows != n*8/10 {
		t.Errorf("%d rows, want %d (%v)", rows, n*8/10, err)
	}
	commits := db.GroupCommits()
	t.Logf("%d actions in %d commits", n, commits)
	if commits >= n {
		t.Errorf("%d commits for %d actions at once: none shared", commits, n)
	}
}

// A caller whose context has ended is not queued; after Close, GroupTx refuses.
func TestGroupTxEndsCleanly(t *testing.T) {
	db, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := db.GroupTx(ctx, func(context.Context, *sql.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled caller: %v (ran: %v)", err, ran)
	}
	if err := db.GroupTx(context.Background(), func(context.Context, *sql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.GroupTx(context.Background(), func(context.Context, *sql.Tx) error { return nil }); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// A caller that goes away while its action runs (a closed tab) does not fail the others in its
// group: the action's statements run with a context that is not cancelled, because a statement
// interrupted half-way makes SQLite roll back the whole shared transaction.
func TestGroupTxCallerGoneMidActionSparesTheGroup(t *testing.T) {
	db := open(t)
	ctx := t.Context()
	if _, err := db.W.ExecContext(ctx, "CREATE TABLE actions(n INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	// Hold the committer with a first action, so that the next two queue and share a group.
	release, started := make(chan struct{}), make(chan struct{})
	go db.GroupTx(ctx, func(context.Context, *sql.Tx) error { close(started); <-release; return nil })
	<-started
	var wg sync.WaitGroup
	var errA, errB error
	leaving, cancel := context.WithCancel(ctx)
	wg.Go(func() {
		errB = db.GroupTx(leaving, func(ctx context.Context, tx *sql.Tx) error {
			go func() { time.Sleep(20 * time.Millisecond); cancel() }()
			// A write long enough to be under way when the caller leaves.
			_, err := tx.ExecContext(ctx, `INSERT INTO actions(n) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000000)
				SELECT 2 FROM c WHERE i = 1000000`)
			return err
		})
	})
	wg.Go(func() {
		errA = db.GroupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO actions(n) VALUES (1)")
			return err
		})
	})
	time.Sleep(50 * time.Millisecond) // both are waiting for the committer
	close(release)
	wg.Wait()
	if errA != nil {
		t.Errorf("the other learner's action failed because one caller left: %v", errA)
	}
	var rows int
	if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM actions WHERE n = 1").Scan(&rows); err != nil || rows != 1 {
		t.Errorf("the other learner's row: %d (%v)", rows, err)
	}
	t.Logf("the leaving caller's answer: %v", errB)
}
