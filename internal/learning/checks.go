package learning

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"saferspaces/internal/content"
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
	Paper       Paper               // the questions shown, in order
}

// Sheet is the self-check form of a learner's next attempt: the paper laid over the content and
// the answers of the draft, if there is one.
type Sheet struct {
	Module    *content.Module
	Questions []SheetQuestion
	Answers   map[string][]string // from the draft; nil without one
	DraftAt   time.Time           // when the draft was saved; zero without one
}

// Ticked reports whether the sheet's answers tick choiceID of questionID, for the form.
func (s *Sheet) Ticked(questionID, choiceID string) bool {
	for _, v := range s.Answers[questionID] {
		if v == choiceID {
			return true
		}
	}
	return false
}

// checkModule returns the module with id if it has a self-check, else errs.NotFound.
func (s *Service) checkModule(id string) (*content.Module, error) {
	m, err := s.module(id)
	if err != nil {
		return nil, err
	}
	if !m.HasCheck() {
		return nil, errs.E(errs.NotFound, "this module has no self-check")
	}
	return m, nil
}

// Sheet is the form of the learner's next attempt at the module's self-check: the same paper
// every time it is asked for until an attempt is graded, with the draft's answers ticked.
func (s *Service) Sheet(ctx context.Context, userID int64, moduleID string) (*Sheet, error) {
	m, err := s.checkModule(moduleID)
	if err != nil {
		return nil, err
	}
	key, err := s.paperKey(ctx)
	if err != nil {
		return nil, err
	}
	paper, _, err := s.paperFor(ctx, s.db.R, key, userID, m)
	if err != nil {
		return nil, err
	}
	sh := &Sheet{Module: m, Questions: paper.lay(m.Check)}
	var js string
	var at int64
	err = s.db.R.QueryRowContext(ctx, `SELECT answers, saved_at FROM check_drafts WHERE user_id = ? AND module_id = ?`,
		userID, moduleID).Scan(&js, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("read draft: %w", err)
	default:
		if err := json.Unmarshal([]byte(js), &sh.Answers); err != nil {
			return nil, fmt.Errorf("draft of %s: %w", moduleID, err)
		}
		sh.DraftAt = sqlite.Time(at)
	}
	return sh, nil
}

// SaveDraft keeps the answers given so far to the module's self-check, replacing an earlier
// draft, so that nothing ticked is lost when a submission is incomplete or the session expired.
func (s *Service) SaveDraft(ctx context.Context, userID int64, moduleID string, answers map[string][]string) error {
	m, err := s.checkModule(moduleID)
	if err != nil {
		return err
	}
	unlock := s.writers.lock(userID) // SubmitCheck reads whether there is a draft before it writes
	defer unlock()
	return s.saveDraft(ctx, s.db.W, userID, m, cleanAnswers(m.Check, answers))
}

