package learning

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// Attempt is one submitted self-check.
type Attempt struct {
	ID          int64
	ModuleID    string
	Score       int
	Passed      bool
	SubmittedAt time.Time
	Answers     map[string][]string // question id → ticked choice ids
}

// SubmitCheck grades answers against the module's self-check, stores the attempt and, if passing
// completes the module (and the programme), issues the certificates in the same transaction.
// Attempts are unlimited; every one is kept. An unknown module, or one without a self-check,
// is errs.NotFound.
func (s *Service) SubmitCheck(ctx context.Context, userID int64, moduleID string, answers map[string][]string) (Result, error) {
	m, err := s.module(moduleID)
	if err != nil {
		return Result{}, err
	}
	if !m.HasCheck() {
		return Result{}, errs.E(errs.NotFound, "this module has no self-check")
	}
	answers = cleanAnswers(m.Check, answers)
	res := Grade(m.Check, answers)
	js, err := json.Marshal(answers)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	res.At = now.UTC().Truncate(time.Second)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at)
			VALUES (?, ?, ?, ?, ?, ?)`, userID, moduleID, res.Score, res.Passed, string(js), now.Unix())
		if err != nil {
			return err
		}
		if res.AttemptID, err = r.LastInsertId(); err != nil {
			return err
		}
		// A failed attempt completes nothing, but issue also keeps the learner's summary.
		res.Issued, err = s.issue(ctx, tx, userID, res.AttemptID, now)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("submit self-check %s: %w", moduleID, err)
	}
	return res, nil
}

// Attempts is a learner's attempt history for a module, newest first, without the answers.
func (s *Service) Attempts(ctx context.Context, userID int64, moduleID string) ([]Attempt, error) {
	var out []Attempt
	err := sqlite.Each(ctx, s.db.R, `SELECT id, module_id, score, passed, submitted_at FROM check_attempts
		WHERE user_id = ? AND module_id = ? ORDER BY submitted_at DESC, id DESC`,
		[]any{userID, moduleID}, func(scan func(...any) error) error {
			var a Attempt
			var at int64
			if err := scan(&a.ID, &a.ModuleID, &a.Score, &a.Passed, &at); err != nil {
				return err
			}
			a.SubmittedAt = sqlite.Time(at)
			out = append(out, a)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	return out, nil
}

// Attempt returns one of the learner's own attempts at a module with its answers. Another
// learner's attempt, or one of another module, is errs.NotFound: the caller must not learn that
// it exists.
func (s *Service) Attempt(ctx context.Context, userID int64, moduleID string, id int64) (*Attempt, error) {
	a := &Attempt{}
	var at int64
	var js string
	err := s.db.R.QueryRowContext(ctx, `SELECT id, module_id, score, passed, submitted_at, answers FROM check_attempts
		WHERE id = ? AND user_id = ? AND module_id = ?`, id, userID, moduleID).
		Scan(&a.ID, &a.ModuleID, &a.Score, &a.Passed, &at, &js)
	if err != nil {
		return nil, sqlite.NotFound(err, "attempt")
	}
	a.SubmittedAt = sqlite.Time(at)
	if err := json.Unmarshal([]byte(js), &a.Answers); err != nil {
		return nil, fmt.Errorf("attempt %d: answers: %w", id, err)
	}
	return a, nil
}

// Review grades a stored attempt again for its feedback page. The feedback follows the current
// content (texts and explanations may have been improved since); score and pass stay as stored,
// because they are what the learner was told and what certificates were issued on.
func (s *Service) Review(a *Attempt) (Result, error) {
	m, err := s.module(a.ModuleID)
	if err != nil {
		return Result{}, err
	}
	if !m.HasCheck() {
		return Result{}, errs.E(errs.NotFound, "this module has no self-check")
	}
	res := Grade(m.Check, a.Answers)
	res.Score, res.Passed, res.AttemptID, res.At = a.Score, a.Passed, a.ID, a.SubmittedAt
	return res, nil
}
