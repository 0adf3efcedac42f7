package xapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/content"
	"saferspaces/internal/learning"
	"saferspaces/internal/sqlite"
)

// Service keeps and sends the learning records.
type Service struct {
	db      *sqlite.DB
	cat     *content.Catalog
	baseURL string // the configured public URL: the canonical URL at first start
	now     func() time.Time
	log     *slog.Logger

	mu    sync.Mutex
	fixed *fixed // read once from the settings, then kept

	transport Transport // nil: no LRS, statements wait
	kick      chan struct{}
	pass      sync.Mutex // one sending pass at a time
}

var _ learning.Recorder = (*Service)(nil)

// New builds the service over the content; baseURL is the platform's public URL, which becomes
// its canonical URL (the root of every activity id and the actors' home page) at first start.
func New(db *sqlite.DB, cat *content.Catalog, baseURL string, now func() time.Time) *Service {
	return &Service{db: db, cat: cat, baseURL: strings.TrimRight(baseURL, "/"), now: now,
		log: slog.New(slog.DiscardHandler), kick: make(chan struct{}, 1)}
}

// Settings rows the service keeps. They are made once and then never change, and backups carry
// them along: ids and actors stay the same across restarts, upgrades and changes of --base-url.
const (
	// CanonicalURLKey is the platform's canonical URL as fixed at first start.
	CanonicalURLKey = "canonical_url"
	// namespaceKey: this installation's namespace for statement ids and actor names (random), so
	// that two installations feeding one LRS never produce the same id.
	namespaceKey = "xapi.namespace"
	// backfilledKey: when the progress stored before statements existed was turned into statements.
	backfilledKey = "xapi.backfilled"
)

// fixed are the values every statement is made with.
type fixed struct {
	home string   // canonical URL, no trailing slash
	ns   [16]byte // namespace of ids
}

// prepare reads (or, on first use, makes) the fixed values inside tx, and turns older progress
// into statements once (backfill.go) before any new statement is stored. The values are cached
// only once they were found committed, so a rolled-back first transaction leaves nothing behind.
func (s *Service) prepare(ctx context.Context, tx *sql.Tx) (*fixed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fixed != nil {
		return s.fixed, nil
	}
	home, homeOK, err := sqlite.SettingIn(ctx, tx, CanonicalURLKey, nil)
	if err != nil {
		return nil, err
	}
	if !homeOK {
		home = s.baseURL
		if err := sqlite.SetSetting(ctx, tx, CanonicalURLKey, home); err != nil {
			return nil, err
		}
	}
	nsText, nsOK, err := sqlite.SettingIn(ctx, tx, namespaceKey, nil)
	if err != nil {
		return nil, err
	}
	if !nsOK {
		nsText = newUUID4()
		if err := sqlite.SetSetting(ctx, tx, namespaceKey, nsText); err != nil {
			return nil, err
		}
	}
	ns, err := parseUUID(nsText)
	if err != nil {
		return nil, fmt.Errorf("xapi namespace: %w", err)
	}
	f := &fixed{home: strings.TrimRight(home, "/"), ns: ns}
	_, done, err := sqlite.SettingIn(ctx, tx, backfilledKey, nil)
	if err != nil {
		return nil, err
	}
	if !done {
		n, err := s.backfill(ctx, tx, f)
		if err != nil {
			return nil, fmt.Errorf("xapi backfill: %w", err)
		}
		if err := sqlite.SetSetting(ctx, tx, backfilledKey, fmt.Sprintf("%d statements at %d", n, s.now().Unix())); err != nil {
			return nil, err
		}
		if n > 0 {
			s.log.Info("learning records: earlier progress stored as xAPI statements", "statements", n)
		}
	}
	if homeOK && nsOK && done {
		s.fixed = f
	}
	return f, nil
}

// Start fixes the canonical URL at first start and stores older progress as statements, so that
// serve does this before the first request. It warns when --base-url no longer matches the
// canonical URL: activity ids keep the stored one, as they must.
func (s *Service) Start(ctx context.Context, log *slog.Logger) error {
	if log != nil {
		s.log = log
	}
	var f *fixed
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		f, err = s.prepare(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("learning records: %w", err)
	}
	if f.home != s.baseURL {
		s.log.Warn("--base-url differs from the canonical URL fixed at first start; learning records keep the canonical URL",
			"base_url", s.baseURL, "canonical_url", f.home)
	}
	return nil
}

// CanonicalURL is the platform's canonical URL (fixed at first start).
func (s *Service) CanonicalURL(ctx context.Context) (string, error) {
	var f *fixed
	err := s.db.Tx(ctx, func(tx *sql.Tx) (err error) { f, err = s.prepare(ctx, tx); return err })
	if err != nil {
		return "", err
	}
	return f.home, nil
}

// Record stores the statements of learning events; package learning calls it inside the
// transaction of the change (learning.Recorder).
func (s *Service) Record(ctx context.Context, tx *sql.Tx, events []learning.Event) error {
	f, err := s.prepare(ctx, tx)
	if err != nil {
		return err
	}
	b := &builder{f: f}
	langs := map[int64]string{}
	for _, ev := range events {
		lang, ok := langs[ev.UserID]
		if !ok {
			if lang, err = learnerLang(ctx, tx, ev.UserID); err != nil {
				return err
			}
			langs[ev.UserID] = lang
		}
		st := b.statement(ev, lang)
		if st == nil {
			continue
		}
		if err := s.store(ctx, tx, st, ev.UserID, ""); err != nil {
			return err
		}
	}
	s.Kick()
	return nil
}

