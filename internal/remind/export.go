package remind

import (
	"context"
	"fmt"
	"time"

	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// Export is one reminder the person received, for their data export. Cohort is empty when the
// cohort has since been deleted.
type Export struct {
	Cohort string    `json:"cohort,omitempty"`
	Reason string    `json:"reason"` // manual (a trainer's button), due (due date near) or inactive
	SentAt time.Time `json:"sent_at"`
}

// SentTo lists the reminders sent to the user that are still kept (keepFor), oldest first.
func (s *Service) SentTo(ctx context.Context, userID int64) ([]Export, error) {
	type row struct {
		cohort int64
		e      Export
	}
	var rows []row
	err := sqlite.Each(ctx, s.db.R, `SELECT coalesce(cohort_id, 0), kind, sent_at FROM reminders WHERE user_id = ? ORDER BY sent_at, id`,
		[]any{userID}, func(scan func(...any) error) error {
			var r row
			var at int64
			err := scan(&r.cohort, &r.e.Reason, &at)
			r.e.SentAt = sqlite.Time(at)
			rows = append(rows, r)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("export reminders: %w", err)
	}
	// Cohorts belong to package account; a person gets few reminders from few cohorts.
	names := map[int64]string{}
	out := make([]Export, 0, len(rows))
	for _, r := range rows {
		name, ok := names[r.cohort]
		if !ok && r.cohort != 0 {
			c, err := s.acc.CohortByID(ctx, r.cohort)
			switch {
			case err == nil:
				name = c.Name
			case !errs.Is(err, errs.NotFound): // not found: deleted between the two reads
				return nil, fmt.Errorf("export reminders: %w", err)
			}
			names[r.cohort] = name
		}
		r.e.Cohort = name
		out = append(out, r.e)
	}
	return out, nil
}
