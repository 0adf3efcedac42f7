// Package limits keeps per-key token buckets (golang.org/x/time/rate) for the public forms that
// cause mail: per client address and per target address. The buckets live in memory: a restart
// refills them, which costs an attacker nothing they could not get by waiting, while the limit that
// must hold across restarts — the hourly cap on mail — is counted in the outbox (mail.Outbox.PublicSince).
package limits

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxKeys bounds the memory a spray of addresses can take; idle keys are dropped first.
const maxKeys = 20000

// Keyed is a set of token buckets, one per key, each allowing Burst events at once and refilling
// one event every Every. Its clock is injected, so tests move time instead of sleeping.
type Keyed struct {
	every time.Duration
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// New makes a set of buckets that allow burst events per key, then one every every.
func New(burst int, every time.Duration, now func() time.Time) *Keyed {
	return &Keyed{every: every, burst: burst, now: now, buckets: map[string]*rate.Limiter{}}
}

// Allow takes one event from key's bucket, reporting whether there was one, and if not how
// long until there is.
func (k *Keyed) Allow(key string) (bool, time.Duration) {
	ok, wait, _ := k.Take(key)
	return ok, wait
}

// Take is Allow that can be undone: when the event turns out not to have happened (the form was
// refused before it stored or mailed anything), undo gives the event back to key's bucket, as far
// as later events allow. undo is nil when there was no event to take.
func (k *Keyed) Take(key string) (ok bool, wait time.Duration, undo func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	b, ok := k.buckets[key]
	if !ok {
		if len(k.buckets) >= maxKeys {
			k.sweep(now)
		}
		b = rate.NewLimiter(rate.Every(k.every), k.burst)
		k.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d, nil
	}
	return true, 0, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		r.CancelAt(k.now())
	}
}

// sweep drops the buckets that are full again (their keys have been quiet long enough); if that
// is not enough, it starts afresh rather than grow without bound.
func (k *Keyed) sweep(now time.Time) {
	for key, b := range k.buckets {
		if b.TokensAt(now) >= float64(k.burst) {
			delete(k.buckets, key)
		}
	}
	if len(k.buckets) >= maxKeys {
		k.buckets = map[string]*rate.Limiter{}
	}
}

// Network is what a per-address limit counts for a client address: an IPv4 address itself, an
// IPv6 address's /64 prefix. One IPv6 household or office gets a whole /64 and may pick any of its
// 2⁶⁴ addresses for each request; counted one by one they would make every limit per address
// meaningless. Text that is not an address is returned as it is.
func Network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}
