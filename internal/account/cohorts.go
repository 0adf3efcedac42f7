package account

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/sqlite"
)

// Cohort is a training cycle: learners are its members, trainers lead it.
type Cohort struct {
	ID        int64
	Name      string
	Code      string // join code for the declaration form; "" if none
	CreatedAt time.Time
	Members   int
	Trainers  int
}

const cohortColumns = `c.id, c.name, coalesce(c.code, ''), c.created_at,
	(SELECT count(*) FROM cohort_members m WHERE m.cohort_id = c.id),
	(SELECT count(*) FROM cohort_trainers t WHERE t.cohort_id = c.id)`

func scanCohort(row scanner) (*Cohort, error) {
	var c Cohort
	var at int64
	if err := row.Scan(&c.ID, &c.Name, &c.Code, &at, &c.Members, &c.Trainers); err != nil {
		return nil, err
	}
	c.CreatedAt = sqlite.Time(at)
	return &c, nil
}

// CreateCohort creates a cohort on behalf of act, with its audit line in the same transaction. The
// name must be unique (ignoring case); the code is optional, unique too, and may contain only
// letters, digits, '-' and '_'.
func (s *Service) CreateCohort(ctx context.Context, act audit.Actor, name, code string) (*Cohort, error) {
	name, code = strings.Join(strings.Fields(name), " "), strings.TrimSpace(code)
	if err := validate(cohortInput{Name: name, Code: code}, "cohort"); err != nil {
		return nil, err
	}
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var clash string
		err := tx.QueryRowContext(ctx, `SELECT CASE WHEN name = ? THEN 'name' ELSE 'code' END FROM cohorts
			WHERE name = ? OR (? <> '' AND code = ?) LIMIT 1`, name, name, code, code).Scan(&clash)
		switch {
		case err == nil && clash == "name":
			return errs.E(errs.Conflict, "a cohort named %q already exists", name)
		case err == nil:
			return errs.E(errs.Conflict, "the join code %q is already used by another cohort", code)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO cohorts(name, code, created_at) VALUES(?, NULLIF(?, ''), ?)`,
			name, code, s.now().Unix())
		if err != nil {
			if sqlite.IsUnique(err) {
				return errs.Wrap(errs.Conflict, err, "a cohort with this name or join code already exists")
			}
			return fmt.Errorf("create cohort: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		detail := ""
		if code != "" {
			detail = "code " + code
		}
		return audit.Log(ctx, tx, s.now(), act, "cohort.created", 0, name, detail)
	})
	if err != nil {
		return nil, err
	}
	return s.cohortByID(ctx, id)
}

// cohortByID returns the cohort or an errs.NotFound.
func (s *Service) cohortByID(ctx context.Context, id int64) (*Cohort, error) {
	c, err := scanCohort(s.db.R.QueryRowContext(ctx, `SELECT `+cohortColumns+` FROM cohorts c WHERE c.id = ?`, id))
	return c, sqlite.NotFound(err, "cohort")
}

// CohortByName returns the cohort with the name (ignoring case) or an errs.NotFound.
func (s *Service) CohortByName(ctx context.Context, name string) (*Cohort, error) {
	c, err := scanCohort(s.db.R.QueryRowContext(ctx, `SELECT `+cohortColumns+` FROM cohorts c WHERE c.name = ?`,
		strings.Join(strings.Fields(name), " ")))
	return c, sqlite.NotFound(err, "cohort")
}

// CohortByCode returns the cohort with the join code (ignoring case) or an errs.NotFound.
func (s *Service) CohortByCode(ctx context.Context, code string) (*Cohort, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, errs.E(errs.NotFound, "cohort not found")
	}
	c, err := scanCohort(s.db.R.QueryRowContext(ctx, `SELECT `+cohortColumns+` FROM cohorts c WHERE c.code = ?`, code))
	return c, sqlite.NotFound(err, "cohort")
}

// Cohorts lists every cohort by name.
func (s *Service) Cohorts(ctx context.Context) ([]Cohort, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+cohortColumns+` FROM cohorts c ORDER BY c.name`)
	if err != nil {
		return nil, fmt.Errorf("list cohorts: %w", err)
	}
	defer rows.Close()
	var out []Cohort
	for rows.Next() {
		c, err := scanCohort(rows)
		if err != nil {
			return nil, fmt.Errorf("list cohorts: %w", err)
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// setCohort makes the user a member of the cohort, leaving any other cohort (a learner belongs to
// at most one); cohortID 0 removes them from their cohort. Staying in the same cohort keeps the
// date they joined.
func (s *Service) setCohort(ctx context.Context, tx *sql.Tx, userID, cohortID int64) error {
	if cohortID == 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM cohort_members WHERE user_id = ?`, userID)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO cohort_members(cohort_id, user_id, joined_at) VALUES(?, ?, ?)
		ON CONFLICT(user_id) DO UPDATE SET cohort_id = excluded.cohort_id, joined_at = excluded.joined_at
		WHERE cohort_id <> excluded.cohort_id`, cohortID, userID, s.now().Unix())
	if err != nil {
		return fmt.Errorf("set cohort: %w", err)
	}
	return nil
}

// addTrainer lets the user lead the cohort (a trainer may lead several); adding twice is harmless.
func (s *Service) addTrainer(ctx context.Context, tx *sql.Tx, cohortID, userID int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO cohort_trainers(cohort_id, user_id) VALUES(?, ?)`, cohortID, userID); err != nil {
		return fmt.Errorf("add trainer: %w", err)
	}
	return nil
}

