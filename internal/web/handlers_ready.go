package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Readiness: /healthz says the process is alive and its database answers (liveness: restart me
// if not). /readyz says whether the platform can do its work: the database accepts writes (a full
// disk makes every sign-in and every completed lesson fail) and the mail outbox is moving (mail
// waiting longer than mailStuckAfter while nothing goes out means SMTP is down or the worker
// stopped; one mailbox that keeps answering "try later" does not count, see Outbox.Stuck).
// Monitoring alerts on it; a load balancer may take the instance out of rotation.
const (
	mailStuckAfter = 30 * time.Minute
	// readinessTTL is how long an answer is reused: the write check costs a commit, and the
	// endpoint is public.
	readinessTTL = 5 * time.Second
)

type readinessCache struct {
	mu     sync.Mutex
	at     time.Time
	ok     bool
	report string
}

// readyz answers 200 or 503 with one line per check.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	ok, report := s.readiness.get(s.now(), func() (bool, string) { return s.checkReady(r.Context()) })
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write([]byte(report))
}

func (c *readinessCache) get(now time.Time, check func() (bool, string)) (bool, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() || now.Sub(c.at) >= readinessTTL || now.Before(c.at) {
		c.ok, c.report = check()
		c.at = now
	}
	return c.ok, c.report
}

func (s *Server) checkReady(ctx context.Context) (bool, string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	var b strings.Builder
	ok := true
	line := func(good bool, format string, args ...any) {
		if !good {
			ok = false
		}
		fmt.Fprintf(&b, format+"\n", args...)
	}
	switch err := s.ready(ctx); {
	case err != nil:
		s.log.Error("readyz: database", "err", err)
		line(false, "database: unavailable")
	case s.writable == nil:
		line(true, "database: ok")
	default:
		if err := s.writable(ctx); err != nil {
			s.log.Error("readyz: database does not accept writes", "err", err)
			line(false, "database: does not accept writes")
		} else {
			line(true, "database: ok, accepts writes")
		}
	}
	stuck, err := s.Outbox.Stuck(ctx, mailStuckAfter)
	var pending int
	var oldest time.Duration
	if err == nil && stuck {
		pending, oldest, err = s.Outbox.Backlog(ctx)
	}
	switch {
	case err != nil:
		s.log.Error("readyz: mail outbox", "err", err)
		line(false, "mail outbox: unreadable")
	case stuck:
		// The endpoint is public: it says that mail is stuck, not how much of it there is (the
		// log and the metrics endpoint, on its own address, have the figures).
		s.log.Warn("readyz: mail outbox stuck", "waiting", pending, "oldest", oldest.Round(time.Minute).String())
		line(false, "mail outbox: stuck, mail has waited for more than %d minutes", int(mailStuckAfter.Minutes()))
	default:
		line(true, "mail outbox: ok")
	}
	return ok, b.String()
}
