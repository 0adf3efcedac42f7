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

// Cohort is a training cycle: learners are its members, trainers lead it. A person may be a
// member of several cohorts; their progress is theirs and shows in each.
type Cohort struct {
	ID              int64
	Name            string
	Code            string // join code for the declaration form; "" if none
	Description     string
	StartsAt        time.Time // zero: no start date
	DueAt           time.Time // zero: no due date
	ArchivedAt      time.Time // zero: active; archived cohorts are read-only
	TrainersApprove bool      // its trainers may approve applicants who gave its join code
	AutoRemind      bool      // the daily job sends reminders before the due date and after inactivity
	CreatedAt       time.Time
	Members         int
	Trainers        int
}

// Archived reports whether the cohort is archived (read-only).
func (c *Cohort) Archived() bool { return !c.ArchivedAt.IsZero() }

// ErrArchived refuses a change to an archived cohort: archived cycles are kept as they ended.
var ErrArchived = errs.E(errs.Conflict, "this cohort is archived and cannot be changed; restore it first")

const cohortColumns = `c.id, c.name, coalesce(c.code, ''), c.description, coalesce(c.starts_at, 0), coalesce(c.due_at, 0),
	coalesce(c.archived_at, 0), c.trainers_approve, c.auto_remind, c.created_at,
	(SELECT count(*) FROM cohort_members m JOIN users mu ON mu.id = m.user_id
		WHERE m.cohort_id = c.id AND mu.status IN ('approved', 'disabled')),
	(SELECT count(*) FROM cohort_trainers t WHERE t.cohort_id = c.id)`

func scanCohort(row scanner) (*Cohort, error) {
	var c Cohort
	var at, starts, due, archived int64
	if err := row.Scan(&c.ID, &c.Name, &c.Code, &c.Description, &starts, &due, &archived, &c.TrainersApprove,
		&c.AutoRemind, &at, &c.Members, &c.Trainers); err != nil {
		return nil, err
	}
	c.CreatedAt, c.StartsAt, c.DueAt, c.ArchivedAt = sqlite.Time(at), sqlite.Time(starts), sqlite.Time(due), sqlite.Time(archived)
	return &c, nil
}

// unixOrNil stores a zero time as NULL.
func unixOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// CohortInput is what a cohort is created or edited with. The field tags are the form's fields.
type CohortInput struct {
	Name            string `field:"name" validate:"min=2,max=100,line"`
	Code            string `field:"code" validate:"code"`
	Description     string `field:"description" validate:"max=2000"`
	StartsAt        time.Time
	DueAt           time.Time
	TrainersApprove bool
	AutoRemind      bool
}

func (in *CohortInput) normalise() error {
	in.Name, in.Code = strings.Join(strings.Fields(in.Name), " "), strings.TrimSpace(in.Code)
	in.Description = strings.TrimSpace(strings.ReplaceAll(in.Description, "\r\n", "\n"))
	err := validate(*in, "cohort")
	fields := errs.FieldsOf(err)
	if !in.StartsAt.IsZero() && !in.DueAt.IsZero() && in.DueAt.Before(in.StartsAt) {
		fields.Add("due", "order", "the due date must not be before the start date")
	}
	if err != nil && fields == nil {
		return err
	}
	return fields.Err("cohort: %s", fields.Messages())
}

// CreateCohort creates a cohort with a name and an optional join code (the command line's
// `cohort create`); CreateCycle takes every field.
func (s *Service) CreateCohort(ctx context.Context, act audit.Actor, name, code string) (*Cohort, error) {
	return s.CreateCycle(ctx, act, CohortInput{Name: name, Code: code})
}

