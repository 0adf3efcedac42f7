package web

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// fileCache keeps generated files (certificate PDFs and QR codes) in memory, least recently used
// out first, so that a public route serves a certificate that is downloaded again and again from
// memory instead of parsing fonts and encoding the QR code each time (24 ms of CPU and 17.6 MB of
// allocation per PDF). Keys name everything a file shows, so a changed name or an erased holder
// (whose lookup fails before the cache is asked) never gets a stale file.
type fileCache struct {
	mu      sync.Mutex
	max     int // entries
	order   *list.List
	items   map[string]*list.Element
	pending map[string]*making // files being made: later requests wait for them
}

// making is a file being made by the first request that missed it.
type making struct {
	done chan struct{}
	file *cachedFile
	err  error
}

type cachedFile struct {
	key  string
	body []byte
	etag string
}

func newFileCache(max int) *fileCache {
	return &fileCache{max: max, order: list.New(), items: map[string]*list.Element{}, pending: map[string]*making{}}
}

// get returns the file under key, making it with build on a miss. Requests that miss the same key
// while it is being made wait for that one making, so a burst of downloads of a new certificate
// generates it once, not once per request.
func (c *fileCache) get(key string, build func() ([]byte, error)) (*cachedFile, error) {
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		f := e.Value.(*cachedFile)
		c.mu.Unlock()
		return f, nil
	}
	if m, ok := c.pending[key]; ok {
		c.mu.Unlock()
		<-m.done
		return m.file, m.err
	}
	m := &making{done: make(chan struct{})}
	c.pending[key] = m
	c.mu.Unlock()

	body, err := build()
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, key)
	defer close(m.done)
	if err != nil {
		m.err = err
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	m.file = &cachedFile{key: key, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	c.items[key] = c.order.PushFront(m.file)
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*cachedFile).key)
	}
	return m.file, nil
}

// clear forgets every file kept (files being made are kept by those who wait for them only).
func (c *fileCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.items)
}

// len is the number of files kept.
func (c *fileCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