func (s *Service) saveDraft(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, userID int64, m *content.Module, answers map[string][]string) error {
	js, err := json.Marshal(answers)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO check_drafts(user_id, module_id, answers, saved_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, module_id) DO UPDATE SET answers = excluded.answers, saved_at = excluded.saved_at`,
		userID, m.ID, string(js), s.now().Unix())
	if err != nil {
		return fmt.Errorf("save draft of %s: %w", m.ID, err)
	}
	return nil
}

// SubmitCheck grades answers on the learner's current paper, stores the attempt with its paper
// and, if passing completes the module (and the programme), issues the certificates in the same
// transaction. Attempts are unlimited; every one is kept.
//
// An attempt that leaves questions of its paper unanswered is not graded or counted: the answers
// are kept as the draft and the error is errs.Invalid with one field per open question (see
// Unanswered). An unknown module, or one without a self-check, is errs.NotFound.
func (s *Service) SubmitCheck(ctx context.Context, userID int64, moduleID string, answers map[string][]string) (Result, error) {
	m, err := s.checkModule(moduleID)
	if err != nil {
		return Result{}, err
	}
	answers = cleanAnswers(m.Check, answers)
	key, err := s.paperKey(ctx) // before the transaction: making the key writes on its own
	if err != nil {
		return Result{}, err
	}
	unlock := s.writers.lock(userID)
	defer unlock()
	// The paper and the records are read under the learner's lock, before the write transaction
	// (see userLocks): two submissions at once cannot both be graded on the same paper.
	paper, so, err := s.paperFor(ctx, s.db.R, key, userID, m)
	if err != nil {
		return Result{}, err
	}
	if missing := Unanswered(m.Check, paper, answers); missing != nil {
		// Not graded, not counted; the draft is committed so nothing ticked is lost.
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.saveDraft(ctx, tx, userID, m, answers) }); err != nil {
			return Result{}, fmt.Errorf("submit self-check %s: %w", moduleID, err)
		}
		return Result{}, missing
	}
	before, err := loadRecord(ctx, s.db.R, userID)
	if err != nil {
		return Result{}, err
	}
	var drafted bool
	if err := s.db.R.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM check_drafts WHERE user_id = ? AND module_id = ?)`,
		userID, moduleID).Scan(&drafted); err != nil {
		return Result{}, fmt.Errorf("read draft: %w", err)
	}
	// Everything but the writes is worked out before the shared transaction (see outcome).
	answers = onPaper(paper, answers)
	js, err := json.Marshal(answers)
	if err != nil {
		return Result{}, err
	}
	shown, err := json.Marshal(paper)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	res := Grade(m.Check, paper, answers)
	res.Module, res.At = m, now.UTC().Truncate(time.Second)
	o := s.outcomeOf(userID, before, before.clone().withAttempt(moduleID, res.Score, res.Passed, now.Unix()), m,
		[]Event{{Kind: CheckAttempted, UserID: userID, At: res.At, Module: m, Score: res.Score, Passed: res.Passed}})
	// One commit, shared with other learners' actions of the moment (sqlite.DB.GroupTx).
	err = s.db.GroupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `INSERT INTO check_attempts(user_id, module_id, score, passed, answers, shown, submitted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, userID, moduleID, res.Score, res.Passed, string(js), string(shown), now.Unix())
		if err != nil {
			return err
		}
		if res.AttemptID, err = r.LastInsertId(); err != nil {
			return err
		}
		o.events[0].AttemptID = res.AttemptID
		if drafted { // the answers are submitted now
			if _, err := tx.ExecContext(ctx, `DELETE FROM check_drafts WHERE user_id = ? AND module_id = ?`, userID, moduleID); err != nil {
				return err
			}
		}
		if res.Passed {
			if res.Issued, err = s.issue(ctx, tx, o, res.AttemptID, now); err != nil {
				return err
			}
		} else if err := s.writeOutcome(ctx, tx, o); err != nil {
			// A failed attempt completes nothing, but it changes the learner's summary (issue
			// writes it for passed ones).
			return err
		}
		return s.record(ctx, tx, o.events)
	})
	if err != nil {
		return Result{}, fmt.Errorf("submit self-check %s: %w", moduleID, err)
	}
	// The paper just stored is the last one now (check_stats' trigger: one more attempt, the
	// latest time).
	s.papers.put(memoKey{userID, m.ID}, so.attempts+1, max(so.lastAt, now.Unix()), paper)
	return res, nil
}

// Attempts is a learner's attempt history for a module, newest first, without the answers: the
// limit newest (ModuleProgress.Attempts counts them all).
func (s *Service) Attempts(ctx context.Context, userID int64, moduleID string, limit int) ([]Attempt, error) {
	var out []Attempt
	err := sqlite.Each(ctx, s.db.R, `SELECT id, module_id, score, passed, submitted_at FROM check_attempts
		WHERE user_id = ? AND module_id = ? ORDER BY submitted_at DESC, id DESC LIMIT ?`,
		[]any{userID, moduleID, limit}, func(scan func(...any) error) error {
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

// Attempt returns one of the learner's own attempts at a module with its answers and paper.
// Another learner's attempt, or one of another module, is errs.NotFound: the caller must not learn
// that it exists.
func (s *Service) Attempt(ctx context.Context, userID int64, moduleID string, id int64) (*Attempt, error) {
	m, err := s.checkModule(moduleID)
	if err != nil {
		return nil, err
	}
	a := &Attempt{}
	var at int64
	var js string
	var shown []byte
	err = s.db.R.QueryRowContext(ctx, `SELECT id, module_id, score, passed, submitted_at, answers, shown FROM check_attempts
		WHERE id = ? AND user_id = ? AND module_id = ?`, id, userID, moduleID).
		Scan(&a.ID, &a.ModuleID, &a.Score, &a.Passed, &at, &js, &shown)
	if err != nil {
		return nil, sqlite.NotFound(err, "attempt")
	}
	a.SubmittedAt = sqlite.Time(at)
	if err := json.Unmarshal([]byte(js), &a.Answers); err != nil {
		return nil, fmt.Errorf("attempt %d: answers: %w", id, err)
	}
	if a.Paper, err = storedPaper(m.Check, shown, id); err != nil {
		return nil, err
	}
	return a, nil
}

// Review grades a stored attempt again for its feedback page, on the paper it showed, in the
// order it showed. The feedback follows the current content (texts and explanations may have been
// improved since); score and pass stay as stored, because they are what the learner was told and
// what certificates were issued on.
func (s *Service) Review(a *Attempt) (Result, error) {
	m, err := s.checkModule(a.ModuleID)
	if err != nil {
		return Result{}, err
	}
	paper := a.Paper
	if paper == nil {
		paper = contentOrder(m.Check)
	}
	res := Grade(m.Check, paper, a.Answers)
	res.Module = m
	res.Score, res.Passed, res.AttemptID, res.At = a.Score, a.Passed, a.ID, a.SubmittedAt
	return res, nil
}
