package account

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"saferspaces/internal/i18n"
	"saferspaces/internal/sqlite"
)

// Role is what a user may do on the platform.
type Role string

// Roles.
const (
	RoleLearner Role = "learner"
	RoleTrainer Role = "trainer"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, from least to most power.
func Roles() []Role { return []Role{RoleLearner, RoleTrainer, RoleAdmin} }

// Valid reports whether r is a role of the platform.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Leads reports whether the role may lead cohorts: trainers and admins.
func (r Role) Leads() bool { return r == RoleTrainer || r == RoleAdmin }

// Status is where an account stands, from applicant to erased.
type Status string

// Statuses of an account.
const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusRejected Status = "rejected"
	StatusDisabled Status = "disabled"
	StatusErased   Status = "erased"
)

// User is a person known to the platform, from applicant to admin.
type User struct {
	ID              int64
	Email           string
	Name            string
	Organisation    string
	Position        string
	Lang            string
	Role            Role
	Status          Status
	PasswordHash    string
	RequestedCohort string
	RejectReason    string
	CreatedAt       time.Time
	DecidedAt       time.Time
	ActivatedAt     time.Time
	LastLoginAt     time.Time
	CohortID        int64 // 0: no cohort
	CohortName      string
}

// Active reports whether the user may sign in: approved, and activated — with a password set, or
// by a first sign-in through the identity provider (single sign-on, sso.go).
func (u *User) Active() bool {
	return u.Status == StatusApproved && (u.PasswordHash != "" || !u.ActivatedAt.IsZero())
}

const userColumns = `u.id, u.email, u.name, u.organisation, u.position, u.lang, u.role, u.status, u.password_hash,
	u.requested_cohort, u.reject_reason, u.created_at, coalesce(u.decided_at, 0), coalesce(u.activated_at, 0),
	coalesce(u.last_login_at, 0), coalesce(cm.cohort_id, 0), coalesce(c.name, '')`

const userFrom = ` FROM users u LEFT JOIN cohort_members cm ON cm.user_id = u.id LEFT JOIN cohorts c ON c.id = cm.cohort_id`

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (*User, error) {
	var u User
	var created, decided, activated, lastLogin int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Organisation, &u.Position, &u.Lang, &u.Role, &u.Status, &u.PasswordHash,
		&u.RequestedCohort, &u.RejectReason, &created, &decided, &activated, &lastLogin, &u.CohortID, &u.CohortName)
	if err != nil {
		return nil, err
	}
	u.CreatedAt = sqlite.Time(created)
	u.DecidedAt = sqlite.Time(decided)
	u.ActivatedAt = sqlite.Time(activated)
	u.LastLoginAt = sqlite.Time(lastLogin)
	return &u, nil
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// UserByID returns the user with id, or an errs.NotFound.
func (s *Service) UserByID(ctx context.Context, id int64) (*User, error) {
	return userByID(ctx, s.db.R, id)
}

func userByID(ctx context.Context, q querier, id int64) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+userFrom+" WHERE u.id = ?", id))
	return u, sqlite.NotFound(err, "user")
}

// UserByEmail returns the user with the e-mail address (case-insensitive), or an errs.NotFound.
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	return userByEmail(ctx, s.db.R, email)
}

func userByEmail(ctx context.Context, q querier, email string) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+userFrom+" WHERE u.email = ?", normalEmail(email)))
	return u, sqlite.NotFound(err, "user")
}

// Contact is how to write to a user about their own learning.
type Contact struct {
	Name  string
	Email string
	Lang  i18n.Lang
}

// ContactOf returns how to reach a user, for mail and pages about their learning, in q (a
// transaction of the caller's or the read pool). ok is false for an erased user: nothing may be
// sent to, or confirmed about, a person whose data is gone.
func ContactOf(ctx context.Context, q querier, userID int64) (c Contact, ok bool, err error) {
	var lang string
	var status Status
	err = q.QueryRowContext(ctx, `SELECT name, email, lang, status FROM users WHERE id = ?`, userID).
		Scan(&c.Name, &c.Email, &lang, &status)
	if err != nil {
		return Contact{}, false, sqlite.NotFound(err, "user")
	}
	c.Lang = i18n.OrDefault(lang)
	return c, status != StatusErased, nil
}
