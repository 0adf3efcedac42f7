package web

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// A burst of requests for a file not yet cached makes it once; the cache keeps at most its
// size, dropping the least recently used.
func TestFileCacheMakesOnceAndEvicts(t *testing.T) {
	c := newFileCache(2)
	var made atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			f, err := c.get("a", func() ([]byte, error) {
				made.Add(1)
				<-release
				return []byte("A"), nil
			})
			if err != nil || string(f.body) != "A" {
				t.Errorf("get a = %v, %v", f, err)
			}
		})
	}
	for len(c.pendingKeys()) == 0 {
	}
	close(release)
	wg.Wait()
	if n := made.Load(); n != 1 {
		t.Errorf("made %d times for 20 concurrent requests", n)
	}
	for _, k := range []string{"b", "a", "c"} { // b is then the least recently used
		c.get(k, func() ([]byte, error) { made.Add(1); return []byte(k), nil })
	}
	if c.len() != 2 {
		t.Errorf("%d entries, max 2", c.len())
	}
	before := made.Load()
	c.get("a", func() ([]byte, error) { made.Add(1); return nil, nil })
	c.get("b", func() ([]byte, error) { made.Add(1); return []byte("b"), nil })
	if got := made.Load() - before; got != 1 {
		t.Errorf("after eviction: %d made, want 1 (b only)", got)
	}
	if _, err := c.get("x", func() ([]byte, error) { return nil, fmt.Errorf("broken") }); err == nil {
		t.Error("error not returned")
	}
}

func (c *fileCache) pendingKeys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.pending {
		out = append(out, k)
	}
	return out
}