// Member is a learner of a cohort as trainers' reports show them: approved and disabled accounts
// (applicants and the erased are no learners).
type Member struct {
	CohortID     int64
	ID           int64
	Name         string
	Email        string
	Organisation string
	Disabled     bool // switched off by an admin: listed for the record
	JoinedAt     time.Time
	LastLoginAt  time.Time // zero: never signed in
}

// CohortsLedBy lists, by name, the cohorts that viewer leads; an admin leads every cohort.
func (s *Service) CohortsLedBy(ctx context.Context, viewerID int64, viewerRole Role) ([]Cohort, error) {
	where, args := `c.id IN (SELECT cohort_id FROM cohort_trainers WHERE user_id = ?)`, []any{viewerID}
	if viewerRole == RoleAdmin {
		where, args = `1 = 1`, nil
	}
	var out []Cohort
	err := sqlite.Each(ctx, s.db.R, `SELECT `+cohortColumns+` FROM cohorts c WHERE `+where+` ORDER BY c.name, c.id`, args,
		func(scan func(...any) error) error {
			c, err := scanCohort(scanFunc(scan))
			if err == nil {
				out = append(out, *c)
			}
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("cohorts led by user %d: %w", viewerID, err)
	}
	return out, nil
}

// LedCohort returns the cohort if viewer leads it (an admin leads every cohort). A cohort that
// does not exist and one the viewer does not lead are both errs.NotFound, so ids cannot be probed.
func (s *Service) LedCohort(ctx context.Context, cohortID, viewerID int64, viewerRole Role) (*Cohort, error) {
	q, args := `SELECT `+cohortColumns+` FROM cohorts c WHERE c.id = ? AND EXISTS
		(SELECT 1 FROM cohort_trainers t WHERE t.cohort_id = c.id AND t.user_id = ?)`, []any{cohortID, viewerID}
	if viewerRole == RoleAdmin {
		q, args = `SELECT `+cohortColumns+` FROM cohorts c WHERE c.id = ?`, []any{cohortID}
	}
	c, err := scanCohort(s.db.R.QueryRowContext(ctx, q, args...))
	return c, sqlite.NotFound(err, "cohort")
}

// Members lists the members of the given cohorts by cohort, each list by name.
func (s *Service) Members(ctx context.Context, cohortIDs ...int64) (map[int64][]Member, error) {
	out := map[int64][]Member{}
	if len(cohortIDs) == 0 {
		return out, nil
	}
	ids, _ := json.Marshal(cohortIDs)
	err := sqlite.Each(ctx, s.db.R, `SELECT m.cohort_id, u.id, u.name, u.email, u.organisation, u.status, m.joined_at,
			coalesce(u.last_login_at, 0)
		FROM cohort_members m JOIN users u ON u.id = m.user_id
		WHERE m.cohort_id IN (SELECT value FROM json_each(?)) AND u.status IN (?, ?)
		ORDER BY u.name COLLATE NOCASE, u.id`, []any{string(ids), StatusApproved, StatusDisabled},
		func(scan func(...any) error) error {
			var m Member
			var status Status
			var joined, login int64
			if err := scan(&m.CohortID, &m.ID, &m.Name, &m.Email, &m.Organisation, &status, &joined, &login); err != nil {
				return err
			}
			m.Disabled = status == StatusDisabled
			m.JoinedAt, m.LastLoginAt = sqlite.Time(joined), sqlite.Time(login)
			out[m.CohortID] = append(out[m.CohortID], m)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cohort members: %w", err)
	}
	return out, nil
}

// scanFunc adapts a row's Scan to the scanner the scan helpers take.
type scanFunc func(...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }
