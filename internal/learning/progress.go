package learning

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
	"saferspaces/internal/paths"
	"saferspaces/internal/sqlite"
)

// Units is the progress rule, the one every page, report and export uses: every lesson of a module
// that exists in the content is one unit and the passed self-check is one more, so a module of
// four lessons is 20 % done after one lesson and complete only once the check is passed.
// Progress on lessons that were removed from the content is kept in the database but not counted.
type Units struct{ Done, Total int }

// ModuleUnits counts a module's units for a learner who has done the lessons for which done
// reports true and has (or has not) passed the self-check.
func ModuleUnits(m *content.Module, done func(lessonID string) bool, checkPassed bool) Units {
	u := Units{Total: len(m.Lessons)}
	for _, l := range m.Lessons {
		if done(l.ID) {
			u.Done++
		}
	}
	if m.HasCheck() {
		u.Total++
		if checkPassed {
			u.Done++
		}
	}
	return u
}

// Add sums units, for the programme.
func (u Units) Add(v Units) Units { return Units{Done: u.Done + v.Done, Total: u.Total + v.Total} }

// Percent is Done of Total, rounded down, so that 100 means really complete; 0 without units.
func (u Units) Percent() int {
	if u.Total == 0 {
		return 0
	}
	return u.Done * 100 / u.Total
}

// Complete reports whether every unit is done.
func (u Units) Complete() bool { return u.Done == u.Total }

// ModuleProgress is where one learner stands in one module, by the rule of Units.
type ModuleProgress struct {
	Module       *content.Module
	Done         map[string]bool      // lesson id → completed
	DoneAt       map[string]time.Time // lesson id → when it was completed
	LessonsDone  int
	LessonsTotal int
	HasCheck     bool
	Attempts     int
	Scores       []int // the score of every attempt, oldest first: the attempt history at a glance
	BestScore    int   // 0 without attempts
	Passed       bool
	UnitsDone    int
	UnitsTotal   int
	Percent      int // UnitsDone of UnitsTotal, rounded down, so 100 means really complete
	MinutesLeft  int // Module.Minutes × remaining units / total units, rounded up
	Complete     bool
	CompletedAt  time.Time // when the last unit was done (the later of the last lesson and the first pass); zero unless Complete
	LastActivity time.Time // latest visit, completion or attempt; zero if none
	// Continue is where "continue where you left off" leads: the last opened lesson if it is not
	// done, else the next lesson not done (after the last opened one, wrapping round), else the
	// self-check if not passed, else the module page. ContinueLesson is that lesson, if any.
	Continue       string
	ContinueLesson *content.Lesson
	Certificate    *Certificate // nil until issued
}

// Programme is where a learner stands in the whole programme.
type Programme struct {
	ModulesDone  int
	ModulesTotal int
	UnitsDone    int
	UnitsTotal   int
	Percent      int // units over all modules
	MinutesLeft  int
	Complete     bool
	Certificate  *Certificate
	// Resume is the unfinished module the learner worked on last (or the first unfinished one);
	// nil when everything is done.
	Resume *ModuleProgress
}

// HoursLeft is MinutesLeft in whole hours, rounded up, for long estimates.
func (p Programme) HoursLeft() int { return (p.MinutesLeft + 59) / 60 }

// progress lays a learner's records over one module of the content.
func progress(rec *records, m *content.Module) ModuleProgress {
	p := ModuleProgress{Module: m, Done: map[string]bool{}, DoneAt: map[string]time.Time{}, LessonsTotal: len(m.Lessons), HasCheck: m.HasCheck()}
	done := rec.done[m.ID]
	var lastLesson time.Time
	for _, l := range m.Lessons {
		if at, ok := done[l.ID]; ok {
			p.Done[l.ID] = true
			p.DoneAt[l.ID] = at
			p.LessonsDone++
			lastLesson = later(lastLesson, at)
		}
	}
	p.LastActivity = lastLesson
	st := rec.checks[m.ID]
	p.Attempts, p.Scores, p.BestScore, p.Passed = st.attempts, st.scores, st.best, st.passed
	p.LastActivity = later(p.LastActivity, st.last)
	v, visited := rec.visits[m.ID]
	if visited {
		p.LastActivity = later(p.LastActivity, v.at)
	}

	u := ModuleUnits(m, func(id string) bool { return p.Done[id] }, p.Passed)
	p.UnitsDone, p.UnitsTotal, p.Percent, p.Complete = u.Done, u.Total, u.Percent(), u.Complete()
	if u.Total > 0 {
		p.MinutesLeft = (m.Minutes*(u.Total-u.Done) + u.Total - 1) / u.Total
	}
	if p.Complete {
		// The check unit was done at the first passing attempt; later attempts change nothing.
		p.CompletedAt = later(lastLesson, st.firstPass)
	}
	p.Certificate = rec.certs[m.ID]

	p.Continue = paths.Module(m.ID)
	if l := nextLesson(m, p.Done, v.lesson); l != nil {
		p.ContinueLesson = l
		p.Continue = paths.Lesson(m.ID, l.ID)
	} else if p.HasCheck && !p.Passed {
		p.Continue = paths.Check(m.ID)
	}
	return p
}

