package learning

import (
	"context"
	"database/sql"
	"fmt"

	"saferspaces/internal/content"
	"saferspaces/internal/sqlite"
)

// Archive folds a person's learning records into the anonymous totals per module
// (learning_archive) and deletes the records, in the transaction of their erasure or
// anonymisation. Their certificates stay, without a name, so that a printed one can still be
// verified by its code.
func Archive(ctx context.Context, tx *sql.Tx, userID int64) error {
	steps := []string{
		`INSERT INTO learning_archive(module_id, learners, lessons_completed)
			SELECT module_id, 1, count(*) FROM lesson_completions WHERE user_id = ?1 GROUP BY module_id
			ON CONFLICT(module_id) DO UPDATE SET learners = learners + 1, lessons_completed = lessons_completed + excluded.lessons_completed`,
		// A learner who only took the self-check counts as a learner of the module too.
		`INSERT INTO learning_archive(module_id, learners, attempts, passed)
			SELECT module_id, NOT EXISTS (SELECT 1 FROM lesson_completions l WHERE l.user_id = ?1 AND l.module_id = a.module_id),
				count(*), max(passed) FROM check_attempts a WHERE user_id = ?1 GROUP BY module_id
			ON CONFLICT(module_id) DO UPDATE SET learners = learners + excluded.learners,
				attempts = attempts + excluded.attempts, passed = passed + excluded.passed`,
		`INSERT INTO learning_archive(module_id, certificates)
			SELECT module_id, count(*) FROM certificates WHERE user_id = ?1 GROUP BY module_id
			ON CONFLICT(module_id) DO UPDATE SET certificates = certificates + excluded.certificates`,
		`UPDATE certificates SET attempt_id = NULL WHERE user_id = ?1`,
		`DELETE FROM check_attempts WHERE user_id = ?1`,
		`DELETE FROM check_drafts WHERE user_id = ?1`,
		`DELETE FROM lesson_completions WHERE user_id = ?1`,
		`DELETE FROM lesson_visits WHERE user_id = ?1`,
		// The summaries derived from the records go with them: percent, attempts and the time of
		// the last activity are the person's too.
		`DELETE FROM learner_module_progress WHERE user_id = ?1`,
		`DELETE FROM learner_progress WHERE user_id = ?1`,
	}
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return fmt.Errorf("archive learning records: %w", err)
		}
	}
	return nil
}

// ArchivedModule is what is left of former learners' progress in one module.
type ArchivedModule struct {
	ModuleID         string
	Module           *content.Module // nil when the module has left the content
	Learners         int
	LessonsCompleted int
	Attempts         int
	Passed           int
	Certificates     int
}

// Archived returns the anonymous totals of former learners, in content order.
func (s *Service) Archived(ctx context.Context) ([]ArchivedModule, error) {
	byID := map[string]ArchivedModule{}
	err := sqlite.Each(ctx, s.db.R, `SELECT module_id, learners, lessons_completed, attempts, passed, certificates
		FROM learning_archive`, nil, func(scan func(...any) error) error {
		var a ArchivedModule
		err := scan(&a.ModuleID, &a.Learners, &a.LessonsCompleted, &a.Attempts, &a.Passed, &a.Certificates)
		byID[a.ModuleID] = a
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("archived progress: %w", err)
	}
	var out []ArchivedModule
	for _, m := range s.cat.Modules {
		if a, ok := byID[m.ID]; ok {
			a.Module = m
			out = append(out, a)
			delete(byID, m.ID)
		}
	}
	for _, a := range byID {
		out = append(out, a)
	}
	return out, nil
}