// CreateCycle creates a cohort on behalf of act, with its audit line in the same transaction. The
// name must be unique (ignoring case); the code is optional, unique too, and may contain only
// letters, digits, '-' and '_'.
func (s *Service) CreateCycle(ctx context.Context, act audit.Actor, in CohortInput) (*Cohort, error) {
	if err := in.normalise(); err != nil {
		return nil, err
	}
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := cohortClash(ctx, tx, 0, in.Name, in.Code); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO cohorts(name, code, description, starts_at, due_at, trainers_approve,
			auto_remind, created_at) VALUES(?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?)`,
			in.Name, in.Code, in.Description, unixOrNil(in.StartsAt), unixOrNil(in.DueAt), in.TrainersApprove, in.AutoRemind,
			s.now().Unix())
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
		if in.Code != "" {
			detail = "code " + in.Code
		}
		return audit.Log(ctx, tx, s.now(), act, "cohort.created", 0, in.Name, detail)
	})
	if err != nil {
		return nil, err
	}
	return s.CohortByID(ctx, id)
}

// cohortClash refuses a name or code that another cohort (not id) already has.
func cohortClash(ctx context.Context, tx *sql.Tx, id int64, name, code string) error {
	var clash string
	err := tx.QueryRowContext(ctx, `SELECT CASE WHEN name = ? THEN 'name' ELSE 'code' END FROM cohorts
		WHERE id <> ? AND (name = ? OR (? <> '' AND code = ?)) LIMIT 1`, name, id, name, code, code).Scan(&clash)
	switch {
	case err == nil && clash == "name":
		msg := fmt.Sprintf("a cohort named %q already exists", name)
		return &errs.Error{Kind: errs.Conflict, Message: msg, Fields: errs.Fields{{Name: "name", Code: "taken", Message: msg}}}
	case err == nil:
		msg := fmt.Sprintf("the join code %q is already used by another cohort", code)
		return &errs.Error{Kind: errs.Conflict, Message: msg, Fields: errs.Fields{{Name: "code", Code: "taken", Message: msg}}}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

// UpdateCohort renames and edits a cohort (every field of in). An archived cohort is read-only.
func (s *Service) UpdateCohort(ctx context.Context, act audit.Actor, id int64, in CohortInput) error {
	if err := in.normalise(); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		old, err := writableCohort(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := cohortClash(ctx, tx, id, in.Name, in.Code); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cohorts SET name = ?, code = NULLIF(?, ''), description = ?, starts_at = ?,
			due_at = ?, trainers_approve = ?, auto_remind = ? WHERE id = ?`, in.Name, in.Code, in.Description,
			unixOrNil(in.StartsAt), unixOrNil(in.DueAt), in.TrainersApprove, in.AutoRemind, id); err != nil {
			if sqlite.IsUnique(err) {
				return errs.Wrap(errs.Conflict, err, "a cohort with this name or join code already exists")
			}
			return err
		}
		detail := ""
		if old.Name != in.Name {
			detail = "renamed from " + old.Name
		}
		return audit.Log(ctx, tx, s.now(), act, "cohort.updated", 0, in.Name, detail)
	})
	if err != nil {
		return fmt.Errorf("update cohort %d: %w", id, err)
	}
	return nil
}

