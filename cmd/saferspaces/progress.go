package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progress shows how far a long command is, on one line of a terminal that it rewrites a few
// times a second: "backup: 41 % (120.0 of 290.5 MiB)". It shows nothing when stderr is not a
// terminal (a cron job, a systemd unit, a pipe, a test), so logs get no carriage returns. Commands
// that take long (users import, export xapi, backup, purge) use it; a nil *progress does nothing.
type progress struct {
	w     io.Writer
	label string
	unit  string // "" counts items, "bytes" shows MiB
	mu    sync.Mutex
	last  time.Time
	shown bool
}

// newProgress returns a progress line on stderr when it is a terminal, nil otherwise.
func newProgress(stderr io.Writer, label, unit string) *progress {
	if !isTerminal(stderr) {
		return nil
	}
	return &progress{w: stderr, label: label, unit: unit}
}

// isTerminal reports whether w is a terminal (a TTY, not a file, pipe or /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Update shows done of total (total ≤ 0: unknown), at most five times a second.
func (p *progress) Update(done, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond || (total > 0 && done >= total) {
		p.last = now
		p.shown = true
		fmt.Fprintf(p.w, "\r\033[K%s", p.line(done, total))
	}
}

// Step shows that a command of a few long steps is at step n of total, called name; every
// step is shown.
func (p *progress) Step(n, total int64, name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last, p.shown = time.Now(), true
	fmt.Fprintf(p.w, "\r\033[K%s: step %d of %d (%s)", p.label, n, total, name)
}

func (p *progress) line(done, total int64) string {
	amount := func(n int64) string {
		if p.unit == "bytes" {
			return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
		}
		return fmt.Sprint(n)
	}
	if total <= 0 {
		return fmt.Sprintf("%s: %s", p.label, amount(done))
	}
	return fmt.Sprintf("%s: %d %% (%s of %s)", p.label, done*100/total, amount(done), amount(total))
}

// Done ends the progress line, so that what is printed next starts on a line of its own.
func (p *progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