// nextLesson picks the lesson to continue with: the last opened one if not done, else the
// first not done after it (wrapping round), so a learner who skipped ahead is not sent back.
func nextLesson(m *content.Module, done map[string]bool, lastOpened string) *content.Lesson {
	start := 0
	if l := m.Lesson(lastOpened); l != nil {
		if !done[l.ID] {
			return l
		}
		start = l.Index + 1
	}
	for i := range m.Lessons {
		if l := m.Lessons[(start+i)%len(m.Lessons)]; !done[l.ID] {
			return l
		}
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// programme sums up every module of the content.
func (s *Service) programme(rec *records) ([]ModuleProgress, Programme) {
	mods := make([]ModuleProgress, len(s.cat.Modules))
	var pr Programme
	pr.ModulesTotal = len(mods)
	var units Units
	for i, m := range s.cat.Modules {
		p := progress(rec, m)
		mods[i] = p
		units = units.Add(Units{Done: p.UnitsDone, Total: p.UnitsTotal})
		pr.MinutesLeft += p.MinutesLeft
		if p.Complete {
			pr.ModulesDone++
		}
	}
	pr.UnitsDone, pr.UnitsTotal, pr.Percent = units.Done, units.Total, units.Percent()
	for i := range mods {
		p := &mods[i]
		if p.Complete {
			continue
		}
		if pr.Resume == nil || p.LastActivity.After(pr.Resume.LastActivity) {
			pr.Resume = p
		}
	}
	pr.Complete = pr.ModulesTotal > 0 && pr.ModulesDone == pr.ModulesTotal
	pr.Certificate = rec.certs[ProgrammeID]
	return mods, pr
}

// Dashboard is a learner's progress in every module, in content order, and in the programme.
func (s *Service) Dashboard(ctx context.Context, userID int64) ([]ModuleProgress, Programme, error) {
	rec, err := loadRecord(ctx, s.db.R, userID)
	if err != nil {
		return nil, Programme{}, err
	}
	mods, pr := s.programme(rec)
	return mods, pr, nil
}

// ModuleProgress is a learner's progress in one module; an unknown module is errs.NotFound.
func (s *Service) ModuleProgress(ctx context.Context, userID int64, moduleID string) (ModuleProgress, error) {
	m, err := s.module(moduleID)
	if err != nil {
		return ModuleProgress{}, err
	}
	recs, err := loadRecordsWhere(ctx, s.db.R, recordQuery{module: m.ID}, userID) // this module's only
	if err != nil {
		return ModuleProgress{}, err
	}
	return progress(recs[userID], m), nil
}

// CompleteLesson marks a lesson done. It is idempotent: a double click or a second tab finds the
// row already there and changes nothing. If the lesson completes its module (and with it the
// programme), the certificates are issued in the same transaction and returned; nil otherwise.
// An unknown module or lesson is errs.NotFound.
//
// The learner goes on to the next lesson (the page redirects there), so that lesson is
// remembered as the one opened last in the same transaction: reading it right after costs no
// write of its own, and completing a lesson is one commit, one fsync.
func (s *Service) CompleteLesson(ctx context.Context, userID int64, moduleID, lessonID string) ([]Certificate, error) {
	l := s.cat.Lesson(moduleID, lessonID)
	if l == nil {
		return nil, errs.E(errs.NotFound, "lesson not found")
	}
	unlock := s.writers.lock(userID)
	defer unlock()
	// Read under the learner's lock, before the write transaction (see userLocks).
	before, err := loadRecord(ctx, s.db.R, userID)
	if err != nil {
		return nil, fmt.Errorf("complete lesson %s/%s: %w", moduleID, lessonID, err)
	}
	now := s.now()
	m, next := s.cat.Module(moduleID), l.Next()
	// The outcome if the lesson is new and the next lesson's visit gets written, as the records
	// read say; the transaction finds out what really happened and works it out again if not.
	plan := func(completed, visited bool) *outcome {
		after := before.clone()
		var first []Event
		if completed {
			after.withCompletion(moduleID, lessonID, now.Unix())
			first = []Event{{Kind: LessonCompleted, UserID: userID, At: sqlite.Time(now.Unix()), Module: m, Lesson: l}}
		}
		if visited {
			after.withVisit(moduleID, next.ID, now.Unix())
		}
		return s.outcomeOf(userID, before, after, m, first)
	}
	_, doneBefore := before.done[moduleID][lessonID]
	expectVisit := next != nil && before.visitWritten(moduleID, next.ID, now.Unix())
	expected := plan(!doneBefore, expectVisit)
	var issued []Certificate
	// One commit, shared with other learners' actions of the moment (sqlite.DB.GroupTx).
	err = s.db.GroupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO lesson_completions(user_id, module_id, lesson_id, completed_at)
			VALUES (?, ?, ?, ?)`, userID, moduleID, lessonID, now.Unix())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		completed, visited := n > 0, false
		if next != nil {
			if visited, err = upsertVisit(ctx, tx, userID, moduleID, next.ID, now); err != nil {
				return err
			}
		}
		o := expected
		if completed == doneBefore || visited != expectVisit {
			o = plan(completed, visited) // someone else wrote in between (a command, not this learner)
		}
		if issued, err = s.issue(ctx, tx, o, 0, now); err != nil {
			return err
		}
		return s.record(ctx, tx, o.events) // none when the lesson was done before
	})
	if err != nil {
		return nil, fmt.Errorf("complete lesson %s/%s: %w", moduleID, lessonID, err)
	}
	return issued, nil
}

// visitWriteGap is how long a repeated visit of the same lesson is not written again.
const visitWriteGap = 60 // seconds

// visitWritten reports whether a visit of lesson l of module m at unix second at is written
// (upsertVisit's rule) to the records r.
func (r *records) visitWritten(m, l string, at int64) bool {
	v, ok := r.visits[m]
	return !ok || v.lesson != l || at-v.at.Unix() >= visitWriteGap
}

// VisitLesson remembers the lesson a learner opened last in its module, for "continue where you
// left off"; see OpenLesson.
func (s *Service) VisitLesson(ctx context.Context, userID int64, moduleID, lessonID string) error {
	_, err := s.OpenLesson(ctx, userID, moduleID, lessonID)
	return err
}

// OpenLesson is what the lesson page needs of the database, in one read: whether the learner has
// done the lesson. It also remembers the lesson as the one opened last in its module — bookkeeping
// on every lesson view, so the stored visit is read first and only a different lesson, or the same
// one more than a minute later, is written: reloads, scrolling back and forth and the lesson right
// after "complete" (recorded by CompleteLesson) cost no write. A failed write of the visit is
// an ErrVisitNotRecorded with done still valid; the caller serves the page anyway.
func (s *Service) OpenLesson(ctx context.Context, userID int64, moduleID, lessonID string) (done bool, err error) {
	if s.cat.Lesson(moduleID, lessonID) == nil {
		return false, errs.E(errs.NotFound, "lesson not found")
	}
	now := s.now()
	var last sql.NullString
	var at sql.NullInt64
	err = s.db.R.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM lesson_completions WHERE user_id = ?1 AND module_id = ?2 AND lesson_id = ?3),
			(SELECT lesson_id FROM lesson_visits WHERE user_id = ?1 AND module_id = ?2),
			(SELECT visited_at FROM lesson_visits WHERE user_id = ?1 AND module_id = ?2)`,
		userID, moduleID, lessonID).Scan(&done, &last, &at)
	if err != nil {
		return false, fmt.Errorf("read lesson state: %w", err)
	}
	if last.String == lessonID && now.Unix()-at.Int64 < visitWriteGap {
		return done, nil
	}
	unlock := s.writers.lock(userID)
	defer unlock()
	// Bookkeeping: committed without waiting for the disk (sqlite.DB.BookkeepingTx), so that
	// reading a lesson costs no fsync; a power failure may lose it until the next real write.
	err = s.db.BookkeepingTx(ctx, func(tx *sql.Tx) error {
		changed, err := upsertVisit(ctx, tx, userID, moduleID, lessonID, now)
		if err != nil || !changed {
			return err
		}
		// The visit is activity: the summary's last activity follows it (one commit for both).
		res, err := tx.ExecContext(ctx, `UPDATE learner_progress SET last_activity_at = max(last_activity_at, ?)
			WHERE user_id = ? AND catalog = ?`, now.Unix(), userID, s.fingerprint())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.summarise(ctx, tx, userID)
		}
		return nil
	})
	if err != nil {
		return done, fmt.Errorf("%w: %w", ErrVisitNotRecorded, err)
	}
	return done, nil
}

