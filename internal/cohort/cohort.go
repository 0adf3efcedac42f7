// Package cohort is what trainers see of the cohorts they lead: which cohorts those are, a
// learner × module matrix of progress, the module completions over time and the same matrix as a
// CSV file for spreadsheets. It only reads; progress itself is written by package learning, and
// the definitions here (a lesson is one unit, the passed self-check one more, only lessons that
// exist in the content count) are the same as there, so a trainer and a learner see one number.
package cohort

import (
	"context"
	"fmt"
	"time"

	"saferspaces/internal/content"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// InactiveAfter is how long a learner may go without any activity (a lesson opened or completed, a
// self-check submitted, a sign-in) before the matrix flags them. Two weeks lets a learner skip one
// weekly session without being flagged, and flags them before a second one is missed.
const InactiveAfter = 14 * 24 * time.Hour

// roleAdmin mirrors account.RoleAdmin; admins see every cohort. The package does not import
// account because reports need nothing else from it.
const roleAdmin = "admin"

// Service builds the reports.
type Service struct {
	db  *sqlite.DB
	cat *content.Catalog
	now func() time.Time
	loc *time.Location // the operator's zone: the days of the timeline
}

// New builds the service over the validated content; loc is the zone whose days the timeline
// counts in.
func New(db *sqlite.DB, cat *content.Catalog, now func() time.Time, loc *time.Location) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, cat: cat, now: now, loc: loc}
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
	BestScore   int // 0 without attempts; see Attempts
	Passed      bool
	Complete    bool
	CompletedAt time.Time // when the last unit was done; zero unless Complete
}

// Led lists the cohorts the viewer leads, by name; an admin gets every cohort.
func (s *Service) Led(ctx context.Context, viewerID int64, viewerRole string) ([]Summary, error) {
	where, args := "c.id IN (SELECT cohort_id FROM cohort_trainers WHERE user_id = ?)", []any{viewerID}
	if viewerRole == roleAdmin {
		where, args = "1 = 1", nil
	}
	cohorts, err := s.load(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("cohorts led by user %d: %w", viewerID, err)
	}
	out := make([]Summary, len(cohorts))
	for i, c := range cohorts {
		r := s.build(c)
		out[i] = Summary{ID: r.ID, Name: r.Name, Members: len(r.Learners), AvgPercent: r.AvgPercent,
			Inactive: r.Inactive, Completed: r.Completed}
	}
	return out, nil
}

// Report is the matrix and timeline of one cohort. A cohort that does not exist and one the viewer
// does not lead are both errs.NotFound, so that cohort ids cannot be probed.
func (s *Service) Report(ctx context.Context, cohortID, viewerID int64, viewerRole string) (*Report, error) {
	where := "c.id = ? AND EXISTS (SELECT 1 FROM cohort_trainers t WHERE t.cohort_id = c.id AND t.user_id = ?)"
	args := []any{cohortID, viewerID}
	if viewerRole == roleAdmin {
		where, args = "c.id = ?", []any{cohortID}
	}
	cohorts, err := s.load(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("report on cohort %d: %w", cohortID, err)
	}
	if len(cohorts) == 0 {
		return nil, errs.E(errs.NotFound, "cohort not found")
	}
	return s.build(cohorts[0]), nil
}

// build lays the stored records of a cohort over the content.
func (s *Service) build(c *cohortRecords) *Report {
	now := s.now().UTC()
	r := &Report{ID: c.id, Name: c.name, CreatedAt: c.createdAt, At: now, Modules: s.cat.Modules}
	var completions []time.Time
	sum := 0
	for _, m := range c.members {
		l := Learner{ID: m.id, Name: m.name, Email: m.email, Organisation: m.organisation,
			Disabled: m.disabled, JoinedAt: m.joinedAt, LastActivity: m.lastActivity()}
		units, total := 0, 0
		for _, mod := range s.cat.Modules {
			cell, u, t := progress(mod, m)
			l.Cells = append(l.Cells, cell)
			units, total = units+u, total+t
			if cell.Complete {
				l.ModulesDone++
				completions = append(completions, cell.CompletedAt)
			}
		}
		if total > 0 {
			l.Percent = units * 100 / total
		}
		finished := len(s.cat.Modules) > 0 && l.ModulesDone == len(s.cat.Modules)
		// Someone who has finished has nothing left to be reminded of; a new member is measured
		// from the day they joined, not flagged for the time before.
		since := later(l.LastActivity, l.JoinedAt)
		l.Inactive = !l.Disabled && !finished && now.Sub(since) >= InactiveAfter
		if l.Inactive {
			r.Inactive++
		}
		if finished {
			r.Completed++
		}
		sum += l.Percent
		r.Learners = append(r.Learners, l)
	}
	if len(r.Learners) > 0 {
		r.AvgPercent = sum / len(r.Learners)
	}
	r.Timeline = timeline(completions, c.createdAt, now, s.loc)
	return r
}

// progress is one learner's cell in one module and the units behind it.
func progress(m *content.Module, rec *member) (c Cell, units, total int) {
	c.HasCheck = m.Check != nil && len(m.Check.Questions) > 0
	var lastLesson time.Time
	done := rec.done[m.ID]
	for _, l := range m.Lessons {
		if at, ok := done[l.ID]; ok {
			units++
			lastLesson = later(lastLesson, at)
		}
	}
	total = len(m.Lessons)
	st := rec.checks[m.ID]
	c.Attempts, c.BestScore, c.Passed = st.attempts, st.best, st.passed
	if c.HasCheck {
		total++
		if st.passed {
			units++
		}
	}
	if total == 0 {
		return c, 0, 0
	}
	c.Percent = units * 100 / total
	c.Complete = units == total
	if c.Complete {
		c.CompletedAt = lastLesson
		if c.HasCheck {
			// The check unit was done at the first passing attempt; later attempts change nothing.
			c.CompletedAt = later(lastLesson, st.firstPass)
		}
	}
	return c, units, total
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
