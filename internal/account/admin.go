package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	mailer "saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
)

// Admin actions refused because of the state they would lead to (all errs.Conflict).
var (
	ErrWrongStatus  = errs.E(errs.Conflict, "this action is not possible for the account in its current state")
	ErrLastAdmin    = errs.E(errs.Conflict, "this is the last active administrator; make someone else an administrator first")
	ErrOwnAdminRole = errs.E(errs.Conflict, "you cannot remove your own admin role")
	ErrOwnAccount   = errs.E(errs.Conflict, "you cannot do this to your own account")
	ErrNoSuchCohort = errs.E(errs.Invalid, "this cohort does not exist")
)

// Applicant is a pending registration as the admin reviews it.
type Applicant struct {
	User
	Acceptance AcceptanceRecord // the declaration acceptance sent with the registration
	// The cohort whose join code the applicant gave; 0 if they gave none or an unknown one
	// (RequestedCohort then holds the code as typed, for the admin to see).
	RequestedCohortID   int64
	RequestedCohortName string
}

// UnknownCohortCode reports whether the applicant gave a join code that matches no cohort.
func (a *Applicant) UnknownCohortCode() bool {
	return a.RequestedCohort != "" && a.RequestedCohortID == 0
}

// PendingCount is the number of applicants waiting for a decision.
func (s *Service) PendingCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE status = ?`, StatusPending).Scan(&n); err != nil {
		return 0, fmt.Errorf("count registrations: %w", err)
	}
	return n, nil
}

// PendingRegistrations lists one page of the applicants waiting for a decision, oldest first
// (limit ≤ 0: all), and how many are waiting in all.
func (s *Service) PendingRegistrations(ctx context.Context, limit, offset int) ([]Applicant, int, error) {
	var total int
	if err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE status = ?`, StatusPending).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count registrations: %w", err)
	}
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+userColumns+`,
			coalesce(a.version, 0), coalesce(a.accepted_at, 0), coalesce(a.ip, ''), coalesce(a.user_agent, ''),
			coalesce(rc.id, 0), coalesce(rc.name, '')`+userFrom+`
		LEFT JOIN declaration_acceptances a ON a.id = (SELECT min(id) FROM declaration_acceptances WHERE user_id = u.id)
		LEFT JOIN cohorts rc ON u.requested_cohort <> '' AND rc.code = u.requested_cohort AND rc.archived_at IS NULL
		WHERE u.status = ? ORDER BY u.created_at, u.id LIMIT ? OFFSET ?`, StatusPending, limit, max(offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("list registrations: %w", err)
	}
	defer rows.Close()
	var out []Applicant
	for rows.Next() {
		var a Applicant
		var at int64
		u, err := scanUser(withExtra{rows, []any{&a.Acceptance.Version, &at, &a.Acceptance.IP, &a.Acceptance.UserAgent,
			&a.RequestedCohortID, &a.RequestedCohortName}})
		if err != nil {
			return nil, 0, fmt.Errorf("list registrations: %w", err)
		}
		a.User = *u
		a.Acceptance.AcceptedAt = sqlite.Time(at)
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// withExtra lets scanUser read a row that has more columns after userColumns.
type withExtra struct {
	row   scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// decide loads the user inside tx for an admin decision and checks their status is one of allowed.
func decide(ctx context.Context, tx *sql.Tx, userID int64, allowed ...Status) (*User, error) {
	u, err := userByID(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	for _, st := range allowed {
		if u.Status == st {
			return u, nil
		}
	}
	return nil, fmt.Errorf("user %d is %s: %w", u.ID, u.Status, ErrWrongStatus)
}

// Approve approves a pending (or earlier rejected) applicant and issues their access credential:
// an activation link valid for 72 hours, sent in the applicant's language. With cohortID != 0 the
// applicant joins that cohort. Everything happens in one transaction.
func (s *Service) Approve(ctx context.Context, act audit.Actor, userID, cohortID int64) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := decide(ctx, tx, userID, StatusPending, StatusRejected)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ?, decided_at = ?, decided_by = NULLIF(?, 0), reject_reason = ''
			WHERE id = ?`, StatusApproved, now.Unix(), act.ID, u.ID); err != nil {
			return err
		}
		detail := ""
		if cohortID != 0 {
			name, err := joinableCohort(ctx, tx, cohortID)
			if err != nil {
				return err
			}
			if err := s.joinCohort(ctx, tx, u.ID, cohortID); err != nil {
				return err
			}
			detail = "cohort " + name
		}
		// Someone who registered through the identity provider signs in there: no password link.
		sso, err := linked(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if sso {
			err = s.enqueue(ctx, tx, mailer.KindSSOApproved, u.Lang, mailer.Data{Name: u.Name, Email: u.Email, BaseURL: s.baseURL()}, "", "")
		} else {
			err = s.sendActivation(ctx, tx, u, false)
		}
		if err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "registration.approved", u.ID, u.Email, detail)
	})
	if err != nil {
		return fmt.Errorf("approve user %d: %w", userID, err)
	}
	return nil
}

// sendActivation issues a fresh activation token (voiding older ones) and queues its e-mail;
// public when the person asked for it on the public form.
func (s *Service) sendActivation(ctx context.Context, tx *sql.Tx, u *User, public bool) error {
	raw, err := s.IssueToken(ctx, tx, u.ID, PurposeActivation, ActivationTTL)
	if err != nil {
		return err
	}
	return s.queueMail(ctx, tx, mailer.KindActivation, u.Lang, mailer.Data{Name: u.Name, Email: u.Email,
		Link: s.tokenLink(PurposeActivation, raw), BaseURL: s.baseURL()}, "", "", public)
}

// joinableCohort is the name of the cohort people may join: it exists (else ErrNoSuchCohort)
// and is not archived (else ErrArchived).
func joinableCohort(ctx context.Context, q querier, id int64) (string, error) {
	var name string
	var archived bool
	err := q.QueryRowContext(ctx, `SELECT name, archived_at IS NOT NULL FROM cohorts WHERE id = ?`, id).Scan(&name, &archived)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", ErrNoSuchCohort
		}
		return "", err
	}
	if archived {
		return "", ErrArchived
	}
	return name, nil
}

// Reject refuses a pending applicant with a reason, which is sent to them.
func (s *Service) Reject(ctx context.Context, act audit.Actor, userID int64, reason string) error {
	reason = normalText(reason)
	if err := validate(rejection{Reason: reason}, "rejection"); err != nil {
		return err
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := decide(ctx, tx, userID, StatusPending)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ?, decided_at = ?, decided_by = NULLIF(?, 0), reject_reason = ?
			WHERE id = ?`, StatusRejected, now.Unix(), act.ID, reason, u.ID); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, mailer.KindRejected, u.Lang, mailer.Data{Name: u.Name, Email: u.Email,
			Reason: reason, BaseURL: s.baseURL()}, "", ""); err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "registration.rejected", u.ID, u.Email, reason)
	})
	if err != nil {
		return fmt.Errorf("reject user %d: %w", userID, err)
	}
	return nil
}

