package learning

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"saferspaces/internal/sqlite"
)

// Export is everything the learning area stores about one person, for "download my data"
// (GDPR Art. 15 and 20). It lists the raw records, including those whose module or lesson has
// since left the content: they are still the person's data.
type Export struct {
	LessonCompletions []ExportCompletion  `json:"lesson_completions"`
	LastVisits        []ExportVisit       `json:"last_visited_lessons"`
	CheckAttempts     []ExportAttempt     `json:"self_check_attempts"`
	CheckDrafts       []ExportDraft       `json:"self_check_drafts"`
	Certificates      []ExportCertificate `json:"certificates"`
	// Progress is the stored summary by the progress rule, as trainers see it.
	Progress ExportProgress `json:"progress"`
}

// ExportProgress is the person's progress in brief: the programme and each module.
type ExportProgress struct {
	Percent        int                    `json:"percent"`
	ModulesDone    int                    `json:"modules_done"`
	Complete       bool                   `json:"complete"`
	LastActivityAt time.Time              `json:"last_activity_at,omitzero"`
	Modules        []ExportModuleProgress `json:"modules"`
}

// ExportModuleProgress is the progress in one module.
type ExportModuleProgress struct {
	Module  string `json:"module"`
	Percent int    `json:"percent"`
}

// ExportDraft is a self-check being filled in: the answers kept but not yet graded.
type ExportDraft struct {
	Module  string              `json:"module"`
	Answers map[string][]string `json:"answers"`
	SavedAt time.Time           `json:"saved_at"`
}

// ExportCompletion is one lesson marked as done.
type ExportCompletion struct {
	Module      string    `json:"module"`
	Lesson      string    `json:"lesson"`
	CompletedAt time.Time `json:"completed_at"`
}

// ExportVisit is the lesson last opened in a module.
type ExportVisit struct {
	Module    string    `json:"module"`
	Lesson    string    `json:"lesson"`
	VisitedAt time.Time `json:"visited_at"`
}

// ExportAttempt is one self-check attempt with the answers given.
type ExportAttempt struct {
	Module      string              `json:"module"`
	Score       int                 `json:"score_percent"`
	Passed      bool                `json:"passed"`
	Answers     map[string][]string `json:"answers"`
	Shown       Paper               `json:"questions_shown,omitempty"` // questions and choices in the order shown; absent for attempts before papers
	SubmittedAt time.Time           `json:"submitted_at"`
}

// ExportCertificate is one certificate; Module "*" is the whole programme.
type ExportCertificate struct {
	Code     string    `json:"code"`
	Module   string    `json:"module"`
	IssuedAt time.Time `json:"issued_at"`
	URL      string    `json:"verification_path"`
}

// Export collects a person's learning records, oldest first.
func (s *Service) Export(ctx context.Context, userID int64) (*Export, error) {
	ex := &Export{
		LessonCompletions: []ExportCompletion{},
		LastVisits:        []ExportVisit{},
		CheckAttempts:     []ExportAttempt{},
		CheckDrafts:       []ExportDraft{},
		Certificates:      []ExportCertificate{},
		Progress:          ExportProgress{Modules: []ExportModuleProgress{}},
	}
	err := sqlite.Each(ctx, s.db.R, `SELECT module_id, lesson_id, completed_at FROM lesson_completions
		WHERE user_id = ? ORDER BY completed_at, module_id, lesson_id`, []any{userID}, func(scan func(...any) error) error {
		var c ExportCompletion
		var at int64
		err := scan(&c.Module, &c.Lesson, &at)
		c.CompletedAt = sqlite.Time(at)
		ex.LessonCompletions = append(ex.LessonCompletions, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("export completions: %w", err)
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT module_id, lesson_id, visited_at FROM lesson_visits
		WHERE user_id = ? ORDER BY visited_at, module_id`, []any{userID}, func(scan func(...any) error) error {
		var v ExportVisit
		var at int64
		err := scan(&v.Module, &v.Lesson, &at)
		v.VisitedAt = sqlite.Time(at)
		ex.LastVisits = append(ex.LastVisits, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("export visits: %w", err)
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT module_id, score, passed, answers, shown, submitted_at FROM check_attempts
		WHERE user_id = ? ORDER BY submitted_at, id`, []any{userID}, func(scan func(...any) error) error {
		var a ExportAttempt
		var at int64
		var js string
		var shown []byte
		if err := scan(&a.Module, &a.Score, &a.Passed, &js, &shown, &at); err != nil {
			return err
		}
		a.SubmittedAt = sqlite.Time(at)
		if err := json.Unmarshal([]byte(js), &a.Answers); err != nil {
			return err
		}
		if len(shown) > 0 {
			if err := json.Unmarshal(shown, &a.Shown); err != nil {
				return err
			}
		}
		ex.CheckAttempts = append(ex.CheckAttempts, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export attempts: %w", err)
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT module_id, answers, saved_at FROM check_drafts WHERE user_id = ? ORDER BY module_id`,
		[]any{userID}, func(scan func(...any) error) error {
			var d ExportDraft
			var at int64
			var js string
			if err := scan(&d.Module, &js, &at); err != nil {
				return err
			}
			d.SavedAt = sqlite.Time(at)
			if err := json.Unmarshal([]byte(js), &d.Answers); err != nil {
				return err
			}
			ex.CheckDrafts = append(ex.CheckDrafts, d)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("export drafts: %w", err)
	}
	certs, err := certificatesOf(ctx, s.db.R, userID)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		ex.Certificates = append(ex.Certificates, ExportCertificate{Code: c.Code, Module: c.ModuleID, IssuedAt: c.IssuedAt, URL: c.Path()})
	}
	if err := s.exportProgress(ctx, userID, &ex.Progress); err != nil {
		return nil, err
	}
	return ex, nil
}

// exportProgress reads the stored summary; a person without learning records has none (zeros).
func (s *Service) exportProgress(ctx context.Context, userID int64, p *ExportProgress) error {
	sums, err := s.Summaries(ctx, []int64{userID})
	if err != nil {
		return err
	}
	sum := sums[userID]
	p.Percent, p.ModulesDone, p.Complete, p.LastActivityAt = sum.Percent, sum.ModulesDone, sum.Complete, sum.LastActivity
	err = sqlite.Each(ctx, s.db.R, `SELECT module_id, percent FROM learner_module_progress WHERE user_id = ? ORDER BY module_id`,
		[]any{userID}, func(scan func(...any) error) error {
			var m ExportModuleProgress
			err := scan(&m.Module, &m.Percent)
			p.Modules = append(p.Modules, m)
			return err
		})
	if err != nil {
		return fmt.Errorf("export module progress: %w", err)
	}
	return nil
}
