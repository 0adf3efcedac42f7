package xapi

import (
	"context"
	"database/sql"
	"fmt"

	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/sqlite"
)

// backfill turns the progress stored before statements existed into statements, once (prepare
// runs it before the first statement is stored and notes that it did). It replays the lesson
// completions and self-check attempts in time order through package learning's progress rule, as
// the earlier exports did and with the same ids; what cannot be known any more is taken as it is
// now: the learner's language and the content's titles. Records of lessons or modules that have
// left the content are skipped.
//
// It reads the tables of packages learning and account in one query: the one documented exception
// to "one owner per table" (docs/architecture.md), because only one statement gives a consistent
// snapshot, and it runs once.
func (s *Service) backfill(ctx context.Context, tx *sql.Tx, f *fixed) (int, error) {
	type event struct {
		at, kind, user, attempt int64
		module, lesson, lang    string
		score                   int
		passed                  bool
	}
	var events []event
	err := sqlite.Each(ctx, tx, `SELECT e.at, e.kind, e.user_id, e.module_id, e.lesson_id, e.attempt, e.score, e.passed, u.lang
		FROM (
			SELECT completed_at AS at, 0 AS kind, user_id, module_id, lesson_id, 0 AS attempt, 0 AS score, 0 AS passed
				FROM lesson_completions
			UNION ALL
			SELECT submitted_at, 1, user_id, module_id, '', id, score, passed FROM check_attempts
		) e JOIN users u ON u.id = e.user_id
		ORDER BY e.at, e.user_id, e.kind, e.module_id, e.lesson_id, e.attempt`, nil, func(scan func(...any) error) error {
		var ev event
		err := scan(&ev.at, &ev.kind, &ev.user, &ev.module, &ev.lesson, &ev.attempt, &ev.score, &ev.passed, &ev.lang)
		events = append(events, ev)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read earlier progress: %w", err)
	}

	type moduleState struct {
		lessons  map[string]bool
		passed   bool
		complete bool
	}
	state := map[int64]map[string]*moduleState{}
	modulesDone := map[int64]int{}
	b := &builder{f: f}
	n := 0
	emit := func(ev learning.Event, lang string) error {
		st := b.statement(ev, lang)
		if st == nil {
			return nil
		}
		n++
		return s.store(ctx, tx, st, ev.UserID, "")
	}
	for _, e := range events {
		m := s.cat.Module(e.module)
		if m == nil {
			continue
		}
		if state[e.user] == nil {
			state[e.user] = map[string]*moduleState{}
		}
		ms := state[e.user][m.ID]
		if ms == nil {
			ms = &moduleState{lessons: map[string]bool{}}
			state[e.user][m.ID] = ms
		}
		lang := i18n.Tag(i18n.OrDefault(e.lang))
		at := sqlite.Time(e.at)
		advanced := false
		if e.kind == 0 {
			l := m.Lesson(e.lesson)
			if l == nil {
				continue
			}
			if err := emit(learning.Event{Kind: learning.LessonCompleted, UserID: e.user, At: at, Module: m, Lesson: l}, lang); err != nil {
				return n, err
			}
			advanced = !ms.lessons[l.ID]
			ms.lessons[l.ID] = true
		} else {
			if !m.HasCheck() {
				continue
			}
			if err := emit(learning.Event{Kind: learning.CheckAttempted, UserID: e.user, At: at, Module: m,
				AttemptID: e.attempt, Score: e.score, Passed: e.passed}, lang); err != nil {
				return n, err
			}
			advanced = e.passed && !ms.passed
			ms.passed = ms.passed || e.passed
		}
		if !advanced || ms.complete {
			continue
		}
		u := learning.ModuleUnits(m, func(id string) bool { return ms.lessons[id] }, ms.passed)
		if !u.Complete() {
			if err := emit(learning.Event{Kind: learning.ModuleProgressed, UserID: e.user, At: at, Module: m, Percent: u.Percent()}, lang); err != nil {
				return n, err
			}
			continue
		}
		ms.complete = true
		if err := emit(learning.Event{Kind: learning.ModuleCompleted, UserID: e.user, At: at, Module: m, Percent: 100}, lang); err != nil {
			return n, err
		}
		modulesDone[e.user]++
		if modulesDone[e.user] == len(s.cat.Modules) {
			if err := emit(learning.Event{Kind: learning.ProgrammeCompleted, UserID: e.user, At: at}, lang); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
