package account

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// approveByDomain approves a fresh applicant whose e-mail domain an admin listed for a cohort: they
// join it and get their activation link at once, instead of the "received" mail.
func (s *Service) approveByDomain(ctx context.Context, tx *sql.Tx, userID, cohortID int64, cohort, ip string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ?, decided_at = ? WHERE id = ?`, StatusApproved, now.Unix(), userID); err != nil {
		return err
	}
	if err := s.joinCohort(ctx, tx, userID, cohortID); err != nil {
		return err
	}
	u, err := userByID(ctx, tx, userID)
	if err != nil {
		return err
	}
	if err := s.sendActivation(ctx, tx, u, true); err != nil { // caused by the public form
		return err
	}
	return audit.Record(ctx, tx, audit.Event{At: now, ActorID: userID, Actor: u.Email, Action: "registration.auto_approved",
		TargetID: userID, Target: u.Email, Detail: "e-mail domain of cohort " + cohort, IP: ip})
}

// BulkApprove approves every listed applicant (into the cohort, if cohortID is not 0) in one
// transaction: all of them or, if one cannot be approved, none.
func (s *Service) BulkApprove(ctx context.Context, act audit.Actor, userIDs []int64, cohortID int64) error {
	if len(userIDs) == 0 {
		return errs.E(errs.Invalid, "no registration selected")
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		detail := "bulk"
		if cohortID != 0 {
			name, err := joinableCohort(ctx, tx, cohortID)
			if err != nil {
				return err
			}
			detail += "; cohort " + name
		}
		for _, id := range userIDs {
			if err := s.approveIn(ctx, tx, act, id, cohortID, detail, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("approve %d registrations: %w", len(userIDs), err)
	}
	return nil
}

// approveIn approves one applicant inside tx.
func (s *Service) approveIn(ctx context.Context, tx *sql.Tx, act audit.Actor, userID, cohortID int64, detail string, now time.Time) error {
	u, err := decide(ctx, tx, userID, StatusPending, StatusRejected)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ?, decided_at = ?, decided_by = NULLIF(?, 0), reject_reason = ''
		WHERE id = ?`, StatusApproved, now.Unix(), act.ID, u.ID); err != nil {
		return err
	}
	if cohortID != 0 {
		if err := s.joinCohort(ctx, tx, u.ID, cohortID); err != nil {
			return err
		}
	}
	if err := s.sendActivation(ctx, tx, u, false); err != nil {
		return err
	}
	return audit.Log(ctx, tx, now, act, "registration.approved", u.ID, u.Email, detail)
}

// TrainerApplicant is a pending registration a trainer may decide: it carries the join code of a
// cohort they lead whose admin allowed its trainers to approve.
type TrainerApplicant struct {
	ID           int64
	Name         string
	Email        string
	Organisation string
	Position     string
	CreatedAt    time.Time
	CohortID     int64
	CohortName   string
}

const trainerApplicants = `SELECT u.id, u.name, u.email, u.organisation, u.position, u.created_at, c.id, c.name
	FROM users u JOIN cohorts c ON c.code = u.requested_cohort AND u.requested_cohort <> ''
	JOIN cohort_trainers t ON t.cohort_id = c.id AND t.user_id = ?
	WHERE u.status = ? AND c.trainers_approve = 1 AND c.archived_at IS NULL`

// ApplicantsForTrainer lists, oldest first, the applicants the trainer may approve.
func (s *Service) ApplicantsForTrainer(ctx context.Context, trainerID int64) ([]TrainerApplicant, error) {
	var out []TrainerApplicant
	err := sqlite.Each(ctx, s.db.R, trainerApplicants+` ORDER BY u.created_at, u.id`, []any{trainerID, StatusPending},
		func(scan func(...any) error) error {
			var a TrainerApplicant
			var at int64
			if err := scan(&a.ID, &a.Name, &a.Email, &a.Organisation, &a.Position, &at, &a.CohortID, &a.CohortName); err != nil {
				return err
			}
			a.CreatedAt = sqlite.Time(at)
			out = append(out, a)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("applicants for trainer %d: %w", trainerID, err)
	}
	return out, nil
}

// TrainerApprove approves an applicant into the cohort whose join code they gave, on behalf of a
// trainer of that cohort whose admin allowed it. Anyone else is errs.NotFound.
func (s *Service) TrainerApprove(ctx context.Context, act audit.Actor, userID int64) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var a TrainerApplicant
		var at int64
		err := tx.QueryRowContext(ctx, trainerApplicants+` AND u.id = ?`, act.ID, StatusPending, userID).
			Scan(&a.ID, &a.Name, &a.Email, &a.Organisation, &a.Position, &at, &a.CohortID, &a.CohortName)
		if err != nil {
			return sqlite.NotFound(err, "registration")
		}
		return s.approveIn(ctx, tx, act, a.ID, a.CohortID, "by trainer; cohort "+a.CohortName, now)
	})
	if err != nil {
		return fmt.Errorf("trainer approves user %d: %w", userID, err)
	}
	return nil
}

// SetReminders switches the user's reminder e-mails off (off true) or on again.
func (s *Service) SetReminders(ctx context.Context, userID int64, off bool) error {
	if _, err := s.db.W.ExecContext(ctx, `UPDATE users SET reminders_off = ? WHERE id = ?`, off, userID); err != nil {
		return fmt.Errorf("set reminders: %w", err)
	}
	return nil
}
