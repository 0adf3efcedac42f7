// Package account owns the gate: users and roles, the usage-rights declaration and its versions,
// registration and approval, activation and reset tokens, passwords (argon2id), sign-in
// throttling, server-side sessions and cohorts.
package account

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"saferspaces/internal/sqlite"
)

// Service is the account feature. Its methods take a context first and read the time from the
// injected clock, so expiry and throttling are tested without sleeping.
type Service struct {
	db   *sqlite.DB
	now  func() time.Time
	link func(path string) string // absolute URL for links in e-mails
	log  *slog.Logger
	// hashes bounds the argon2id computations running at once (19 MiB each), so a login storm
	// queues instead of exhausting memory.
	hashes chan struct{}
	// hashesIdle fires when the slots have been unused for a while (freeIdleHashMemory).
	hashesIdle *time.Timer
	// attempts are the sign-in attempts in flight, counted by the throttle.
	attempts inflight
	// sessionsSwept is when expired session rows were last deleted (unix seconds).
	sessionsSwept atomic.Int64
	keys          *keyring     // seals second-factor secrets (UseKeyFile)
	autoApprove   AutoApprover // SSO applicants approved at once (sso.go)

	contact string // the operator's contact address, named in every e-mail's footer
	// Erasure reaches data that other packages own through these hooks, set once by package app
	// before the service is used: inErase runs in the erasure's transaction, afterErase after it
	// committed (files, for instance).
	inErase    []func(ctx context.Context, tx *sql.Tx, p Erased) error
	afterErase []func(ctx context.Context, p Erased)
	keyMu      sync.Mutex
	auditKey   []byte // keys the hashes of typed addresses (typed.go); guarded by keyMu
}

// Erased is the person whose data an erasure removes, as they were before it.
type Erased struct {
	ID          int64
	Email, Name string
}

// SetContact makes addr the contact address named in every e-mail's footer.
func (s *Service) SetContact(addr string) { s.contact = addr }

// OnErase registers what else an erasure must remove: in runs in its transaction (nil for none),
// after once it committed (nil for none). Call it while wiring, before serving.
func (s *Service) OnErase(in func(ctx context.Context, tx *sql.Tx, p Erased) error, after func(ctx context.Context, p Erased)) {
	if in != nil {
		s.inErase = append(s.inErase, in)
	}
	if after != nil {
		s.afterErase = append(s.afterErase, after)
	}
}

// New builds the service. link turns a path such as /activate/TOKEN into an absolute URL.
func New(db *sqlite.DB, now func() time.Time, link func(string) string, log *slog.Logger) *Service {
	s := &Service{db: db, now: now, link: link, log: log, hashes: make(chan struct{}, 4), keys: &keyring{}}
	s.hashesIdle = time.AfterFunc(time.Hour, s.freeIdleHashMemory)
	s.hashesIdle.Stop()
	return s
}
