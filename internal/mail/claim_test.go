package mail_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// Two workers on one database — two processes, each with its own connections — deliver a queue
// of 100 mails at the same time: every mail goes out exactly once.
func TestTwoWorkersSendEachMailOnce(t *testing.T) {
	dir := t.TempDir()
	db := testkit.OpenDBIn(t, dir)
	other, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	clk := newClock()
	const n = 100
	for i := range n {
		enqueue(t, db, activation(t, fmt.Sprintf("p%03d@example.org", i), "https://s.example/activate/x"), clk.Now())
	}
	var mu sync.Mutex
	sends := map[int64]int{}
	sender := senderFunc(func(_ context.Context, _ mail.Message, id int64) error {
		mu.Lock()
		sends[id]++
		mu.Unlock()
		time.Sleep(time.Millisecond) // a send takes a moment, so the workers overlap
		return nil
	})
	log := testkit.Logger(io.Discard)
	workers := []*mail.Outbox{mail.NewOutbox(db, sender, log, clk.Now), mail.NewOutbox(other, sender, log, clk.Now)}
	var wg sync.WaitGroup
	total := make([]int, len(workers))
	for i, w := range workers {
		wg.Go(func() {
			sent, err := w.DeliverDue(t.Context())
			if err != nil {
				t.Error(err)
			}
			total[i] = sent
		})
	}
	wg.Wait()
	if len(sends) != n {
		t.Errorf("%d different mails sent, want %d", len(sends), n)
	}
	for id, c := range sends {
		if c != 1 {
			t.Errorf("mail %d sent %d times", id, c)
		}
	}
	if total[0]+total[1] != n {
		t.Errorf("workers report %d + %d sent", total[0], total[1])
	}
	t.Logf("worker 1 sent %d, worker 2 sent %d", total[0], total[1])
}

// A worker that dies between claiming a mail and recording it (a kill during the send) leaves the
// mail claimed; once the lease has run out it is due again and goes out: at least once, never lost.
func TestClaimedMailOfADeadWorkerIsSentLater(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	id := enqueue(t, db, activation(t, "a@example.org", "https://s.example/activate/x"), clk.Now())
	// The claim as the dead worker made it.
	if _, err := db.W.Exec(`UPDATE mail_outbox SET next_attempt_at = ? WHERE id = ?`, clk.Now().Add(15*time.Minute).Unix(), id); err != nil {
		t.Fatal(err)
	}
	var sent []int64
	ob := mail.NewOutbox(db, senderFunc(func(_ context.Context, _ mail.Message, id int64) error {
		sent = append(sent, id)
		return nil
	}), testkit.Logger(io.Discard), clk.Now)
	if n, err := ob.DeliverDue(t.Context()); err != nil || n != 0 {
		t.Fatalf("while claimed: DeliverDue = %d, %v", n, err)
	}
	pending, age, err := ob.Backlog(t.Context())
	if err != nil || pending != 1 || age != 0 {
		t.Errorf("Backlog = %d, %v, %v; want 1 pending, age 0", pending, age, err)
	}
	clk.Advance(15 * time.Minute)
	if n, err := ob.DeliverDue(t.Context()); err != nil || n != 1 || len(sent) != 1 || sent[0] != id {
		t.Fatalf("after the lease: DeliverDue = %d, %v, sent %v", n, err, sent)
	}
	if pending, age, err := ob.Backlog(t.Context()); err != nil || pending != 0 || age != 0 {
		t.Errorf("Backlog after sending = %d, %v, %v", pending, age, err)
	}
}
