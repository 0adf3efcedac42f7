package learning

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
)

// ModuleProgress is where one learner stands in one module. Counts cover only lessons that exist
// in the content; progress on lessons that were removed is kept in the database but not counted.
//
// Units: every lesson is one unit and the passed self-check is one more, so a module of four
// lessons is 20 % done after one lesson and 100 % only once the check is passed.
type ModuleProgress struct {
	Module       *content.Module
	Done         map[string]bool // lesson id → completed
	LessonsDone  int
	LessonsTotal int
	HasCheck     bool
	Attempts     int
	BestScore    int // 0 without attempts
	Passed       bool
	UnitsDone    int
	UnitsTotal   int
	Percent      int // UnitsDone of UnitsTotal, rounded down, so 100 means really complete
	MinutesLeft  int // Module.Minutes × remaining units / total units, rounded up
	Complete     bool
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

// ModulePath is the URL path of a module page; LessonPath and CheckPath those of its parts.
func ModulePath(moduleID string) string { return "/modules/" + moduleID }

// LessonPath is the URL path of a lesson.
func LessonPath(moduleID, lessonID string) string {
	return "/modules/" + moduleID + "/lessons/" + lessonID
}

// CheckPath is the URL path of a module's self-check.
func CheckPath(moduleID string) string { return "/modules/" + moduleID + "/check" }

// progress lays a learner's records over one module of the content.
func progress(rec *records, m *content.Module) ModuleProgress {
	p := ModuleProgress{Module: m, Done: map[string]bool{}, LessonsTotal: len(m.Lessons), HasCheck: hasCheck(m)}
	done := rec.done[m.ID]
	for _, l := range m.Lessons {
		if at, ok := done[l.ID]; ok {
			p.Done[l.ID] = true
			p.LessonsDone++
			p.LastActivity = later(p.LastActivity, at)
		}
	}
	st := rec.checks[m.ID]
	p.Attempts, p.BestScore, p.Passed = st.attempts, st.best, st.passed
	p.LastActivity = later(p.LastActivity, st.last)
	v, visited := rec.visits[m.ID]
	if visited {
		p.LastActivity = later(p.LastActivity, v.at)
	}

	p.UnitsTotal, p.UnitsDone = p.LessonsTotal, p.LessonsDone
	if p.HasCheck {
		p.UnitsTotal++
		if p.Passed {
			p.UnitsDone++
		}
	}
	p.Complete = p.UnitsDone == p.UnitsTotal
	if p.UnitsTotal > 0 {
		p.Percent = p.UnitsDone * 100 / p.UnitsTotal
		left := p.UnitsTotal - p.UnitsDone
		p.MinutesLeft = (m.Minutes*left + p.UnitsTotal - 1) / p.UnitsTotal
	}
	p.Certificate = rec.certs[m.ID]

	p.Continue = ModulePath(m.ID)
	if l := nextLesson(m, p.Done, v.lesson); l != nil {
		p.ContinueLesson = l
		p.Continue = LessonPath(m.ID, l.ID)
	} else if p.HasCheck && !p.Passed {
		p.Continue = CheckPath(m.ID)
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
	for i, m := range s.cat.Modules {
		p := progress(rec, m)
		mods[i] = p
		pr.UnitsDone += p.UnitsDone
		pr.UnitsTotal += p.UnitsTotal
		pr.MinutesLeft += p.MinutesLeft
		if p.Complete {
			pr.ModulesDone++
		}
	}
	for i := range mods {
		p := &mods[i]
		if p.Complete {
			continue
		}
		if pr.Resume == nil || p.LastActivity.After(pr.Resume.LastActivity) {
			pr.Resume = p
		}
	}
	if pr.UnitsTotal > 0 {
		pr.Percent = pr.UnitsDone * 100 / pr.UnitsTotal
	}
	pr.Complete = pr.ModulesTotal > 0 && pr.ModulesDone == pr.ModulesTotal
	pr.Certificate = rec.certs[ProgrammeID]
	return mods, pr
}

// Dashboard is a learner's progress in every module, in content order, and in the programme.
func (s *Service) Dashboard(ctx context.Context, userID int64) ([]ModuleProgress, Programme, error) {
	rec, err := loadRecords(ctx, s.db.R, userID)
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
	rec, err := loadRecords(ctx, s.db.R, userID)
	if err != nil {
		return ModuleProgress{}, err
	}
	return progress(rec, m), nil
}

// CompleteLesson marks a lesson done. It is idempotent: a double click or a second tab finds the
// row already there and changes nothing. If the lesson completes its module (and with it the
// programme), the certificates are issued in the same transaction and returned; nil otherwise.
// An unknown module or lesson is errs.NotFound.
func (s *Service) CompleteLesson(ctx context.Context, userID int64, moduleID, lessonID string) ([]Certificate, error) {
	if s.cat.Lesson(moduleID, lessonID) == nil {
		return nil, errs.E(errs.NotFound, "lesson not found")
	}
	now := s.now()
	var issued []Certificate
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO lesson_completions(user_id, module_id, lesson_id, completed_at)
			VALUES (?, ?, ?, ?)`, userID, moduleID, lessonID, now.Unix()); err != nil {
			return err
		}
		var err error
		issued, err = s.issue(ctx, tx, userID, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("complete lesson %s/%s: %w", moduleID, lessonID, err)
	}
	return issued, nil
}

// VisitLesson remembers the lesson a learner opened last in its module, for "continue where you
// left off". It is a single upsert outside a transaction because it is called on every lesson
// view and nothing else depends on it; reading the same lesson again within a minute changes no
// row, so reloads and scrolling back and forth cost no disk write.
func (s *Service) VisitLesson(ctx context.Context, userID int64, moduleID, lessonID string) error {
	if s.cat.Lesson(moduleID, lessonID) == nil {
		return errs.E(errs.NotFound, "lesson not found")
	}
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO lesson_visits(user_id, module_id, lesson_id, visited_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, module_id) DO UPDATE SET lesson_id = excluded.lesson_id, visited_at = excluded.visited_at
		WHERE lesson_visits.lesson_id <> excluded.lesson_id OR excluded.visited_at - lesson_visits.visited_at >= 60`,
		userID, moduleID, lessonID, s.now().Unix())
	if err != nil {
		return fmt.Errorf("record visit: %w", err)
	}
	return nil
}
