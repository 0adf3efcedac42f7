package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"saferspaces/internal/sqlite"
)

// ExportSecondFactor says whether a second factor is set up and when it was used, never its
// secret; of the recovery codes only how many there are and how many were used.
type ExportSecondFactor struct {
	SetUp       bool      `json:"set_up"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"` // absent while the enrolment waits for its first code
	// LastCodeUsedAt is the start of the newest 30-second step whose code was accepted.
	LastCodeUsedAt    time.Time `json:"last_code_used_at,omitzero"`
	RecoveryCodes     int       `json:"recovery_codes"`
	RecoveryCodesUsed int       `json:"recovery_codes_used"`
}

// ExportIdentity is an account at an identity provider linked for single sign-on.
type ExportIdentity struct {
	Issuer     string    `json:"issuer"`
	Subject    string    `json:"subject"`
	LinkedAt   time.Time `json:"linked_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// ExportMembership is one cohort the person belongs to, with the day they joined it.
type ExportMembership struct {
	Cohort   string    `json:"cohort"`
	JoinedAt time.Time `json:"joined_at"`
}

// ExportLed is one cohort the person leads as a trainer.
type ExportLed struct {
	Cohort string `json:"cohort"`
}

// exportSections adds the second factor, linked identities and cohorts to e.
func (s *Service) exportSections(ctx context.Context, userID int64, e *Export) error {
	var created, last int64
	var confirmed sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT created_at, confirmed_at, last_step FROM second_factors WHERE user_id = ?`,
		userID).Scan(&created, &confirmed, &last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("export second factor: %w", err)
	default:
		e.SecondFactor = ExportSecondFactor{SetUp: confirmed.Valid, CreatedAt: sqlite.Time(created),
			ConfirmedAt: sqlite.Time(confirmed.Int64), LastCodeUsedAt: sqlite.Time(last * totpPeriod)}
	}
	if err := s.db.R.QueryRowContext(ctx, `SELECT count(*), count(used_at) FROM recovery_codes WHERE user_id = ?`, userID).
		Scan(&e.SecondFactor.RecoveryCodes, &e.SecondFactor.RecoveryCodesUsed); err != nil {
		return fmt.Errorf("export recovery codes: %w", err)
	}
	e.LinkedIdentities = []ExportIdentity{}
	err = sqlite.Each(ctx, s.db.R, `SELECT issuer, subject, linked_at, coalesce(last_used_at, 0) FROM user_identities
		WHERE user_id = ? ORDER BY linked_at, issuer`, []any{userID}, func(scan func(...any) error) error {
		var id ExportIdentity
		var linked, used int64
		err := scan(&id.Issuer, &id.Subject, &linked, &used)
		id.LinkedAt, id.LastUsedAt = sqlite.Time(linked), sqlite.Time(used)
		e.LinkedIdentities = append(e.LinkedIdentities, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("export identities: %w", err)
	}
	e.CohortMemberships = []ExportMembership{}
	err = sqlite.Each(ctx, s.db.R, `SELECT c.name, m.joined_at FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id
		WHERE m.user_id = ? ORDER BY m.joined_at, c.name`, []any{userID}, func(scan func(...any) error) error {
		var m ExportMembership
		var at int64
		err := scan(&m.Cohort, &at)
		m.JoinedAt = sqlite.Time(at)
		e.CohortMemberships = append(e.CohortMemberships, m)
		return err
	})
	if err != nil {
		return fmt.Errorf("export memberships: %w", err)
	}
	e.CohortsLed = []ExportLed{}
	err = sqlite.Each(ctx, s.db.R, `SELECT c.name FROM cohort_trainers t JOIN cohorts c ON c.id = t.cohort_id
		WHERE t.user_id = ? ORDER BY c.name`, []any{userID}, func(scan func(...any) error) error {
		var l ExportLed
		err := scan(&l.Cohort)
		e.CohortsLed = append(e.CohortsLed, l)
		return err
	})
	if err != nil {
		return fmt.Errorf("export cohorts led: %w", err)
	}
	return nil
}
