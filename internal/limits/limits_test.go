package limits_test

import (
	"testing"
	"time"

	"saferspaces/internal/limits"
	"saferspaces/internal/testkit"
)

func TestKeyedBuckets(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
	k := limits.New(3, 10*time.Minute, clock.Now)
	for i := range 3 {
		if ok, _ := k.Allow("192.0.2.1"); !ok {
			t.Fatalf("event %d of the burst refused", i+1)
		}
	}
	ok, wait := k.Allow("192.0.2.1")
	if ok || wait <= 0 || wait > 10*time.Minute {
		t.Fatalf("fourth event: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := k.Allow("192.0.2.2"); !ok {
		t.Error("another key shares the bucket")
	}
	// Refused events do not use up tokens: after the wait, exactly one more is allowed.
	clock.Advance(wait)
	if ok, _ := k.Allow("192.0.2.1"); !ok {
		t.Error("refused after waiting")
	}
	if ok, _ := k.Allow("192.0.2.1"); ok {
		t.Error("two events after one interval")
	}
}

func TestNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                     "192.0.2.7",
		"::ffff:192.0.2.7":              "192.0.2.7",
		"2001:db8:1:2:aaaa:bbbb:cccc:1": "2001:db8:1:2::/64",
		"2001:db8:1:2::1":               "2001:db8:1:2::/64",
		"fe80::1%eth0":                  "fe80::/64",
		"not an address":                "not an address",
	} {
		if got := limits.Network(in); got != want {
			t.Errorf("Network(%q) = %q, want %q", in, got, want)
		}
	}
}
