package xapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/content"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/paths"
	"saferspaces/internal/sqlite"
)

// Service makes the learning records' statements.
type Service struct {
	db      *sqlite.DB
	cat     *content.Catalog
	baseURL string // the platform's public URL: the root of activity ids
	now     func() time.Time
}

// New builds the service over the content; baseURL is the platform's public URL.
func New(db *sqlite.DB, cat *content.Catalog, baseURL string, now func() time.Time) *Service {
	return &Service{db: db, cat: cat, baseURL: baseURL, now: now}
}

// Export records in the audit log that act takes every learner's records out of the platform (to
// target, e.g. a file name), then writes every statement, oldest first, as JSON lines (one
// statement per line) to w. See Statements for what is exported.
func (s *Service) Export(ctx context.Context, w io.Writer, act audit.Actor, target string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Log(ctx, tx, s.now(), act, "xapi.exported", 0, "", "all learning records to "+target)
	})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := s.Statements(ctx, func(st *Statement) error { return enc.Encode(st) }); err != nil {
		return err
	}
	return bw.Flush()
}

// Statements derives the statements from the stored progress and calls fn for each, in time order:
//
//   - completed (lesson): a lesson marked as done;
//   - passed / failed (assessment): every self-check attempt, with the score in percent;
//   - progressed (module): each time a lesson or the first passed self-check moves a module
//     forward without completing it, with the module's percentage (cmi5 progress extension,
//     result.completion false);
//   - completed (module): the moment the module's last unit was done.
//
// Percentages follow the content as it is now and package learning's rule (learning.ModuleUnits),
// and records of lessons or modules that have left the content are not exported. The last opened
// lesson (kept only to resume) is not a learning record and is not exported.
func (s *Service) Statements(ctx context.Context, fn func(*Statement) error) error {
	ns, err := s.namespace(ctx)
	if err != nil {
		return err
	}
	e := &exporter{ns: ns, base: strings.TrimRight(s.baseURL, "/"), cat: s.cat, emit: fn,
		state: map[int64]map[string]*moduleState{}}
	// One query, so the export is one consistent snapshot and is streamed in time order. It reads
	// the tables of packages account and learning: the one documented exception to "one owner per
	// table" (docs/architecture.md), because only a single statement gives a consistent snapshot.
	rows, err := s.db.R.QueryContext(ctx, `SELECT e.at, e.kind, e.user_id, e.module_id, e.lesson_id, e.attempt, e.score, e.passed,
			u.name, u.email, u.status, u.lang
		FROM (
			SELECT completed_at AS at, 0 AS kind, user_id, module_id, lesson_id, 0 AS attempt, 0 AS score, 0 AS passed
				FROM lesson_completions
			UNION ALL
			SELECT submitted_at, 1, user_id, module_id, '', id, score, passed FROM check_attempts
		) e JOIN users u ON u.id = e.user_id
		ORDER BY e.at, e.user_id, e.kind, e.module_id, e.lesson_id, e.attempt`)
	if err != nil {
		return fmt.Errorf("xapi export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ev event
		var at int64
		if err := rows.Scan(&at, &ev.kind, &ev.user.id, &ev.module, &ev.lesson, &ev.attempt, &ev.score, &ev.passed,
			&ev.user.name, &ev.user.email, &ev.user.status, &ev.user.lang); err != nil {
			return fmt.Errorf("xapi export: %w", err)
		}
		ev.at = time.Unix(at, 0).UTC()
		if err := e.event(&ev); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("xapi export: %w", err)
	}
	return nil
}

const (
	kindLesson  = 0
	kindAttempt = 1
)

type event struct {
	at      time.Time
	kind    int
	user    user
	module  string
	lesson  string
	attempt int64
	score   int
	passed  bool
}

type user struct {
	id                        int64
	name, email, status, lang string
}

// moduleState is how far a learner is in a module at the event being exported.
type moduleState struct {
	lessons  map[string]bool
	passed   bool
	complete bool
}

type exporter struct {
	ns    [16]byte
	base  string
	cat   *content.Catalog
	emit  func(*Statement) error
	state map[int64]map[string]*moduleState
}

func (e *exporter) moduleState(userID int64, moduleID string) *moduleState {
	if e.state[userID] == nil {
		e.state[userID] = map[string]*moduleState{}
	}
	st := e.state[userID][moduleID]
	if st == nil {
		st = &moduleState{lessons: map[string]bool{}}
		e.state[userID][moduleID] = st
	}
	return st
}

func (e *exporter) event(ev *event) error {
	m := e.cat.Module(ev.module)
	if m == nil {
		return nil
	}
	st := e.moduleState(ev.user.id, m.ID)
	switch ev.kind {
	case kindLesson:
		l := m.Lesson(ev.lesson)
		if l == nil {
			return nil
		}
		s := e.statement(ev, fmt.Sprintf("lesson-completed|%d|%s|%s|%d", ev.user.id, m.ID, l.ID, ev.at.Unix()),
			VerbCompleted, e.lessonActivity(m, l))
		s.Result = &Result{Completion: ptr(true)}
		s.Context.ContextActivities = &ContextActivities{Parent: []Activity{e.parent(m)}}
		if err := e.emit(s); err != nil {
			return err
		}
		if st.lessons[l.ID] {
			return nil
		}
		st.lessons[l.ID] = true
	case kindAttempt:
		if !m.HasCheck() {
			return nil
		}
		verb := VerbFailed
		if ev.passed {
			verb = VerbPassed
		}
		s := e.statement(ev, fmt.Sprintf("attempt|%d|%d", ev.user.id, ev.attempt), verb, e.checkActivity(m))
		s.Result = &Result{
			Score:      &Score{Scaled: float64(ev.score) / 100, Raw: ev.score, Min: 0, Max: 100},
			Success:    ptr(ev.passed),
			Completion: ptr(true),
		}
		s.Context.ContextActivities = &ContextActivities{Parent: []Activity{e.parent(m)}}
		if err := e.emit(s); err != nil {
			return err
		}
		if !ev.passed || st.passed {
			return nil
		}
		st.passed = true
	}
	return e.progress(ev, m, st)
}

// progress reports the module after a unit was done: progressed, or completed by its last unit.
func (e *exporter) progress(ev *event, m *content.Module, st *moduleState) error {
	if st.complete {
		return nil
	}
	u := learning.ModuleUnits(m, func(id string) bool { return st.lessons[id] }, st.passed)
	if u.Complete() {
		st.complete = true
		s := e.statement(ev, fmt.Sprintf("module-completed|%d|%s|%d", ev.user.id, m.ID, ev.at.Unix()),
			VerbCompleted, e.moduleActivity(m))
		s.Result = &Result{Completion: ptr(true), Extensions: map[string]any{ExtProgress: 100}}
		return e.emit(s)
	}
	pct := u.Percent()
	s := e.statement(ev, fmt.Sprintf("module-progressed|%d|%s|%d|%d", ev.user.id, m.ID, pct, ev.at.Unix()),
		VerbProgressed, e.moduleActivity(m))
	s.Result = &Result{Completion: ptr(false), Extensions: map[string]any{ExtProgress: pct}}
	return e.emit(s)
}

func (e *exporter) statement(ev *event, key, verb string, obj Activity) *Statement {
	return &Statement{
		ID:        uuid5(e.ns, key),
		Actor:     e.actor(ev.user),
		Verb:      Verb{ID: verb, Display: languageMap(func(l i18n.Lang) string { return i18n.T(l, verbKeys[verb]) })},
		Object:    obj,
		Context:   Context{Platform: Platform, Language: i18n.Tag(i18n.OrDefault(ev.user.lang))},
		Timestamp: ev.at.Format(time.RFC3339),
		Version:   "1.0.3",
	}
}

// actor identifies the learner by e-mail; once their data is erased, by an account that names
// only the platform's user id, so the LRS can still group their anonymous statistics.
func (e *exporter) actor(u user) Actor {
	if u.status == string(account.StatusErased) {
		return Actor{ObjectType: "Agent", Account: &Account{HomePage: e.base, Name: fmt.Sprintf("user-%d", u.id)}}
	}
	return Actor{ObjectType: "Agent", Name: u.name, Mbox: "mailto:" + u.email}
}

func (e *exporter) moduleActivity(m *content.Module) Activity {
	return activity(e.base+paths.Module(m.ID), TypeModule, m.Title)
}

func (e *exporter) lessonActivity(m *content.Module, l *content.Lesson) Activity {
	return activity(e.base+paths.Lesson(m.ID, l.ID), TypeLesson, l.Title)
}

func (e *exporter) checkActivity(m *content.Module) Activity {
	name := content.Text{}
	for _, l := range i18n.Languages() {
		name[l] = i18n.T(l, "xapi.check_name", "Module", m.Title.In(l))
	}
	return activity(e.base+paths.Check(m.ID), TypeAssessment, name)
}

func (e *exporter) parent(m *content.Module) Activity {
	return Activity{ObjectType: "Activity", ID: e.base + paths.Module(m.ID)}
}

func activity(id, typ string, name content.Text) Activity {
	return Activity{ObjectType: "Activity", ID: id,
		Definition: &Definition{Name: languageMap(func(l i18n.Lang) string { return name[l] }), Type: typ}}
}

// languageMap is an xAPI language map of every language that has a text.
func languageMap(text func(i18n.Lang) string) map[string]string {
	m := map[string]string{}
	for _, l := range i18n.Languages() {
		if s := text(l); s != "" {
			m[i18n.Tag(l)] = s
		}
	}
	return m
}

// verbKeys are the catalog entries of the verbs' display names.
var verbKeys = map[string]string{
	VerbCompleted:  "xapi.verb.completed",
	VerbPassed:     "xapi.verb.passed",
	VerbFailed:     "xapi.verb.failed",
	VerbProgressed: "xapi.verb.progressed",
}

func ptr[T any](v T) *T { return &v }

// namespaceKey is the settings row with this installation's namespace for statement ids: random
// once, then kept (and carried along by backups), so ids are stable across exports and changes of
// the base URL, and two installations feeding one LRS never produce the same id.
const namespaceKey = "xapi.namespace"

func (s *Service) namespace(ctx context.Context) ([16]byte, error) {
	v, err := s.db.Setting(ctx, namespaceKey, newUUID4)
	if err != nil {
		return [16]byte{}, fmt.Errorf("xapi namespace: %w", err)
	}
	return parseUUID(v)
}

// newUUID4 is a random UUID (RFC 4122 §4.4).
func newUUID4() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}
