package mail_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/mail"
	"saferspaces/internal/testkit"
)

func TestBackoffFailureAndRetry(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	log := testkit.Logger(io.Discard)
	var calls atomic.Int32
	var down atomic.Bool
	down.Store(true)
	sender := senderFunc(func(_ context.Context, _ mail.Message, _ int64) error {
		calls.Add(1)
		if down.Load() {
			return errors.New("421 service not available")
		}
		return nil
	})
	ob := mail.NewOutbox(db, sender, log, clk.Now)
	id := enqueue(t, db, activation(t, "a@example.org", "https://s.example/activate/x"), clk.Now())

	wantDelays := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
		8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for attempt := 1; attempt <= 10; attempt++ {
		if sent, err := ob.DeliverDue(t.Context()); err != nil || sent != 0 {
			t.Fatalf("attempt %d: DeliverDue = %d, %v", attempt, sent, err)
		}
		r := outboxRow(t, db, id)
		if r.attempts != attempt || r.lastError != "421 service not available" {
			t.Fatalf("attempt %d: %+v", attempt, r)
		}
		if attempt == 10 {
			if r.status != mail.StatusFailed {
				t.Fatalf("after 10 attempts status %q", r.status)
			}
			break
		}
		want := wantDelays[attempt-1]
		if r.status != mail.StatusPending || time.Duration(r.next-clk.Now().Unix())*time.Second != want {
			t.Fatalf("attempt %d: %+v, want next attempt in %v", attempt, r, want)
		}
		clk.Advance(want - time.Second)
		if ob.DeliverDue(t.Context()); calls.Load() != int32(attempt) {
			t.Fatalf("attempt %d: retried before the backoff ran out", attempt)
		}
		clk.Advance(time.Second)
	}

	clk.Advance(48 * time.Hour)
	if ob.DeliverDue(t.Context()); calls.Load() != 10 {
		t.Fatal("a failed mail was tried again without Retry")
	}
	list, total, err := ob.List(t.Context(), mail.StatusFailed, 10, 0)
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != id || list[0].Attempts != 10 ||
		list[0].LastError == "" || list[0].Kind != string(mail.KindActivation) || !list[0].SentAt.IsZero() {
		t.Fatalf("List(failed) = %+v, %d, %v", list, total, err)
	}

	if err := ob.Retry(t.Context(), audit.CLI, id); err != nil {
		t.Fatal(err)
	}
	if n := testkit.Count(t, db, `SELECT count(*) FROM audit_log WHERE action = 'mail.retried' AND actor = 'cli'`); n != 1 {
		t.Errorf("%d audit lines for the retry, want 1 (written with it)", n)
	}
	if r := outboxRow(t, db, id); r.status != mail.StatusPending || r.next != clk.Now().Unix() {
		t.Fatalf("after Retry: %+v", r)
	}
	down.Store(false)
	if sent, err := ob.DeliverDue(t.Context()); err != nil || sent != 1 {
		t.Fatalf("DeliverDue after Retry = %d, %v", sent, err)
	}
	list, total, _ = ob.List(t.Context(), "", 10, 0)
	if total != 1 || list[0].Status != mail.StatusSent || !list[0].SentAt.Equal(clk.Now()) {
		t.Errorf("List() = %+v", list)
	}

	if err := ob.Retry(t.Context(), audit.CLI, id); !errs.Is(err, errs.Conflict) {
		t.Errorf("Retry of a sent mail: %v", err)
	}
	if err := ob.Retry(t.Context(), audit.CLI, 4242); !errs.Is(err, errs.NotFound) {
		t.Errorf("Retry of an unknown id: %v", err)
	}
	if _, _, err := ob.List(t.Context(), "bogus", 10, 0); !errs.Is(err, errs.Invalid) {
		t.Errorf("List(bogus): %v", err)
	}
}

