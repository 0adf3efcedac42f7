package report

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/learning"
)

// Detail is one learner of a cohort as their trainer sees them: every module and lesson with its
// date, every self-check attempt, the certificates and the last activity.
type Detail struct {
	Cohort       account.Cohort
	Learner      account.Member
	Modules      []learning.ModuleProgress
	Programme    learning.Programme
	Attempts     []learning.Attempt // newest first
	Certificates []learning.Certificate
	LastActivity time.Time
	Inactive     bool
}

// LearnerDetail is a member's detail for a trainer of the cohort (an admin: any cohort). A cohort
// the viewer does not lead, or a user who is not a member of it, is errs.NotFound.
func (s *Service) LearnerDetail(ctx context.Context, cohortID, userID, viewerID int64, viewerRole account.Role) (*Detail, error) {
	c, err := s.acc.LedCohort(ctx, cohortID, viewerID, viewerRole)
	if err != nil {
		return nil, err
	}
	m, err := s.acc.Member(ctx, cohortID, userID)
	if err != nil {
		return nil, err
	}
	d := &Detail{Cohort: *c, Learner: *m}
	if d.Modules, d.Programme, err = s.learn.Dashboard(ctx, userID); err != nil {
		return nil, err
	}
	if d.Attempts, err = s.learn.AttemptHistory(ctx, userID); err != nil {
		return nil, err
	}
	if d.Certificates, err = s.learn.Certificates(ctx, userID); err != nil {
		return nil, err
	}
	sums, err := s.learn.Summaries(ctx, []int64{userID})
	if err != nil {
		return nil, err
	}
	d.LastActivity = later(sums[userID].LastActivity, m.LastLoginAt)
	for _, p := range d.Modules {
		d.LastActivity = later(d.LastActivity, p.LastActivity)
	}
	d.Inactive = !m.Disabled && !d.Programme.Complete && s.now().Sub(later(d.LastActivity, m.JoinedAt)) >= InactiveAfter
	return d, nil
}

// ModuleTitle is the module's title for an attempt or certificate whose module may have left the
// content (then its id).
func (d *Detail) ModuleTitle(id string) *learning.ModuleProgress {
	i := slices.IndexFunc(d.Modules, func(p learning.ModuleProgress) bool { return p.Module.ID == id })
	if i < 0 {
		return nil
	}
	return &d.Modules[i]
}

// Questions is the item analysis of a cohort's self-checks: for each module with a self-check
// and each question, how the members' attempts answered it (with sinceStart only the attempts
// since the cohort's start).
func (s *Service) Questions(ctx context.Context, cohortID, viewerID int64, viewerRole account.Role, sinceStart bool) (*account.Cohort, []learning.ModuleItems, error) {
	c, err := s.acc.LedCohort(ctx, cohortID, viewerID, viewerRole)
	if err != nil {
		return nil, nil, err
	}
	var ids []int64
	if err := s.acc.EachMember(ctx, c.ID, func(m account.Member) error { ids = append(ids, m.ID); return nil }); err != nil {
		return nil, nil, err
	}
	items, err := s.learn.ItemAnalysis(ctx, ids, since(*c, sinceStart))
	if err != nil {
		return nil, nil, fmt.Errorf("questions of cohort %d: %w", cohortID, err)
	}
	return c, items, nil
}

// Level is how far a person has come in the programme, for the team coverage.
type Level int

// Levels, from none to the whole programme.
const (
	LevelNone     Level = iota // nothing done yet
	LevelStarted               // something done, no module complete
	LevelModule                // at least one module complete
	LevelComplete              // every module complete
)

// Levels lists the levels in order.
func Levels() []Level { return []Level{LevelNone, LevelStarted, LevelModule, LevelComplete} }

// Key is the level's catalog key suffix.
func (l Level) Key() string { return [...]string{"none", "started", "module", "complete"}[l] }

// Coverage is one organisation (a municipality or a department, as the people typed it) with how
// many of its people reached each level.
type Coverage struct {
	Organisation string
	People       int
	ByLevel      [4]int
	Percent      int // mean programme percentage
}

// Coverage groups people by organisation: for an admin every approved learner of the platform,
// for a trainer the members of the cohorts they lead (each person once). Organisations that differ
// only in case or spacing are one; people without one are grouped under "".
func (s *Service) Coverage(ctx context.Context, viewerID int64, viewerRole account.Role) ([]Coverage, error) {
	people := map[int64]string{}
	add := func(m account.Member) error {
		if !m.Disabled {
			people[m.ID] = m.Organisation
		}
		return nil
	}
	if viewerRole == account.RoleAdmin {
		if err := s.acc.EachLearner(ctx, add); err != nil {
			return nil, err
		}
	} else {
		cohorts, err := s.acc.CohortsLedBy(ctx, viewerID, viewerRole, true)
		if err != nil {
			return nil, err
		}
		for _, c := range cohorts {
			if err := s.acc.EachMember(ctx, c.ID, add); err != nil {
				return nil, err
			}
		}
	}
	ids := make([]int64, 0, len(people))
	for id := range people {
		ids = append(ids, id)
	}
	sums, err := s.learn.Summaries(ctx, ids)
	if err != nil {
		return nil, err
	}
	groups := map[string]*Coverage{}
	totals := map[string]int{}
	for id, org := range people {
		k := fold(strings.Join(strings.Fields(org), " "))
		g := groups[k]
		if g == nil {
			g = &Coverage{Organisation: strings.Join(strings.Fields(org), " ")}
			groups[k] = g
		}
		sum := sums[id]
		level := LevelNone
		switch {
		case sum.Complete:
			level = LevelComplete
		case sum.ModulesDone > 0:
			level = LevelModule
		case sum.UnitsDone > 0 || sum.Attempts > 0:
			level = LevelStarted
		}
		g.People++
		g.ByLevel[level]++
		totals[k] += sum.Percent
	}
	out := make([]Coverage, 0, len(groups))
	col := NewCollator()
	for k, g := range groups {
		g.Percent = totals[k] / g.People
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Coverage) int {
		if (a.Organisation == "") != (b.Organisation == "") {
			if a.Organisation == "" {
				return 1
			}
			return -1
		}
		return col.CompareString(a.Organisation, b.Organisation)
	})
	return out, nil
}
