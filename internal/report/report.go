// Package report is what trainers see of the cohorts they lead: which cohorts those are, a
// learner × module matrix of progress, the module completions over time and the same matrix as a
// CSV file for spreadsheets. It owns no table: the cohorts and their members come from package
// account, the progress from package learning and its one rule, so a trainer and a learner see
// one number.
package report

import (
	"context"
	"fmt"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/content"
	"saferspaces/internal/learning"
)

// InactiveAfter is how long a learner may go without any activity (a lesson opened or completed, a
// self-check submitted, a sign-in) before the matrix flags them. Two weeks lets a learner skip one
// weekly session without being flagged, and flags them before a second one is missed.
const InactiveAfter = 14 * 24 * time.Hour

// Service builds the reports.
type Service struct {
	acc   *account.Service
	learn *learning.Service
	cat   *content.Catalog
	now   func() time.Time
	loc   *time.Location // the operator's zone: the days of the timeline
}

// New builds the service; loc is the zone whose days the timeline counts in.
func New(acc *account.Service, learn *learning.Service, now func() time.Time, loc *time.Location) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{acc: acc, learn: learn, cat: learn.Catalog(), now: now, loc: loc}
}

// Summary is one cohort in a trainer's list.
type Summary struct {
	ID         int64
	Name       string
	Members    int
	AvgPercent int // mean of the members' programme percentages, rounded down; 0 without members
	Inactive   int // members flagged inactive
	Completed  int // members who completed every module
}

// Report is the trainer's view of one cohort.
type Report struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	At         time.Time // when the report was made; "inactive" is measured from here
	Modules    []*content.Module
	Learners   []Learner // by name
	AvgPercent int
	Inactive   int
	Completed  int
	Timeline   Timeline
}

// Learner is one row of the matrix.
type Learner struct {
	ID           int64
	Name         string
	Email        string
	Organisation string
	Disabled     bool // switched off by an admin: listed for the record, never flagged inactive
	JoinedAt     time.Time
	Cells        []Cell // one per Report.Modules, same order
	Percent      int    // units done over all modules
	ModulesDone  int
	LastActivity time.Time // zero: never active
	Inactive     bool
}

// Cell is one learner in one module.
type Cell struct {
	Percent     int // units done of units total, rounded down, so 100 means complete
	HasCheck    bool
	Attempts    int
	Scores      []int // every attempt's score, oldest first
	BestScore   int   // 0 without attempts; see Attempts
	Passed      bool
	Complete    bool
	CompletedAt time.Time // when the last unit was done; zero unless Complete
}

// Led lists the cohorts the viewer leads, by name; an admin gets every cohort.
func (s *Service) Led(ctx context.Context, viewerID int64, viewerRole account.Role) ([]Summary, error) {
	cohorts, err := s.acc.CohortsLedBy(ctx, viewerID, viewerRole)
	if err != nil {
		return nil, err
	}
	reports, err := s.build(ctx, cohorts)
	if err != nil {
		return nil, fmt.Errorf("cohorts led by user %d: %w", viewerID, err)
	}
	out := make([]Summary, len(reports))
	for i, r := range reports {
		out[i] = Summary{ID: r.ID, Name: r.Name, Members: len(r.Learners), AvgPercent: r.AvgPercent,
			Inactive: r.Inactive, Completed: r.Completed}
	}
	return out, nil
}

// Report is the matrix and timeline of one cohort. A cohort that does not exist and one the viewer
// does not lead are both errs.NotFound, so that cohort ids cannot be probed.
func (s *Service) Report(ctx context.Context, cohortID, viewerID int64, viewerRole account.Role) (*Report, error) {
	c, err := s.acc.LedCohort(ctx, cohortID, viewerID, viewerRole)
	if err != nil {
		return nil, err
	}
	reports, err := s.build(ctx, []account.Cohort{*c})
	if err != nil {
		return nil, fmt.Errorf("report on cohort %d: %w", cohortID, err)
	}
	return reports[0], nil
}

// build makes the reports of the cohorts: their members from account, their progress from
// learning, read once for all of them.
func (s *Service) build(ctx context.Context, cohorts []account.Cohort) ([]*Report, error) {
	ids := make([]int64, len(cohorts))
	for i, c := range cohorts {
		ids[i] = c.ID
	}
	members, err := s.acc.Members(ctx, ids...)
	if err != nil {
		return nil, err
	}
	var users []int64
	for _, ms := range members {
		for _, m := range ms {
			users = append(users, m.ID)
		}
	}
	progress, err := s.learn.Overviews(ctx, users)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	out := make([]*Report, len(cohorts))
	for i, c := range cohorts {
		out[i] = s.report(c, members[c.ID], progress, now)
	}
	return out, nil
}

// report lays the members' progress out as the matrix of one cohort.
func (s *Service) report(c account.Cohort, members []account.Member, progress map[int64]learning.Overview, now time.Time) *Report {
	r := &Report{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt, At: now, Modules: s.cat.Modules}
	var completions []time.Time
	sum := 0
	for _, m := range members {
		ov := progress[m.ID]
		l := Learner{ID: m.ID, Name: m.Name, Email: m.Email, Organisation: m.Organisation, Disabled: m.Disabled,
			JoinedAt: m.JoinedAt, LastActivity: later(ov.LastActivity, m.LastLoginAt),
			Percent: ov.Programme.Percent, ModulesDone: ov.Programme.ModulesDone}
		for _, p := range ov.Modules {
			l.Cells = append(l.Cells, Cell{Percent: p.Percent, HasCheck: p.HasCheck, Attempts: p.Attempts, Scores: p.Scores,
				BestScore: p.BestScore, Passed: p.Passed, Complete: p.Complete, CompletedAt: p.CompletedAt})
			if p.Complete {
				completions = append(completions, p.CompletedAt)
			}
		}
		// Someone who has finished has nothing left to be reminded of; a new member is measured
		// from the day they joined, not flagged for the time before.
		since := later(l.LastActivity, l.JoinedAt)
		l.Inactive = !l.Disabled && !ov.Programme.Complete && now.Sub(since) >= InactiveAfter
		if l.Inactive {
			r.Inactive++
		}
		if ov.Programme.Complete {
			r.Completed++
		}
		sum += l.Percent
		r.Learners = append(r.Learners, l)
	}
	if len(r.Learners) > 0 {
		r.AvgPercent = sum / len(r.Learners)
	}
	r.Timeline = timeline(completions, c.CreatedAt, now, s.loc)
	return r
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