func TestBackoffIsCapped(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute,
		8: time.Hour, 9: time.Hour, 60: time.Hour} {
		if got := mail.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestDeliverDueOldestFirstAcrossBatches(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	log := testkit.Logger(io.Discard)
	var order []int64
	ob := mail.NewOutbox(db, senderFunc(func(_ context.Context, _ mail.Message, id int64) error {
		order = append(order, id)
		return nil
	}), log, clk.Now)
	for range 120 { // more than one batch
		enqueue(t, db, activation(t, "a@example.org", "https://s.example/activate/x"), clk.Now())
	}
	// Not yet due: created in the future relative to the pass.
	enqueue(t, db, activation(t, "a@example.org", "https://s.example/activate/x"), clk.Now().Add(time.Minute))
	sent, err := ob.DeliverDue(t.Context())
	if err != nil || sent != 120 {
		t.Fatalf("DeliverDue = %d, %v", sent, err)
	}
	for i, id := range order {
		if id != int64(i+1) {
			t.Fatalf("order %v", order)
		}
	}
	if _, total, _ := ob.List(t.Context(), mail.StatusPending, 0, 0); total != 1 {
		t.Errorf("pending = %d, want the one not yet due", total)
	}
	page, total, _ := ob.List(t.Context(), mail.StatusSent, 50, 100)
	if total != 120 || len(page) != 20 || page[0].ID != 20 {
		t.Errorf("page 3: %d entries of %d, first %d", len(page), total, page[0].ID)
	}
}

func TestRunDeliversOnKickAndStops(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	log := testkit.Logger(io.Discard)
	got := make(chan int64, 1)
	ob := mail.NewOutbox(db, senderFunc(func(_ context.Context, _ mail.Message, id int64) error {
		got <- id
		return nil
	}), log, clk.Now)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		ob.Run(ctx)
		close(done)
	}()

	id := enqueue(t, db, activation(t, "a@example.org", "https://s.example/activate/x"), clk.Now())
	ob.Kick()
	ob.Kick() // never blocks
	select {
	case sentID := <-got:
		if sentID != id {
			t.Errorf("sent %d, want %d", sentID, id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not deliver after Kick")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context was cancelled")
	}
}

func TestShutdownDuringSendIsNotAnAttempt(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	log := testkit.Logger(io.Discard)
	ctx, cancel := context.WithCancel(t.Context())
	ob := mail.NewOutbox(db, senderFunc(func(ctx context.Context, _ mail.Message, _ int64) error {
		cancel()
		return ctx.Err()
	}), log, clk.Now)
	id := enqueue(t, db, activation(t, "a@example.org", "https://s.example/activate/x"), clk.Now())
	if _, err := ob.DeliverDue(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("DeliverDue = %v", err)
	}
	if r := outboxRow(t, db, id); r.status != mail.StatusPending || r.attempts != 0 {
		t.Errorf("after shutdown: %+v", r)
	}
}

// A mail that cannot even be built (here: a recipient stored before today's checks, which no
// longer parses) is given up at the first attempt; retrying it for hours would only keep the
// outbox "stuck" for /readyz.
func TestUnbuildableMailFailsAtOnce(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	dir := t.TempDir()
	ob := mail.NewOutbox(db, mail.NewFileSender(dir, testkit.Logger(io.Discard)), testkit.Logger(io.Discard), clk.Now)
	id := enqueue(t, db, activation(t, "a@example.org", "https://s.example/activate/x"), clk.Now())
	if _, err := db.W.Exec(`UPDATE mail_outbox SET to_addr = 'not an address' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if sent, err := ob.DeliverDue(t.Context()); err != nil || sent != 0 {
		t.Fatalf("DeliverDue = %d, %v", sent, err)
	}
	if r := outboxRow(t, db, id); r.status != mail.StatusFailed || r.attempts != 1 || !strings.Contains(r.lastError, "cannot be built") {
		t.Fatalf("after one attempt: %+v", r)
	}
	if n, _, err := ob.Backlog(t.Context()); err != nil || n != 0 {
		t.Fatalf("backlog %d, %v: a failed mail is not waiting", n, err)
	}
}

// Stuck tells an outbox that stands still (worker stopped, SMTP refusing everyone) from one
// mailbox that keeps answering "try later" while the rest of the mail goes out.
func TestStuckIsTheOutboxNotOneMailbox(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	var refuse sync.Map // recipients the server answers "452" for
	var all atomic.Bool // the server refuses everyone
	sender := senderFunc(func(_ context.Context, m mail.Message, _ int64) error {
		if _, ok := refuse.Load(m.To); ok || all.Load() {
			return errors.New("452 4.2.2 mailbox full, try later")
		}
		return nil
	})
	ob := mail.NewOutbox(db, sender, testkit.Logger(io.Discard), clk.Now)
	stuck := func() bool {
		t.Helper()
		s, err := ob.Stuck(t.Context(), 30*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Not tried for 31 minutes: the worker does not run.
	enqueue(t, db, activation(t, "voll@example.org", "https://s.example/activate/x"), clk.Now())
	clk.Advance(31 * time.Minute)
	if !stuck() {
		t.Error("mail never tried for 31 minutes: not stuck")
	}
	// One full mailbox, retried for an hour while 40 other mails go out: not stuck.
	refuse.Store("voll@example.org", true)
	for i := range 40 {
		enqueue(t, db, activation(t, fmt.Sprintf("p%d@example.org", i), "https://s.example/activate/y"), clk.Now())
		if _, err := ob.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		clk.Advance(90 * time.Second)
	}
	if stuck() {
		t.Error("one refusing mailbox among mail that goes out: stuck")
	}
	// Nothing else to send for an hour: still only that one mailbox.
	clk.Advance(time.Hour)
	ob.DeliverDue(t.Context())
	if stuck() {
		t.Error("one refusing mailbox on a quiet platform: stuck")
	}
	// The server refuses everyone: mail to other recipients waits too.
	all.Store(true)
	enqueue(t, db, activation(t, "zweite@example.org", "https://s.example/activate/z"), clk.Now())
	enqueue(t, db, activation(t, "dritte@example.org", "https://s.example/activate/w"), clk.Now())
	ob.DeliverDue(t.Context())
	clk.Advance(31 * time.Minute)
	ob.DeliverDue(t.Context())
	if !stuck() {
		t.Error("two recipients refused for 31 minutes, nothing delivered: not stuck")
	}
}

// Mail to one person goes out before bulk mail queued earlier: a password reset does not wait
// behind a cohort's reminders (its link would expire first); each kind keeps its own order.
func TestOneToOneMailBeforeBulkMail(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	var kinds []string
	ob := mail.NewOutbox(db, senderFunc(func(_ context.Context, m mail.Message, _ int64) error {
		kinds = append(kinds, m.Kind)
		return nil
	}), testkit.Logger(io.Discard), clk.Now)
	for i := range 30 {
		m, err := mail.Compose(mail.KindReminder, "de", mail.Data{Name: "Lernende", Email: fmt.Sprintf("l%d@example.org", i),
			Cohort: "Nord", BaseURL: "https://s.example"})
		if err != nil {
			t.Fatal(err)
		}
		enqueue(t, db, m, clk.Now())
	}
	reset, err := mail.Compose(mail.KindPasswordReset, "de", mail.Data{Name: "Erika", Email: "erika@example.org",
		Link: "https://s.example/reset/x", BaseURL: "https://s.example"})
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, db, reset, clk.Now())
	if sent, err := ob.DeliverDue(t.Context()); err != nil || sent != 31 {
		t.Fatalf("DeliverDue = %d, %v", sent, err)
	}
	if kinds[0] != string(mail.KindPasswordReset) {
		t.Errorf("sent first: %s, want the password reset before 30 reminders queued earlier", kinds[0])
	}
}

// A failed delivery's error names the recipient (go-mail: "affected recipient(s): …"); neither
// the log nor the stored reason repeats the address.
func TestDeliveryErrorsDoNotRepeatTheRecipient(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	var logs strings.Builder
	ob := mail.NewOutbox(db, senderFunc(func(_ context.Context, m mail.Message, _ int64) error {
		return fmt.Errorf("452 4.2.2 mailbox full, affected recipient(s): %s", m.To)
	}), testkit.Logger(&logs), clk.Now)
	id := enqueue(t, db, activation(t, "quirinus@stadt.example", "https://s.example/activate/x"), clk.Now())
	ob.DeliverDue(t.Context())
	if strings.Contains(logs.String(), "quirinus@stadt.example") {
		t.Errorf("the log names the recipient:\n%s", logs.String())
	}
	if r := outboxRow(t, db, id); strings.Contains(r.lastError, "quirinus@stadt.example") || !strings.Contains(r.lastError, "mailbox full") {
		t.Errorf("stored reason %q", r.lastError)
	}
}
