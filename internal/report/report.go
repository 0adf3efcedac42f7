// Package report is what trainers see of the cohorts they lead: which cohorts those are, a
// learner × module matrix of progress (sorted, filtered and paged), a learner's detail, the item
// analysis of the self-checks, the module completions over time, the team coverage per
// organisation and the same matrix as CSV and XLSX files for spreadsheets. It owns no table: the
// cohorts and their members come from package account, the progress from package learning and its
// one rule (and its per-learner summary), so a trainer and a learner see one number.
package report

import (
	"context"
	"fmt"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/content"
	"saferspaces/internal/learning"
	"saferspaces/internal/sqlite"
)

// InactiveAfter is how long a learner may go without any activity (a lesson opened or completed, a
// self-check submitted, a sign-in) before the matrix flags them. Two weeks lets a learner skip one
// weekly session without being flagged, and flags them before a second one is missed.
const InactiveAfter = 14 * 24 * time.Hour

// Service builds the reports.
type Service struct {
	db    *sqlite.DB // read-only: the cohort query model of query.go
	acc   *account.Service
	learn *learning.Service
	cat   *content.Catalog
	now   func() time.Time
	loc   *time.Location // the operator's zone: the days of the timeline

	timelines timelineCache
}

// New builds the service; loc is the zone whose days the timeline counts in.
func New(db *sqlite.DB, acc *account.Service, learn *learning.Service, now func() time.Time, loc *time.Location) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, acc: acc, learn: learn, cat: learn.Catalog(), now: now, loc: loc}
}

// Summary is one cohort in a trainer's list.
type Summary struct {
	ID         int64
	Name       string
	StartsAt   time.Time
	DueAt      time.Time
	Archived   bool
	Members    int
	AvgPercent int // mean of the members' programme percentages, rounded down; 0 without members
	Inactive   int // members flagged inactive
	Overdue    int // members not complete after the due date
	Completed  int // members who completed every module
}

// Report is the trainer's view of one cohort: its figures over every member and one page of the
// matrix.
type Report struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	Cohort     account.Cohort
	At         time.Time // when the report was made; "inactive" is measured from here
	Modules    []*content.Module
	Query      Query     // the sort, filter and page shown
	Learners   []Learner // the page, in the query's order
	Members    int       // every member
	Matches    int       // members that pass the filter
	Page       int
	Pages      int
	AvgPercent int
	Inactive   int
	Overdue    int
	Completed  int
	Timeline   Timeline
}

// Learner is one row of the matrix.
type Learner struct {
	ID           int64
	Name         string
	Email        string
	Organisation string
	Lang         string
	Disabled     bool // switched off by an admin: listed for the record, never flagged inactive
	RemindersOff bool
	JoinedAt     time.Time
	Cells        []Cell // one per Report.Modules, same order
	Percent      int    // units done over all modules
	ModulesDone  int
	Attempts     int // self-check attempts over all modules
	Complete     bool
	LastActivity time.Time // zero: never active
	Inactive     bool
	Overdue      bool // the cohort's due date has passed and the learner is not complete
}

// Status is the learner's state as the page and the exports name it: "disabled", "complete",
// "overdue", "inactive" or "active".
func (l Learner) Status() string {
	switch {
	case l.Disabled:
		return "disabled"
	case l.Complete:
		return "complete"
	case l.Overdue:
		return "overdue"
	case l.Inactive:
		return "inactive"
	}
	return "active"
}

// Cell is one learner in one module.
type Cell struct {
	Percent     int // units done of units total, rounded down, so 100 means complete
	LessonsDone int
	HasCheck    bool
	Attempts    int
	Scores      []int // every attempt's score, oldest first
	BestScore   int   // 0 without attempts; see Attempts
	Passed      bool
	Complete    bool
	CompletedAt time.Time // when the last unit was done; zero unless Complete
}

// Led lists the cohorts the viewer leads, by name (archived ones only withArchived); an admin gets
// every cohort. The figures come from the learners' progress summaries: one light row per member,
// never a matrix.
func (s *Service) Led(ctx context.Context, viewerID int64, viewerRole account.Role, withArchived bool) ([]Summary, error) {
	cohorts, err := s.acc.CohortsLedBy(ctx, viewerID, viewerRole, withArchived)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, len(cohorts))
	now := s.now().UTC()
	for i, c := range cohorts {
		f, members, _, err := s.sqlFigures(ctx, c, Query{}, now)
		if err != nil {
			return nil, fmt.Errorf("cohorts led by user %d: %w", viewerID, err)
		}
		out[i] = Summary{ID: c.ID, Name: c.Name, StartsAt: c.StartsAt, DueAt: c.DueAt, Archived: c.Archived(),
			Members: members, AvgPercent: f.avg, Inactive: f.inactive, Overdue: f.overdue, Completed: f.completed}
	}
	return out, nil
}

// Cohort returns the cohort if the viewer leads it (errs.NotFound otherwise, and for an unknown id).
func (s *Service) Cohort(ctx context.Context, cohortID, viewerID int64, viewerRole account.Role) (*account.Cohort, error) {
	return s.acc.LedCohort(ctx, cohortID, viewerID, viewerRole)
}