// store writes one statement as the JSON it will always be.
func (s *Service) store(ctx context.Context, tx *sql.Tx, st *Statement, userID int64, voids string) error {
	body, err := encode(st)
	if err != nil {
		return err
	}
	var v any
	if voids != "" {
		v = voids
	}
	now := s.now().Unix()
	_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO xapi_statements(id, user_id, voids, body, created_at, next_attempt_at)
		VALUES (?, NULLIF(?, 0), ?, ?, ?, ?)`, st.ID, userID, v, body, now, now)
	if err != nil {
		return fmt.Errorf("store statement: %w", err)
	}
	return nil
}

// encode is the one JSON form of a statement: compact, UTF-8 as is, keys in a fixed order.
func encode(st *Statement) (string, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(st); err != nil {
		return "", fmt.Errorf("encode statement: %w", err)
	}
	return strings.TrimSuffix(sb.String(), "\n"), nil
}

// unvoided selects a user's statements that no voiding statement names yet (the index on voids,
// migration 00055, finds those; TestUnvoidedSearchesIndexes).
const unvoided = `SELECT id FROM xapi_statements s WHERE user_id = ? AND voids IS NULL
	AND NOT EXISTS (SELECT 1 FROM xapi_statements v WHERE v.voids = s.id) ORDER BY seq`

// VoidUser adds a voiding statement for every statement about the user that is not voided yet;
// account's erasure calls it in its transaction. The learner's statements themselves stay as they
// were: they name no one, and the LRS learns from the voiding statements to disregard them.
func (s *Service) VoidUser(ctx context.Context, tx *sql.Tx, userID int64, now time.Time) error {
	f, err := s.prepare(ctx, tx)
	if err != nil {
		return err
	}
	var ids []string
	err = sqlite.Each(ctx, tx, unvoided, []any{userID},
		func(scan func(...any) error) error {
			var id string
			err := scan(&id)
			ids = append(ids, id)
			return err
		})
	if err != nil {
		return fmt.Errorf("statements to void: %w", err)
	}
	b := &builder{f: f}
	for _, id := range ids {
		if err := s.store(ctx, tx, b.voiding(id, now), userID, id); err != nil {
			return err
		}
	}
	s.Kick()
	return nil
}

// Export records in the audit log that act takes every learner's records out of the platform (to
// target, e.g. a file name), then writes every stored statement, in the order they were made, as
// JSON lines (one statement per line) to w — byte for byte as stored and sent to an LRS.
func (s *Service) Export(ctx context.Context, w io.Writer, act audit.Actor, target string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.prepare(ctx, tx); err != nil {
			return err
		}
		return audit.Log(ctx, tx, s.now(), act, "xapi.exported", 0, "", "all learning records to "+target)
	})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	err = s.bodies(ctx, func(body string) error {
		bw.WriteString(body)
		return bw.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// Statements calls fn with every stored statement, in the order they were made.
func (s *Service) Statements(ctx context.Context, fn func(*Statement) error) error {
	return s.bodies(ctx, func(body string) error {
		var st Statement
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			return fmt.Errorf("stored statement: %w", err)
		}
		return fn(&st)
	})
}

func (s *Service) bodies(ctx context.Context, fn func(string) error) error {
	err := sqlite.Each(ctx, s.db.R, `SELECT body FROM xapi_statements ORDER BY seq`, nil, func(scan func(...any) error) error {
		var body string
		if err := scan(&body); err != nil {
			return err
		}
		return fn(body)
	})
	if err != nil {
		return fmt.Errorf("read statements: %w", err)
	}
	return nil
}

// ActorName is the opaque name under which the user's statements appear (their actor's
// account.name), for tests and for an operator who must answer a data subject's request.
func (s *Service) ActorName(ctx context.Context, userID int64) (string, error) {
	var f *fixed
	err := s.db.Tx(ctx, func(tx *sql.Tx) (err error) { f, err = s.prepare(ctx, tx); return err })
	if err != nil {
		return "", err
	}
	return (&builder{f: f}).actorName(userID), nil
}

// newUUID4 is a random UUID (RFC 4122 §4.4).
func newUUID4() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

// About returns the stored statements about the user (their learning records and the voiding
// statements of an erasure), in the order they were made, byte for byte as stored: for the
// person's own data export. A learner has a few per lesson and self-check, so they fit in memory.
func (s *Service) About(ctx context.Context, userID int64) ([]json.RawMessage, error) {
	out := []json.RawMessage{}
	err := sqlite.Each(ctx, s.db.R, `SELECT body FROM xapi_statements WHERE user_id = ? ORDER BY seq`, []any{userID},
		func(scan func(...any) error) error {
			var body []byte
			err := scan(&body)
			out = append(out, json.RawMessage(body))
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("read statements about user: %w", err)
	}
	return out, nil
}
