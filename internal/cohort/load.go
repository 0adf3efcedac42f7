package cohort

import (
	"context"
	"fmt"
	"time"

	"saferspaces/internal/sqlite"
)

// cohortRecords is one cohort with everything stored about its members, as read from the
// database; build lays it over the content, which is where ids that left the content drop out.
type cohortRecords struct {
	id        int64
	name      string
	createdAt time.Time
	members   []*member
}

type member struct {
	id           int64
	name         string
	email        string
	organisation string
	disabled     bool
	joinedAt     time.Time
	lastLogin    time.Time
	lastVisit    time.Time
	done         map[string]map[string]time.Time // module → lesson → completed at
	checks       map[string]checkStats           // module → self-check attempts
}

type checkStats struct {
	attempts  int
	best      int
	passed    bool
	firstPass time.Time
	last      time.Time
}

// lastActivity is the latest of everything the learner did, sign-ins included: progress on
// lessons that have since left the content is still activity.
func (m *member) lastActivity() time.Time {
	t := later(m.lastLogin, m.lastVisit)
	for _, lessons := range m.done {
		for _, at := range lessons {
			t = later(t, at)
		}
	}
	for _, st := range m.checks {
		t = later(t, st.last)
	}
	return t
}

// load reads the cohorts matching where (a condition on cohorts c, with args) and their members'
// records: four queries, whatever the number of cohorts and learners. Erased users have left
// their cohort, so they are not members; disabled ones are kept and marked.
func (s *Service) load(ctx context.Context, where string, args []any) ([]*cohortRecords, error) {
	var out []*cohortRecords
	byCohort := map[int64]*cohortRecords{}
	byUser := map[int64]*member{}
	err := sqlite.Each(ctx, s.db.R, `SELECT c.id, c.name, c.created_at FROM cohorts c WHERE `+where+` ORDER BY c.name, c.id`,
		args, func(scan func(...any) error) error {
			c := &cohortRecords{}
			var at int64
			if err := scan(&c.id, &c.name, &at); err != nil {
				return err
			}
			c.createdAt = sqlite.Time(at)
			byCohort[c.id] = c
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read cohorts: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	// scope selects the members of the chosen cohorts; every query below is limited to it.
	scope := `SELECT m.user_id FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id WHERE ` + where
	err = sqlite.Each(ctx, s.db.R, `SELECT m.cohort_id, u.id, u.name, u.email, u.organisation, u.status, m.joined_at,
			coalesce(u.last_login_at, 0)
		FROM cohort_members m JOIN users u ON u.id = m.user_id
		WHERE u.status IN ('approved', 'disabled') AND m.user_id IN (`+scope+`) -- applicants and the erased are no learners
		ORDER BY u.name COLLATE NOCASE, u.id`,
		args, func(scan func(...any) error) error {
			var cohortID, joined, login int64
			var status string
			m := &member{done: map[string]map[string]time.Time{}, checks: map[string]checkStats{}}
			if err := scan(&cohortID, &m.id, &m.name, &m.email, &m.organisation, &status, &joined, &login); err != nil {
				return err
			}
			m.disabled = status == "disabled"
			m.joinedAt, m.lastLogin = sqlite.Time(joined), sqlite.Time(login)
			if c := byCohort[cohortID]; c != nil {
				c.members = append(c.members, m)
				byUser[m.id] = m
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT user_id, module_id, lesson_id, completed_at FROM lesson_completions
		WHERE user_id IN (`+scope+`)`, args, func(scan func(...any) error) error {
		var user, at int64
		var mod, lesson string
		if err := scan(&user, &mod, &lesson, &at); err != nil {
			return err
		}
		if m := byUser[user]; m != nil {
			if m.done[mod] == nil {
				m.done[mod] = map[string]time.Time{}
			}
			m.done[mod][lesson] = sqlite.Time(at)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read completions: %w", err)
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT user_id, module_id, count(*), max(score), max(passed),
			coalesce(min(CASE WHEN passed = 1 THEN submitted_at END), 0), max(submitted_at)
		FROM check_attempts WHERE user_id IN (`+scope+`) GROUP BY user_id, module_id`,
		args, func(scan func(...any) error) error {
			var user, firstPass, last int64
			var mod string
			var st checkStats
			if err := scan(&user, &mod, &st.attempts, &st.best, &st.passed, &firstPass, &last); err != nil {
				return err
			}
			st.firstPass, st.last = sqlite.Time(firstPass), sqlite.Time(last)
			if m := byUser[user]; m != nil {
				m.checks[mod] = st
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT user_id, max(visited_at) FROM lesson_visits
		WHERE user_id IN (`+scope+`) GROUP BY user_id`, args, func(scan func(...any) error) error {
		var user, at int64
		if err := scan(&user, &at); err != nil {
			return err
		}
		if m := byUser[user]; m != nil {
			m.lastVisit = sqlite.Time(at)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read visits: %w", err)
	}
	return out, nil
}