// ArchiveCohort archives a cohort (archived true) or restores it. Archiving keeps every membership
// and every report; the cohort leaves the default lists and nothing about it can be changed.
// Its join code stops working and its e-mail domains stop approving applicants.
func (s *Service) ArchiveCohort(ctx context.Context, act audit.Actor, id int64, archived bool) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := cohortIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Archived() == archived {
			return nil
		}
		at, action := any(nil), "cohort.restored"
		if archived {
			at, action = s.now().Unix(), "cohort.archived"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cohorts SET archived_at = ? WHERE id = ?`, at, id); err != nil {
			return err
		}
		return audit.Log(ctx, tx, s.now(), act, action, 0, c.Name, "")
	})
	if err != nil {
		return fmt.Errorf("archive cohort %d: %w", id, err)
	}
	return nil
}

// cohortIn reads a cohort inside tx; unknown is errs.NotFound.
func cohortIn(ctx context.Context, q querier, id int64) (*Cohort, error) {
	c, err := scanCohort(q.QueryRowContext(ctx, `SELECT `+cohortColumns+` FROM cohorts c WHERE c.id = ?`, id))
	return c, sqlite.NotFound(err, "cohort")
}

// writableCohort reads a cohort that may be changed: it exists and is not archived.
func writableCohort(ctx context.Context, q querier, id int64) (*Cohort, error) {
	c, err := cohortIn(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if c.Archived() {
		return nil, ErrArchived
	}
	return c, nil
}

// CohortByID returns the cohort or an errs.NotFound.
func (s *Service) CohortByID(ctx context.Context, id int64) (*Cohort, error) {
	return cohortIn(ctx, s.db.R, id)
}

// CohortByName returns the cohort with the name (ignoring case) or an errs.NotFound.
func (s *Service) CohortByName(ctx context.Context, name string) (*Cohort, error) {
	c, err := scanCohort(s.db.R.QueryRowContext(ctx, `SELECT `+cohortColumns+` FROM cohorts c WHERE c.name = ?`,
		strings.Join(strings.Fields(name), " ")))
	return c, sqlite.NotFound(err, "cohort")
}

// CohortByCode returns the active cohort with the join code (ignoring case) or an errs.NotFound.
func (s *Service) CohortByCode(ctx context.Context, code string) (*Cohort, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, errs.E(errs.NotFound, "cohort not found")
	}
	c, err := scanCohort(s.db.R.QueryRowContext(ctx, `SELECT `+cohortColumns+` FROM cohorts c WHERE c.code = ?
		AND c.archived_at IS NULL`, code))
	return c, sqlite.NotFound(err, "cohort")
}

// Cohorts lists the cohorts by name; archived ones only with withArchived.
func (s *Service) Cohorts(ctx context.Context, withArchived bool) ([]Cohort, error) {
	where := `c.archived_at IS NULL`
	if withArchived {
		where = `1 = 1`
	}
	return s.listCohorts(ctx, where, nil)
}

func (s *Service) listCohorts(ctx context.Context, where string, args []any) ([]Cohort, error) {
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
		return nil, fmt.Errorf("list cohorts: %w", err)
	}
	return out, nil
}

// joinCohort makes the user a member of the cohort; a member stays one (keeping the date they
// joined). Other memberships are untouched: a person may be in several cohorts.
func (s *Service) joinCohort(ctx context.Context, tx *sql.Tx, userID, cohortID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO cohort_members(cohort_id, user_id, joined_at) VALUES(?, ?, ?)`,
		cohortID, userID, s.now().Unix())
	if err != nil {
		return fmt.Errorf("join cohort: %w", err)
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
	Lang         string
	Disabled     bool // switched off by an admin: listed for the record
	RemindersOff bool // the learner asked for no reminder e-mails
	JoinedAt     time.Time
	LastLoginAt  time.Time // zero: never signed in
}

// CohortsLedBy lists, by name, the active cohorts that viewer leads (with withArchived also the
// archived ones); an admin leads every cohort.
func (s *Service) CohortsLedBy(ctx context.Context, viewerID int64, viewerRole Role, withArchived bool) ([]Cohort, error) {
	where, args := `c.id IN (SELECT cohort_id FROM cohort_trainers WHERE user_id = ?)`, []any{viewerID}
	if viewerRole == RoleAdmin {
		where, args = `1 = 1`, nil
	}
	if !withArchived {
		where += ` AND c.archived_at IS NULL`
	}
	out, err := s.listCohorts(ctx, where, args)
	if err != nil {
		return nil, fmt.Errorf("cohorts led by user %d: %w", viewerID, err)
	}
	return out, nil
}

// LedCohort returns the cohort (archived or not) if viewer leads it (an admin leads every cohort).
// A cohort that does not exist and one the viewer does not lead are both errs.NotFound, so ids
// cannot be probed.
func (s *Service) LedCohort(ctx context.Context, cohortID, viewerID int64, viewerRole Role) (*Cohort, error) {
	q, args := `SELECT `+cohortColumns+` FROM cohorts c WHERE c.id = ? AND EXISTS
		(SELECT 1 FROM cohort_trainers t WHERE t.cohort_id = c.id AND t.user_id = ?)`, []any{cohortID, viewerID}
	if viewerRole == RoleAdmin {
		q, args = `SELECT `+cohortColumns+` FROM cohorts c WHERE c.id = ?`, []any{cohortID}
	}
	c, err := scanCohort(s.db.R.QueryRowContext(ctx, q, args...))
	return c, sqlite.NotFound(err, "cohort")
}