// ErrVisitNotRecorded is OpenLesson's error when only the bookkeeping write failed.
var ErrVisitNotRecorded = errors.New("lesson visit not recorded")

// upsertVisit upserts the lesson opened last, unless the stored one is the same and recent; it
// reports whether it wrote.
func upsertVisit(ctx context.Context, tx *sql.Tx, userID int64, moduleID, lessonID string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO lesson_visits(user_id, module_id, lesson_id, visited_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, module_id) DO UPDATE SET lesson_id = excluded.lesson_id, visited_at = excluded.visited_at
		WHERE lesson_visits.lesson_id <> excluded.lesson_id OR excluded.visited_at - lesson_visits.visited_at >= ?`,
		userID, moduleID, lessonID, now.Unix(), visitWriteGap)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Overview is where one learner stands in every module and in the programme, for reports and
// exports about many learners.
type Overview struct {
	Modules      []ModuleProgress // in content order
	Programme    Programme
	LastActivity time.Time // latest lesson visit, completion or attempt, also in content that was removed
}

// Overviews is the progress of many learners at once, by the same rule as the dashboard: one
// query per kind of record, whatever the number of learners.
func (s *Service) Overviews(ctx context.Context, userIDs []int64) (map[int64]Overview, error) {
	return s.OverviewsSince(ctx, userIDs, time.Time{})
}

// OverviewsSince is Overviews counting only what was done at or after since (a cycle's start);
// a zero since counts everything.
func (s *Service) OverviewsSince(ctx context.Context, userIDs []int64, since time.Time) (map[int64]Overview, error) {
	var from int64
	if !since.IsZero() {
		from = since.Unix()
	}
	recs, err := loadRecordsWhere(ctx, s.db.R, recordQuery{since: from, scores: true}, userIDs...)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Overview, len(recs))
	for id, rec := range recs {
		mods, pr := s.programme(rec)
		out[id] = Overview{Modules: mods, Programme: pr, LastActivity: rec.lastActivity()}
	}
	return out, nil
}

// NextStep is where a learner goes on from a module.
type NextStep struct {
	// Module is the module to go on with: the module itself while it is not complete (its
	// Continue leads to the lesson or check that is left), else the next unfinished module after
	// it in content order (wrapping round). Nil when every module is complete.
	Module *ModuleProgress
	Same   bool // Module is the module itself: its lessons are not all done yet
	// Programme is the programme certificate once every module is complete.
	Programme *Certificate
}

// NextAfter is the step after module moduleID for a learner: what "go on" offers after a passed
// self-check, so that the way leads through the programme rather than back to the same check.
func (s *Service) NextAfter(ctx context.Context, userID int64, moduleID string) (NextStep, error) {
	mods, pr, err := s.Dashboard(ctx, userID)
	if err != nil {
		return NextStep{}, err
	}
	at := slices.IndexFunc(mods, func(p ModuleProgress) bool { return p.Module.ID == moduleID })
	if at < 0 {
		return NextStep{}, errs.E(errs.NotFound, "module not found")
	}
	if !mods[at].Complete {
		return NextStep{Module: &mods[at], Same: true}, nil
	}
	for i := 1; i < len(mods); i++ {
		if p := &mods[(at+i)%len(mods)]; !p.Complete {
			return NextStep{Module: p}, nil
		}
	}
	return NextStep{Programme: pr.Certificate}, nil
}