// ResendCredential sends an approved user a new activation link; the previous link stops working.
// It works for users who have already activated too: the link then lets them set a new password,
// which is how an admin helps someone whose reset mail does not arrive — without ever seeing or
// choosing the password.
func (s *Service) ResendCredential(ctx context.Context, act audit.Actor, userID int64) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := decide(ctx, tx, userID, StatusApproved)
		if err != nil {
			return err
		}
		if err := s.sendActivation(ctx, tx, u, false); err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "credential.resent", u.ID, u.Email, "")
	})
	if err != nil {
		return fmt.Errorf("resend credential to user %d: %w", userID, err)
	}
	return nil
}

// SetRole changes a user's role. An admin cannot take away their own admin role, and the last
// active admin cannot be demoted, so the platform never ends up without an administrator. A user
// who is no longer trainer or admin stops leading cohorts. The user's sessions end.
func (s *Service) SetRole(ctx context.Context, act audit.Actor, userID int64, role Role) error {
	switch role {
	case RoleLearner, RoleTrainer, RoleAdmin:
	default:
		return errs.E(errs.Invalid, "unknown role %q", role)
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := decide(ctx, tx, userID, StatusPending, StatusApproved, StatusRejected, StatusDisabled)
		if err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		if u.Role == RoleAdmin {
			if u.ID == act.ID {
				return ErrOwnAdminRole
			}
			if err := keepOneAdmin(ctx, tx, u); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, role, u.ID); err != nil {
			return err
		}
		if role == RoleLearner {
			if _, err := tx.ExecContext(ctx, `DELETE FROM cohort_trainers WHERE user_id = ?`, u.ID); err != nil {
				return err
			}
		}
		// A new role starts with a new sign-in: a learner made admin or trainer must enrol a second
		// factor before they use it, which their running session (signed in with the password
		// alone) would otherwise skip.
		if err := s.RevokeUser(ctx, tx, u.ID, nil); err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "user.role", u.ID, u.Email, string(u.Role+" → "+role))
	})
	if err != nil {
		return fmt.Errorf("set role of user %d: %w", userID, err)
	}
	return nil
}

// keepOneAdmin refuses to take u (an admin) away if they are the last active one.
func keepOneAdmin(ctx context.Context, tx *sql.Tx, u *User) error {
	if u.Role != RoleAdmin || u.Status != StatusApproved {
		return nil
	}
	var others int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = ? AND status = ? AND id <> ?`,
		RoleAdmin, StatusApproved, u.ID).Scan(&others)
	if err != nil {
		return err
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// SetUserCohort puts a user into a further cohort (a person may be in several); with cohortID 0
// it takes them out of every active cohort (archived cohorts keep their members as they ended).
func (s *Service) SetUserCohort(ctx context.Context, act audit.Actor, userID, cohortID int64) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := decide(ctx, tx, userID, StatusPending, StatusApproved, StatusRejected, StatusDisabled)
		if err != nil {
			return err
		}
		detail := "no cohort"
		if cohortID == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM cohort_members WHERE user_id = ?
				AND cohort_id IN (SELECT id FROM cohorts WHERE archived_at IS NULL)`, u.ID); err != nil {
				return err
			}
		} else {
			name, err := joinableCohort(ctx, tx, cohortID)
			if err != nil {
				return err
			}
			if err := s.joinCohort(ctx, tx, u.ID, cohortID); err != nil {
				return err
			}
			detail = "cohort " + name
		}
		return audit.Log(ctx, tx, now, act, "user.cohort", u.ID, u.Email, detail)
	})
	if err != nil {
		return fmt.Errorf("set cohort of user %d: %w", userID, err)
	}
	return nil
}

// UserQuery filters the admin's user list. Empty fields match everything; erased accounts are
// listed only when Status asks for them.
type UserQuery struct {
	Text     string // part of name, e-mail or organisation
	Role     Role
	Status   Status
	CohortID int64
	Limit    int
	Offset   int
}

// SearchUsers returns one page of users, newest first, and the number of matches.
func (s *Service) SearchUsers(ctx context.Context, q UserQuery) ([]User, int, error) {
	var where []string
	var args []any
	if t := strings.TrimSpace(q.Text); t != "" {
		like := "%" + escapeLike(t) + "%"
		where = append(where, `(u.name LIKE ? ESCAPE '\' OR u.email LIKE ? ESCAPE '\' OR u.organisation LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	if q.Role != "" {
		where = append(where, "u.role = ?")
		args = append(args, q.Role)
	}
	if q.Status != "" {
		where = append(where, "u.status = ?")
		args = append(args, q.Status)
	} else {
		where = append(where, "u.status <> ?")
		args = append(args, StatusErased)
	}
	if q.CohortID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM cohort_members mf WHERE mf.user_id = u.id AND mf.cohort_id = ?)")
		args = append(args, q.CohortID)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 50
	}
	q.Offset = max(q.Offset, 0)

	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT count(*)"+userFrom+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+userColumns+userFrom+cond+" ORDER BY u.created_at DESC, u.id DESC LIMIT ? OFFSET ?",
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("search users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("search users: %w", err)
		}
		out = append(out, *u)
	}
	return out, total, rows.Err()
}

// escapeLike makes s match literally inside a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
