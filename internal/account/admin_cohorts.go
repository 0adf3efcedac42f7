package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// ErrNotALeader refuses to let a learner (or nobody) lead a cohort.
var ErrNotALeader = errs.E(errs.Invalid, "only trainers and administrators can lead a cohort")

// CohortSummary is a cohort as the admin's cohort list shows it: with the people who lead it.
type CohortSummary struct {
	Cohort
	Leaders []Person
	Domains []string // e-mail domains approved automatically into it
}

// Person names a user in lists.
type Person struct {
	ID    int64
	Name  string
	Email string
}

// CohortOverview lists the cohorts by name (archived ones only withArchived) with the trainers
// who lead them and their e-mail domains.
func (s *Service) CohortOverview(ctx context.Context, withArchived bool) ([]CohortSummary, error) {
	cohorts, err := s.Cohorts(ctx, withArchived)
	if err != nil {
		return nil, err
	}
	out := make([]CohortSummary, len(cohorts))
	index := map[int64]int{}
	for i, c := range cohorts {
		out[i].Cohort = c
		index[c.ID] = i
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT t.cohort_id, u.id, u.name, u.email FROM cohort_trainers t
		JOIN users u ON u.id = t.user_id ORDER BY u.name, u.id`, nil, func(scan func(...any) error) error {
		var cohort int64
		var p Person
		if err := scan(&cohort, &p.ID, &p.Name, &p.Email); err != nil {
			return err
		}
		if i, ok := index[cohort]; ok {
			out[i].Leaders = append(out[i].Leaders, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list trainers: %w", err)
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT cohort_id, domain FROM cohort_domains ORDER BY domain`, nil,
		func(scan func(...any) error) error {
			var cohort int64
			var d string
			if err := scan(&cohort, &d); err != nil {
				return err
			}
			if i, ok := index[cohort]; ok {
				out[i].Domains = append(out[i].Domains, d)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	return out, nil
}

// CohortDetail is one cohort for its admin page: with its leaders, domains and members.
func (s *Service) CohortDetail(ctx context.Context, id int64) (*CohortSummary, []Member, error) {
	c, err := s.CohortByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	all, err := s.CohortOverview(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	for _, cs := range all {
		if cs.ID == c.ID {
			members, err := s.Members(ctx, id)
			if err != nil {
				return nil, nil, err
			}
			return &cs, members[id], nil
		}
	}
	return nil, nil, errs.E(errs.NotFound, "cohort not found")
}

// Leaders lists the users who may lead a cohort (approved trainers and admins), for the select on
// the cohort page.
func (s *Service) Leaders(ctx context.Context) ([]Person, error) {
	var out []Person
	err := sqlite.Each(ctx, s.db.R, `SELECT id, name, email FROM users WHERE role IN (?, ?) AND status = ?
		ORDER BY name, id`, []any{RoleTrainer, RoleAdmin, StatusApproved}, func(scan func(...any) error) error {
		var p Person
		if err := scan(&p.ID, &p.Name, &p.Email); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list leaders: %w", err)
	}
	return out, nil
}

// AddCohortTrainer lets a trainer or admin lead a cohort; a learner cannot.
func (s *Service) AddCohortTrainer(ctx context.Context, act audit.Actor, cohortID, userID int64) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := writableCohort(ctx, tx, cohortID)
		if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, userID)
		if errs.Is(err, errs.NotFound) {
			return ErrNotALeader
		} else if err != nil {
			return err
		}
		if !u.Role.Leads() || u.Status == StatusErased {
			return ErrNotALeader
		}
		if err := s.addTrainer(ctx, tx, cohortID, u.ID); err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "cohort.trainer_added", u.ID, u.Email, "cohort "+c.Name)
	})
	if err != nil {
		return fmt.Errorf("add trainer to cohort %d: %w", cohortID, err)
	}
	return nil
}

// RemoveCohortTrainer stops a user leading the cohort. Removing someone who does not lead it is
// errs.NotFound.
func (s *Service) RemoveCohortTrainer(ctx context.Context, act audit.Actor, cohortID, userID int64) error {
	return s.leave(ctx, act, cohortID, userID, `DELETE FROM cohort_trainers WHERE cohort_id = ? AND user_id = ?`, "cohort.trainer_removed")
}

// AddMember makes a user (not an applicant, not erased) a member of the cohort; other memberships
// stay. Adding a member twice changes nothing.
func (s *Service) AddMember(ctx context.Context, act audit.Actor, cohortID, userID int64) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := writableCohort(ctx, tx, cohortID)
		if err != nil {
			return err
		}
		u, err := decide(ctx, tx, userID, StatusPending, StatusApproved, StatusRejected, StatusDisabled)
		if err != nil {
			return err
		}
		if err := s.joinCohort(ctx, tx, u.ID, c.ID); err != nil {
			return err
		}
		return audit.Log(ctx, tx, s.now(), act, "cohort.member_added", u.ID, u.Email, "cohort "+c.Name)
	})
	if err != nil {
		return fmt.Errorf("add member to cohort %d: %w", cohortID, err)
	}
	return nil
}

