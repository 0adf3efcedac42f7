package account

import (
	"sync"
	"sync/atomic"
	"testing"
)

// Internals the external tests check.
const DummyHash = dummyHash

// HashProbe watches the argon2id computations for one test: how many run now, the most that ran at
// once and how many started in all. Each computation waits for Release before it starts, so a
// test can keep the hashing slots taken and look at who queues for them.
type HashProbe struct {
	InFlight, Peak, Total atomic.Int64
	gate                  chan struct{}
	once                  sync.Once
}

// ProbeHashes installs a HashProbe until the end of the test. Tests using it must not run in
// parallel with other hashing tests of this package.
func ProbeHashes(t testing.TB) *HashProbe {
	p := &HashProbe{gate: make(chan struct{})}
	orig := idKey
	idKey = func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		n := p.InFlight.Add(1)
		defer p.InFlight.Add(-1)
		for old := p.Peak.Load(); n > old && !p.Peak.CompareAndSwap(old, n); old = p.Peak.Load() {
		}
		p.Total.Add(1)
		<-p.gate
		return orig(password, salt, time, memory, threads, keyLen)
	}
	t.Cleanup(func() {
		p.Release()
		idKey = orig
	})
	return p
}

// Release lets every held and future computation run.
func (p *HashProbe) Release() { p.once.Do(func() { close(p.gate) }) }
