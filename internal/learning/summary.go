package learning

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"saferspaces/internal/sqlite"
)

// Summary is one learner's progress in brief, by the progress rule: what a trainer's page sorts,
// pages and sums over thousands of learners without reading their records. Package learning keeps
// it in the transaction of every completion, attempt and lesson visit (table learner_progress).
type Summary struct {
	UserID       int64
	UnitsDone    int
	UnitsTotal   int
	Percent      int
	ModulesDone  int
	Complete     bool
	Attempts     int
	LastActivity time.Time // latest lesson visit, completion or attempt; zero if none
}

var fingerprints sync.Map // *content.Catalog → string

// fingerprint names the shape of the content that the progress rule counts: module ids, lesson
// ids and which modules have a self-check. A summary of another shape is out of date.
func (s *Service) fingerprint() string {
	if v, ok := fingerprints.Load(s.cat); ok {
		return v.(string)
	}
	var b strings.Builder
	for _, m := range s.cat.Modules {
		fmt.Fprintf(&b, "%s:%t:", m.ID, m.HasCheck())
		for _, l := range m.Lessons {
			b.WriteString(l.ID)
			b.WriteByte(',')
		}
		b.WriteByte(';')
	}
	sum := sha256.Sum256([]byte(b.String()))
	fp := hex.EncodeToString(sum[:8])
	fingerprints.Store(s.cat, fp)
	return fp
}

// summaryOf condenses computed progress.
func summaryOf(userID int64, rec *records, mods []ModuleProgress, pr Programme) Summary {
	sum := Summary{UserID: userID, UnitsDone: pr.UnitsDone, UnitsTotal: pr.UnitsTotal, Percent: pr.Percent,
		ModulesDone: pr.ModulesDone, Complete: pr.Complete, LastActivity: rec.lastActivity()}
	for _, m := range mods {
		sum.Attempts += m.Attempts
	}
	return sum
}

// writeSummary stores a learner's summary, and their figures in mods, inside tx. A module without
// a row is at 0 %.
func (s *Service) writeSummary(ctx context.Context, tx *sql.Tx, sum Summary, mods []ModuleProgress) error {
	if len(mods) > 0 {
		q := `INSERT INTO learner_module_progress(user_id, module_id, percent) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(mods)), ", ") +
			` ON CONFLICT (user_id, module_id) DO UPDATE SET percent = excluded.percent WHERE percent <> excluded.percent`
		args := make([]any, 0, 3*len(mods))
		for _, m := range mods {
			args = append(args, sum.UserID, m.Module.ID, m.Percent)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("write module progress: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO learner_progress(user_id, units_done, units_total, percent, modules_done,
			complete, attempts, last_activity_at, catalog) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET units_done = excluded.units_done, units_total = excluded.units_total,
			percent = excluded.percent, modules_done = excluded.modules_done, complete = excluded.complete,
			attempts = excluded.attempts, last_activity_at = excluded.last_activity_at, catalog = excluded.catalog`,
		sum.UserID, sum.UnitsDone, sum.UnitsTotal, sum.Percent, sum.ModulesDone, sum.Complete, sum.Attempts,
		sum.LastActivity.Unix(), s.fingerprint())
	if err != nil {
		return fmt.Errorf("write progress summary: %w", err)
	}
	return nil
}

// summarise recomputes one learner's summary inside tx from their records.
func (s *Service) summarise(ctx context.Context, tx *sql.Tx, userID int64) error {
	rec, err := loadRecord(ctx, tx, userID)
	if err != nil {
		return err
	}
	mods, pr := s.programme(rec)
	return s.writeSummary(ctx, tx, summaryOf(userID, rec, mods, pr), mods)
}

// refreshBatch is how many learners one refresh transaction recomputes.
const refreshBatch = 500

// RefreshSummaries recomputes the summaries that are missing or were computed against other
// content (after an upgrade, or when modules or lessons were added or removed), in batches of
// short transactions. serve calls it at start-up; it returns how many it recomputed.
func (s *Service) RefreshSummaries(ctx context.Context) (int, error) {
	var stale []int64
	err := sqlite.Each(ctx, s.db.R, `SELECT user_id FROM (SELECT user_id FROM lesson_completions
			UNION SELECT user_id FROM check_attempts UNION SELECT user_id FROM lesson_visits
			UNION SELECT user_id FROM learner_progress)
		WHERE user_id NOT IN (SELECT user_id FROM learner_progress WHERE catalog = ?)`, []any{s.fingerprint()},
		func(scan func(...any) error) error {
			var id int64
			err := scan(&id)
			stale = append(stale, id)
			return err
		})
	if err != nil {
		return 0, fmt.Errorf("find stale summaries: %w", err)
	}
	for start := 0; start < len(stale); start += refreshBatch {
		batch := stale[start:min(start+refreshBatch, len(stale))]
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			recs, err := loadRecords(ctx, tx, batch...)
			if err != nil {
				return err
			}
			for _, id := range batch {
				mods, pr := s.programme(recs[id])
				if err := s.writeSummary(ctx, tx, summaryOf(id, recs[id], mods, pr), mods); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return start, err
		}
	}
	return len(stale), nil
}

// Summaries returns the summaries of the given learners; a learner without any record has a
// zero summary (with UnitsTotal of the content).
func (s *Service) Summaries(ctx context.Context, userIDs []int64) (map[int64]Summary, error) {
	total := 0
	for _, m := range s.cat.Modules {
		total += ModuleUnits(m, func(string) bool { return false }, false).Total
	}
	out := make(map[int64]Summary, len(userIDs))
	for _, id := range userIDs {
		out[id] = Summary{UserID: id, UnitsTotal: total}
	}
	if len(userIDs) == 0 {
		return out, nil
	}
	where, arg := userSet("user_id", userIDs)
	err := sqlite.Each(ctx, s.db.R, `SELECT user_id, units_done, units_total, percent, modules_done, complete, attempts,
			last_activity_at FROM learner_progress WHERE `+where, []any{arg}, func(scan func(...any) error) error {
		var sum Summary
		var last int64
		if err := scan(&sum.UserID, &sum.UnitsDone, &sum.UnitsTotal, &sum.Percent, &sum.ModulesDone, &sum.Complete,
			&sum.Attempts, &last); err != nil {
			return err
		}
		sum.LastActivity = sqlite.Time(last)
		out[sum.UserID] = sum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read progress summaries: %w", err)
	}
	return out, nil
}

// RebuildSummaries recomputes every learner's summary, for an operator who changed records by hand
// (and for tests that write records straight into the tables).
func (s *Service) RebuildSummaries(ctx context.Context) (int, error) {
	if _, err := s.db.W.ExecContext(ctx, `UPDATE learner_progress SET catalog = ''`); err != nil {
		return 0, fmt.Errorf("rebuild summaries: %w", err)
	}
	return s.RefreshSummaries(ctx)
}
