package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
)

// ErrNotALeader refuses to let a learner (or nobody) lead a cohort.
var ErrNotALeader = errs.E(errs.Invalid, "only trainers and administrators can lead a cohort")

// CohortSummary is a cohort as the admin's cohort list shows it: with the people who lead it.
type CohortSummary struct {
	Cohort
	Leaders []Person
}

// Person names a user in lists.
type Person struct {
	ID    int64
	Name  string
	Email string
}

// CohortOverview lists every cohort by name with the trainers who lead it.
func (s *Service) CohortOverview(ctx context.Context) ([]CohortSummary, error) {
	cohorts, err := s.Cohorts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CohortSummary, len(cohorts))
	index := map[int64]int{}
	for i, c := range cohorts {
		out[i].Cohort = c
		index[c.ID] = i
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT t.cohort_id, u.id, u.name, u.email FROM cohort_trainers t
		JOIN users u ON u.id = t.user_id ORDER BY u.name, u.id`)
	if err != nil {
		return nil, fmt.Errorf("list trainers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cohort int64
		var p Person
		if err := rows.Scan(&cohort, &p.ID, &p.Name, &p.Email); err != nil {
			return nil, fmt.Errorf("list trainers: %w", err)
		}
		if i, ok := index[cohort]; ok {
			out[i].Leaders = append(out[i].Leaders, p)
		}
	}
	return out, rows.Err()
}

// Leaders lists the users who may lead a cohort (approved trainers and admins), for the select on
// the cohort page.
func (s *Service) Leaders(ctx context.Context) ([]Person, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, name, email FROM users WHERE role IN (?, ?) AND status = ?
		ORDER BY name, id`, RoleTrainer, RoleAdmin, StatusApproved)
	if err != nil {
		return nil, fmt.Errorf("list leaders: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		var p Person
		if err := rows.Scan(&p.ID, &p.Name, &p.Email); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AddCohortTrainer lets a trainer or admin lead a cohort; a learner cannot.
func (s *Service) AddCohortTrainer(ctx context.Context, act audit.Actor, cohortID, userID int64) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		name, err := cohortName(ctx, tx, cohortID)
		if errors.Is(err, ErrNoSuchCohort) {
			return errs.Wrap(errs.NotFound, err, "cohort not found")
		} else if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, userID)
		if errs.Is(err, errs.NotFound) {
			return ErrNotALeader
		} else if err != nil {
			return err
		}
		if u.Role != RoleTrainer && u.Role != RoleAdmin || u.Status == StatusErased {
			return ErrNotALeader
		}
		if err := s.addTrainer(ctx, tx, cohortID, u.ID); err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "cohort.trainer_added", u.ID, u.Email, "cohort "+name)
	})
	if err != nil {
		return fmt.Errorf("add trainer to cohort %d: %w", cohortID, err)
	}
	return nil
}