// Report is one page of the matrix of one cohort with its figures and timeline. A cohort that does
// not exist and one the viewer does not lead are both errs.NotFound, so that cohort ids cannot be
// probed.
func (s *Service) Report(ctx context.Context, cohortID, viewerID int64, viewerRole account.Role, q Query) (*Report, error) {
	c, err := s.acc.LedCohort(ctx, cohortID, viewerID, viewerRole)
	if err != nil {
		return nil, err
	}
	q = q.normal(s.cat.Modules)
	q.SinceStart = q.SinceStart && !c.StartsAt.IsZero()
	if err := s.acc.EnsureSortKeys(ctx); err != nil {
		return nil, err
	}
	r := &Report{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt, Cohort: *c, At: s.now().UTC(), Modules: s.cat.Modules, Query: q}
	var page []row
	if q.SinceStart {
		page, err = s.recordsPage(ctx, r)
	} else {
		page, err = s.sqlPage(ctx, r)
	}
	if err != nil {
		return nil, fmt.Errorf("report on cohort %d: %w", cohortID, err)
	}
	if r.Learners, err = s.learners(ctx, *c, page, q.SinceStart); err != nil {
		return nil, fmt.Errorf("report on cohort %d: %w", cohortID, err)
	}
	return r, nil
}

// paging sets the report's page from the number of matches.
func (r *Report) paging(matches int) (offset int) {
	r.Matches = matches
	r.Pages = max(1, (matches+r.Query.PerPage-1)/r.Query.PerPage)
	r.Page = min(r.Query.Page, r.Pages)
	r.Query.Page = r.Page
	return (r.Page - 1) * r.Query.PerPage
}

// sqlPage fills the report from the summaries, in SQL: figures, one page of rows, the timeline.
func (s *Service) sqlPage(ctx context.Context, r *Report) ([]row, error) {
	f, members, matches, membership, err := s.sqlFiguresKey(ctx, r.Cohort, r.Query, r.At)
	if err != nil {
		return nil, err
	}
	r.Members, r.AvgPercent, r.Inactive, r.Overdue, r.Completed = members, f.avg, f.inactive, f.overdue, f.completed
	offset := r.paging(matches)
	var page []row
	err = s.sqlRows(ctx, r.Cohort, r.Query, r.At, r.Query.PerPage, offset, func(x row) error {
		page = append(page, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	counts, err := s.cachedTimeline(ctx, r.Cohort, r.At, members, membership)
	if err != nil {
		return nil, err
	}
	r.Timeline = timeline(counts, cycleStart(r.Cohort), r.At, s.loc)
	return page, nil
}

// recordsPage fills the report of a cycle counted from its start: no summary holds those figures,
// so every member's records since the start are read in batches and sorted here.
func (s *Service) recordsPage(ctx context.Context, r *Report) ([]row, error) {
	rows, err := s.rows(ctx, r.Cohort, r.Query.SinceStart, r.Query.Sort)
	if err != nil {
		return nil, err
	}
	f := figures(rows)
	r.Members, r.AvgPercent, r.Inactive, r.Overdue, r.Completed = len(rows), f.avg, f.inactive, f.overdue, f.completed
	if r.Timeline, err = s.timeline(ctx, r.Cohort, rows, r.Query.SinceStart, r.At); err != nil {
		return nil, err
	}
	rows = r.Query.apply(rows)
	offset := r.paging(len(rows))
	return rows[min(offset, len(rows)):min(offset+r.Query.PerPage, len(rows))], nil
}

// cycleStart is where a cohort's timeline begins: its start date, else the day it was made.
func cycleStart(c account.Cohort) time.Time {
	if !c.StartsAt.IsZero() {
		return c.StartsAt
	}
	return c.CreatedAt
}

// since is where a report that counts only the current cycle starts; zero: everything.
func since(c account.Cohort, sinceStart bool) time.Time {
	if sinceStart {
		return c.StartsAt
	}
	return time.Time{}
}

// learners builds the matrix rows of the given members from their full records (a page or an
// export batch).
func (s *Service) learners(ctx context.Context, c account.Cohort, page []row, sinceStart bool) ([]Learner, error) {
	ids := make([]int64, len(page))
	for i, r := range page {
		ids[i] = r.m.ID
	}
	progress, err := s.learn.OverviewsSince(ctx, ids, since(c, sinceStart))
	if err != nil {
		return nil, err
	}
	out := make([]Learner, len(page))
	for i, r := range page {
		ov := progress[r.m.ID]
		l := Learner{ID: r.m.ID, Name: r.m.Name, Email: r.m.Email, Organisation: r.m.Organisation, Lang: r.m.Lang,
			Disabled: r.m.Disabled, RemindersOff: r.m.RemindersOff, JoinedAt: r.m.JoinedAt, LastActivity: r.last,
			Percent: ov.Programme.Percent, ModulesDone: ov.Programme.ModulesDone, Complete: ov.Programme.Complete,
			Inactive: r.inactive, Overdue: r.overdue}
		l.Cells = make([]Cell, len(ov.Modules))
		for j, p := range ov.Modules {
			l.Cells[j] = Cell{Percent: p.Percent, LessonsDone: p.LessonsDone, HasCheck: p.HasCheck, Attempts: p.Attempts,
				Scores: p.Scores, BestScore: p.BestScore, Passed: p.Passed, Complete: p.Complete, CompletedAt: p.CompletedAt}
			l.Attempts += p.Attempts
		}
		out[i] = l
	}
	return out, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
