// Package learning owns what learners do with the content: lesson completions and the position
// they left off at, self-check grading and attempts, and the certificates that completing a
// module (and the whole programme) issues. Progress is stored against the stable module and
// lesson ids of the content, so editing a lesson keeps it, and ids that disappear from the content
// are ignored rather than breaking a page or a count.
package learning

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// ProgrammeID is the module id under which the certificate for the whole programme is stored.
const ProgrammeID = "*"

// Service is the learning feature. Its methods take a context first and read the time from the
// injected clock.
type Service struct {
	db   *sqlite.DB
	cat  *content.Catalog
	now  func() time.Time
	link func(path string) string // nil: no certificate e-mails
	// recorder keeps the learning records (package xapi); nil: none are kept.
	recorder Recorder
	// contact is the operator's contact address named in the e-mails' footer.
	contact string

	keyMu sync.Mutex
	key   []byte // seeds the self-check papers; see paperKey
	// papers remembers each learner's last self-check paper (paper.go).
	papers paperMemo

	writers userLocks // each learner's writes, one at a time (locks.go)
}

// New builds the service over the validated content.
func New(db *sqlite.DB, cat *content.Catalog, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, cat: cat, now: now}
}

// MailCertificates makes the service e-mail each new certificate to its holder, in the
// transaction that issues it; link turns a path such as /certificates/CODE into an absolute URL.
// The caller wakes the outbox after the commit (the worker also polls).
// contact is the operator's address named in the mails' footer ("" for none).
func (s *Service) MailCertificates(link func(path string) string, contact string) {
	s.link, s.contact = link, contact
}

// Catalog is the content the service works on.
func (s *Service) Catalog() *content.Catalog { return s.cat }

// module returns the module with id, or errs.NotFound.
func (s *Service) module(id string) (*content.Module, error) {
	m := s.cat.Module(id)
	if m == nil {
		return nil, errs.E(errs.NotFound, "module not found")
	}
	return m, nil
}

// querier is a *sql.DB or *sql.Tx, so the same reads serve pages and the issuing transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
