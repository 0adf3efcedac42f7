package learning

import (
	"context"
	"fmt"
	"time"

	"saferspaces/internal/sqlite"
)

// records is everything stored about one learner, as read from the database. It knows nothing
// about the content; progress() lays it over the catalog, which is where ids that no longer
// exist drop out.
type records struct {
	done   map[string]map[string]time.Time // module → lesson → completed at
	visits map[string]visit                // module → last opened lesson
	checks map[string]checkStats           // module → self-check attempts
	certs  map[string]*Certificate         // module (or ProgrammeID) → certificate
}

type visit struct {
	lesson string
	at     time.Time
}

type checkStats struct {
	attempts int
	best     int
	passed   bool
	last     time.Time
}

// loadRecords reads a learner's records: four indexed queries, whatever the number of modules.
func loadRecords(ctx context.Context, q querier, userID int64) (*records, error) {
	rec := &records{
		done:   map[string]map[string]time.Time{},
		visits: map[string]visit{},
		checks: map[string]checkStats{},
		certs:  map[string]*Certificate{},
	}
	err := sqlite.Each(ctx, q, `SELECT module_id, lesson_id, completed_at FROM lesson_completions WHERE user_id = ?`,
		[]any{userID}, func(scan func(...any) error) error {
			var m, l string
			var at int64
			if err := scan(&m, &l, &at); err != nil {
				return err
			}
			if rec.done[m] == nil {
				rec.done[m] = map[string]time.Time{}
			}
			rec.done[m][l] = sqlite.Time(at)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read completions: %w", err)
	}
	err = sqlite.Each(ctx, q, `SELECT module_id, lesson_id, visited_at FROM lesson_visits WHERE user_id = ?`,
		[]any{userID}, func(scan func(...any) error) error {
			var m, l string
			var at int64
			if err := scan(&m, &l, &at); err != nil {
				return err
			}
			rec.visits[m] = visit{lesson: l, at: sqlite.Time(at)}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read visits: %w", err)
	}
	err = sqlite.Each(ctx, q, `SELECT module_id, count(*), max(score), max(passed), max(submitted_at)
		FROM check_attempts WHERE user_id = ? GROUP BY module_id`,
		[]any{userID}, func(scan func(...any) error) error {
			var m string
			var st checkStats
			var at int64
			if err := scan(&m, &st.attempts, &st.best, &st.passed, &at); err != nil {
				return err
			}
			st.last = sqlite.Time(at)
			rec.checks[m] = st
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	certs, err := certificatesOf(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	for i := range certs {
		rec.certs[certs[i].ModuleID] = &certs[i]
	}
	return rec, nil
}