const memberColumns = `m.cohort_id, u.id, u.name, u.email, u.organisation, u.lang, u.status, u.reminders_off, m.joined_at,
	coalesce(u.last_login_at, 0)`

func scanMember(scan func(...any) error) (Member, error) {
	var m Member
	var status Status
	var joined, login int64
	if err := scan(&m.CohortID, &m.ID, &m.Name, &m.Email, &m.Organisation, &m.Lang, &status, &m.RemindersOff, &joined, &login); err != nil {
		return m, err
	}
	m.Disabled = status == StatusDisabled
	m.JoinedAt, m.LastLoginAt = sqlite.Time(joined), sqlite.Time(login)
	return m, nil
}

// Members lists the members of the given cohorts by cohort, each list by name.
func (s *Service) Members(ctx context.Context, cohortIDs ...int64) (map[int64][]Member, error) {
	out := map[int64][]Member{}
	if len(cohortIDs) == 0 {
		return out, nil
	}
	ids, _ := json.Marshal(cohortIDs)
	err := sqlite.Each(ctx, s.db.R, `SELECT `+memberColumns+`
		FROM cohort_members m JOIN users u ON u.id = m.user_id
		WHERE m.cohort_id IN (SELECT value FROM json_each(?)) AND u.status IN (?, ?)
		ORDER BY u.name COLLATE NOCASE, u.id`, []any{string(ids), StatusApproved, StatusDisabled},
		func(scan func(...any) error) error {
			m, err := scanMember(scan)
			if err == nil {
				out[m.CohortID] = append(out[m.CohortID], m)
			}
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("cohort members: %w", err)
	}
	return out, nil
}

// EachMember calls fn for every member of the cohort, in no particular order, streaming the rows:
// a cohort of any size costs one query and no list in memory.
func (s *Service) EachMember(ctx context.Context, cohortID int64, fn func(Member) error) error {
	err := sqlite.Each(ctx, s.db.R, `SELECT `+memberColumns+`
		FROM cohort_members m JOIN users u ON u.id = m.user_id
		WHERE m.cohort_id = ? AND u.status IN (?, ?)`, []any{cohortID, StatusApproved, StatusDisabled},
		func(scan func(...any) error) error {
			m, err := scanMember(scan)
			if err != nil {
				return err
			}
			return fn(m)
		})
	if err != nil {
		return fmt.Errorf("cohort %d members: %w", cohortID, err)
	}
	return nil
}

// Member returns one member of a cohort, or errs.NotFound if the user is not (or no longer) one.
func (s *Service) Member(ctx context.Context, cohortID, userID int64) (*Member, error) {
	var m Member
	var err error
	row := s.db.R.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM cohort_members m JOIN users u ON u.id = m.user_id
		WHERE m.cohort_id = ? AND m.user_id = ? AND u.status IN (?, ?)`, cohortID, userID, StatusApproved, StatusDisabled)
	m, err = scanMember(row.Scan)
	if err != nil {
		return nil, sqlite.NotFound(err, "member")
	}
	return &m, nil
}

// scanFunc adapts a row's Scan to the scanner the scan helpers take.
type scanFunc func(...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// EachLearner calls fn for every approved or disabled learner of the platform (in or out of
// cohorts), for the admins' team coverage; CohortID is 0.
func (s *Service) EachLearner(ctx context.Context, fn func(Member) error) error {
	err := sqlite.Each(ctx, s.db.R, `SELECT 0, u.id, u.name, u.email, u.organisation, u.lang, u.status, u.reminders_off,
			u.created_at, coalesce(u.last_login_at, 0)
		FROM users u WHERE u.role = ? AND u.status IN (?, ?)`, []any{RoleLearner, StatusApproved, StatusDisabled},
		func(scan func(...any) error) error {
			m, err := scanMember(scan)
			if err != nil {
				return err
			}
			return fn(m)
		})
	if err != nil {
		return fmt.Errorf("learners: %w", err)
	}
	return nil
}
