package account_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"saferspaces/internal/account"
)

// hashBound is the number of argon2id computations SPEC allows at once (19 MiB each).
const hashBound = 4

// queuedForHash counts the goroutines parked in acquireHash, waiting for a hashing slot.
func queuedForHash() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	queued := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		parked := strings.Contains(header, "[select") || strings.Contains(header, "[chan send")
		if parked && strings.Contains(g, "account.(*Service).acquireHash(") {
			queued++
		}
	}
	return queued
}

// waitUntil polls cond until it reports done; cond fails the test itself on a wrong state. The
// deadline only keeps a broken bound from hanging the test; it is not a pass criterion.
func waitUntil(t *testing.T, what string, cond func() (done bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		done, state := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s still waiting until %s: %s", what, state)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A login storm queues for the hashing slots: never more than hashBound argon2id computations run
// at once, all of the slots are used, and a sign-in whose context ends while it waits gives up
// without hashing.
func TestLoginStormBoundsConcurrentHashes(t *testing.T) {
	const storm = 40
	e := newAuthEnv(t)
	probe := account.ProbeHashes(t) // every computation is held until probe.Release
	var wg sync.WaitGroup
	t.Cleanup(func() { probe.Release(); wg.Wait() }) // runs before the probe's own cleanup

	results := make(chan error, storm)
	for i := range storm {
		// A different address and IP each, so the throttle lets every attempt through to hashing.
		email, ip := fmt.Sprintf("sturm%02d@stadt.example", i), fmt.Sprintf("198.51.100.%d", i+1)
		wg.Go(func() {
			_, err := e.acc.Authenticate(context.Background(), email, "Ein falsches Passwort, lang genug", ip)
			results <- err
		})
	}

	// While the computations are held, every sign-in ends up either hashing or queued for a slot.
	waitUntil(t, "every sign-in is hashing or queued", func() (bool, string) {
		running := probe.InFlight.Load()
		if running > hashBound {
			t.Fatalf("%d argon2id computations ran at once, the bound is %d", running, hashBound)
		}
		queued := queuedForHash()
		state := fmt.Sprintf("%d hashing, %d queued of %d", running, queued, storm)
		if running+int64(queued) < storm {
			return false, state
		}
		if running != hashBound {
			t.Fatalf("%s: the storm did not use all %d hashing slots", state, hashBound)
		}
		return true, state
	})

	// A sign-in queued behind the full slots returns with its context's error once that is
	// cancelled. The slots stay taken, so it cannot have returned by hashing.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan error, 1)
	wg.Go(func() {
		_, err := e.acc.Authenticate(ctx, "abbruch@stadt.example", "Ein falsches Passwort, lang genug", "203.0.113.7")
		cancelled <- err
	})
	waitUntil(t, "the extra sign-in is queued", func() (bool, string) {
		queued := queuedForHash()
		return queued == storm-hashBound+1, fmt.Sprintf("%d queued", queued)
	})
	cancel()
	select {
	case err := <-cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled sign-in returned %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("after 30 s: a sign-in waiting for a hashing slot did not return after its context was cancelled")
	}
	if n := probe.Total.Load(); n != hashBound {
		t.Errorf("%d computations started while the slots were held, want %d", n, hashBound)
	}

	probe.Release()
	wg.Wait()
	close(results)
	for err := range results {
		if err != account.ErrInvalidCredentials {
			t.Errorf("storm sign-in: %v, want ErrInvalidCredentials", err)
		}
	}
	if peak, total := probe.Peak.Load(), probe.Total.Load(); peak != hashBound || total != storm {
		t.Errorf("peak %d computations at once and %d in all; want %d and %d", peak, total, hashBound, storm)
	}
}
