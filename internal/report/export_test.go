package report

import (
	"context"
	"time"
)

// Flags is what the report says of one member: its percentage and flags.
type Flags struct {
	Percent                     int
	Inactive, Overdue, Complete bool
	Last                        time.Time
}

// BothWays reads every member of the cohort twice — in SQL (the page's way) and from the
// summaries with the rules of rows.go (the cycle-start way) — for a test that the two agree.
func (s *Service) BothWays(ctx context.Context, cohortID int64) (sqlWay, goWay map[int64]Flags, err error) {
	c, err := s.acc.CohortByID(ctx, cohortID)
	if err != nil {
		return nil, nil, err
	}
	now := s.now().UTC()
	sqlWay, goWay = map[int64]Flags{}, map[int64]Flags{}
	err = s.sqlRows(ctx, *c, Query{}.normal(nil), now, -1, 0, func(r row) error {
		sqlWay[r.m.ID] = Flags{r.sum.Percent, r.inactive, r.overdue, r.sum.Complete, r.last}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.rows(ctx, *c, false)
	for _, r := range rows {
		goWay[r.m.ID] = Flags{r.sum.Percent, r.inactive, r.overdue, r.sum.Complete, r.last}
	}
	return sqlWay, goWay, err
}

// SetExportBatch changes how many learners an export reads at once, for a test with few
// learners; it returns the old value.
func SetExportBatch(n int) int {
	old := exportBatch
	exportBatch = n
	return old
}