// RemoveMember takes a user out of the cohort (their progress stays theirs). A user who is not a
// member is errs.NotFound.
func (s *Service) RemoveMember(ctx context.Context, act audit.Actor, cohortID, userID int64) error {
	return s.leave(ctx, act, cohortID, userID, `DELETE FROM cohort_members WHERE cohort_id = ? AND user_id = ?`, "cohort.member_removed")
}

func (s *Service) leave(ctx context.Context, act audit.Actor, cohortID, userID int64, query, action string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := writableCohort(ctx, tx, cohortID)
		if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, query, cohortID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "not in this cohort")
		}
		return audit.Log(ctx, tx, s.now(), act, action, u.ID, u.Email, "cohort "+c.Name)
	})
	if err != nil {
		return fmt.Errorf("%s (cohort %d, user %d): %w", action, cohortID, userID, err)
	}
	return nil
}

// AddToCohort puts the person with the e-mail address into the named cohort as a member (role
// learner) or as one of its trainers (role trainer: the person must be a trainer or admin), for
// `saferspaces cohort add`.
func (s *Service) AddToCohort(ctx context.Context, act audit.Actor, cohortName, email string, role Role) (*Cohort, *User, error) {
	c, err := s.CohortByName(ctx, cohortName)
	if err != nil {
		return nil, nil, errs.E(errs.NotFound, "cohort %q does not exist", strings.TrimSpace(cohortName))
	}
	u, err := s.UserByEmail(ctx, email)
	if err != nil || u.Status == StatusErased {
		return nil, nil, errs.E(errs.NotFound, "no account with the e-mail address %s", normalEmail(email))
	}
	switch role {
	case RoleLearner, "":
		err = s.AddMember(ctx, act, c.ID, u.ID)
	case RoleTrainer:
		err = s.AddCohortTrainer(ctx, act, c.ID, u.ID)
	default:
		err = errs.E(errs.Invalid, "role %q is not learner or trainer", role)
	}
	return c, u, err
}

// RemoveFromCohort takes the person out of the named cohort as a member or (role trainer) as
// one of its trainers, for `saferspaces cohort remove`.
func (s *Service) RemoveFromCohort(ctx context.Context, act audit.Actor, cohortName, email string, role Role) error {
	c, err := s.CohortByName(ctx, cohortName)
	if err != nil {
		return errs.E(errs.NotFound, "cohort %q does not exist", strings.TrimSpace(cohortName))
	}
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return errs.E(errs.NotFound, "no account with the e-mail address %s", normalEmail(email))
	}
	switch role {
	case RoleLearner, "":
		return s.RemoveMember(ctx, act, c.ID, u.ID)
	case RoleTrainer:
		return s.RemoveCohortTrainer(ctx, act, c.ID, u.ID)
	}
	return errs.E(errs.Invalid, "role %q is not learner or trainer", role)
}

// SetCohortDomains replaces the e-mail domains whose applicants are approved automatically into
// the cohort. A domain is a bare host name ("stadt-muenster.de"); one domain belongs to one cohort.
func (s *Service) SetCohortDomains(ctx context.Context, act audit.Actor, cohortID int64, domains []string) error {
	var clean []string
	var fields errs.Fields
	seen := map[string]bool{}
	for _, d := range domains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" || seen[d] {
			continue
		}
		if !validDomain(d) {
			fields.Add("domains", "domain", fmt.Sprintf("%q is not an e-mail domain such as stadt.example", clipBytes(d, 80)))
			continue
		}
		seen[d] = true
		clean = append(clean, d)
	}
	if err := fields.Err("cohort domains: %s", fields.Messages()); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := writableCohort(ctx, tx, cohortID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cohort_domains WHERE cohort_id = ?`, cohortID); err != nil {
			return err
		}
		for _, d := range clean {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cohort_domains(domain, cohort_id) VALUES (?, ?)`, d, cohortID); err != nil {
				if sqlite.IsUnique(err) {
					msg := fmt.Sprintf("the domain %s already belongs to another cohort", d)
					return &errs.Error{Kind: errs.Conflict, Message: msg, Fields: errs.Fields{{Name: "domains", Code: "taken", Message: msg}}}
				}
				return err
			}
		}
		return audit.Log(ctx, tx, s.now(), act, "cohort.domains", 0, c.Name, strings.Join(clean, ", "))
	})
	if err != nil {
		return fmt.Errorf("set domains of cohort %d: %w", cohortID, err)
	}
	return nil
}

// validDomain accepts a host name of letters, digits, dots and dashes with at least one dot.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// domainCohort is the active cohort whose domain list holds the address's domain; 0 if none.
func domainCohort(ctx context.Context, q querier, email string) (int64, string, error) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return 0, "", nil
	}
	var id int64
	var name string
	err := q.QueryRowContext(ctx, `SELECT c.id, c.name FROM cohort_domains d JOIN cohorts c ON c.id = d.cohort_id
		WHERE d.domain = ? AND c.archived_at IS NULL`, strings.ToLower(email[at+1:])).Scan(&id, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return id, name, err
}
