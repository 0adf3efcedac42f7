package account_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

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

// A town hall behind NAT: 300 people sign in at the same moment from one address, all with the
// right password. Attempts in flight are bounded by the hashing slots and a right password is no
// failure, so none of them is refused — before, every attempt was first stored as a failure of
// the address, and the 51st waiting sign-in got "too many attempts, wait 15 minutes".
func TestBurstOfRightSignInsFromOneAddressIsNotThrottled(t *testing.T) {
	const n = 300
	e := newAuthEnv(t)
	const pw = "Rathaus am Markt, Zimmer 12"
	// A cheap hash of the same password for every account, so that the test hashes 300 times
	// in well under a second; the parameters are read from the stored string.
	salt := []byte("rathaus-salt-16b")
	phc := fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s", base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(pw), salt, 1, 64, 1, 32)))
	emails := make([]string, n)
	for i := range n {
		u, _ := e.create(fmt.Sprintf("mitarbeiter%03d@rathaus.example", i), account.RoleLearner)
		if _, err := e.db.W.Exec(`UPDATE users SET password_hash = ?, activated_at = 1 WHERE id = ?`, phc, u.ID); err != nil {
			t.Fatal(err)
		}
		emails[i] = u.Email
	}
	probe := account.ProbeHashes(t) // hold the computations until every sign-in is waiting
	results := make(chan error, n)
	var wg sync.WaitGroup
	t.Cleanup(func() { probe.Release(); wg.Wait() })
	for _, email := range emails {
		wg.Go(func() {
			_, err := e.acc.Authenticate(context.Background(), email, pw, "203.0.113.80")
			results <- err
		})
	}
	waitUntil(t, "every sign-in is hashing or queued", func() (bool, string) {
		running, queued := probe.InFlight.Load(), queuedForHash()
		return running+int64(queued) == n, fmt.Sprintf("%d hashing, %d queued, %d returned", running, queued, len(results))
	})
	probe.Release()
	wg.Wait()
	close(results)
	refused := 0
	for err := range results {
		if err != nil {
			refused++
			if refused <= 3 {
				t.Errorf("right password refused: %v", err)
			}
		}
	}
	if refused > 0 {
		t.Errorf("%d of %d right sign-ins from one address refused", refused, n)
	}
	if c := e.count(`SELECT count(*) FROM login_failures`); c != 0 {
		t.Errorf("%d failures stored after %d right sign-ins", c, n)
	}
}
