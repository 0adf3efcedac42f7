package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/i18n"
	mailer "saferspaces/internal/mail"
	"saferspaces/internal/paths"
)

// Retention rules of the gate's own tables, run by package retention (saferspaces purge and the
// daily run of serve). Each takes its cut-off times from the caller, reports how many people or
// rows it concerned, and with dryRun only counts.

// lastActive is when an account was last used: its last sign-in, else its activation, its
// approval or its registration.
const lastActive = `max(u.created_at, coalesce(u.decided_at, 0), coalesce(u.activated_at, 0), coalesce(u.last_login_at, 0))`

// Inactivity is the rule for accounts nobody uses: approved accounts are warned by e-mail, then
// approved and disabled accounts are anonymised (their data erased, their certificates kept
// without a name).
type Inactivity struct {
	WarnBefore   time.Time // warn approved accounts last active before this
	EraseBefore  time.Time // anonymise accounts last active before this …
	WarnedBefore time.Time // … whose warning went out before this (zero: no warning needed)
	// AnonymiseOn says when an account last active at t will be anonymised (for the warning).
	AnonymiseOn func(lastActive time.Time) time.Time
	Date        func(lang i18n.Lang, t time.Time) string // the date as the warning writes it
}

// WarnInactive mails the inactivity warning to every approved account that is due for one and has
// not been warned since it was last active.
func (s *Service) WarnInactive(ctx context.Context, rule Inactivity, dryRun bool) (int, error) {
	type due struct {
		u    *User
		last int64
	}
	var list []due
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+userColumns+`, `+lastActive+userFrom+`
		WHERE u.status = ? AND `+lastActive+` < ? AND (u.inactivity_warned_at IS NULL OR u.inactivity_warned_at < `+lastActive+`)
		ORDER BY u.id`, StatusApproved, rule.WarnBefore.Unix())
	if err != nil {
		return 0, fmt.Errorf("inactive accounts: %w", err)
	}
	for rows.Next() {
		var d due
		if d.u, err = scanUser(withExtra{rows, []any{&d.last}}); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || dryRun {
		return len(list), err
	}
	now := s.now()
	for _, d := range list {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			lang := i18n.OrDefault(d.u.Lang)
			on := rule.AnonymiseOn(time.Unix(d.last, 0))
			if !rule.WarnedBefore.IsZero() {
				// Anonymisation waits for the warning's full period, however late it goes out.
				on = maxTime(on, now.Add(now.Sub(rule.WarnedBefore)))
			}
			if err := s.enqueue(ctx, tx, mailer.KindInactivityWarning, d.u.Lang, mailer.Data{Name: d.u.Name, Email: d.u.Email,
				Date: rule.Date(lang, on), BaseURL: s.baseURL(), Link: s.link(paths.Login)}, "", ""); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET inactivity_warned_at = ? WHERE id = ?`, now.Unix(), d.u.ID); err != nil {
				return err
			}
			return audit.Log(ctx, tx, now, audit.System, "retention.warned", d.u.ID, d.u.Email,
				"anonymisation on "+on.UTC().Format(time.DateOnly)+" unless the account signs in")
		})
		if err != nil {
			return 0, fmt.Errorf("warn user %d: %w", d.u.ID, err)
		}
	}
	return len(list), nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// AnonymiseInactive anonymises the accounts the rule says are due. The last active admin is never
// anonymised; kept counts such accounts.
func (s *Service) AnonymiseInactive(ctx context.Context, rule Inactivity, dryRun bool) (done, kept int, err error) {
	warned := `u.status = ? OR ?`
	ids, err := s.ids(ctx, `SELECT u.id FROM users u WHERE u.status IN (?, ?) AND `+lastActive+` < ?
		AND (`+warned+` OR (u.inactivity_warned_at >= `+lastActive+` AND u.inactivity_warned_at < ?)) ORDER BY u.id`,
		StatusApproved, StatusDisabled, rule.EraseBefore.Unix(), StatusDisabled, rule.WarnedBefore.IsZero(), rule.WarnedBefore.Unix())
	if err != nil {
		return 0, 0, err
	}
	if dryRun {
		for _, id := range ids {
			u, err := userByID(ctx, s.db.R, id)
			if err != nil {
				return done, kept, err
			}
			var others int
			if u.Role == RoleAdmin && u.Status == StatusApproved {
				if err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = ? AND status = ? AND id <> ?`,
					RoleAdmin, StatusApproved, id).Scan(&others); err != nil {
					return done, kept, err
				}
				if others == 0 {
					kept++
					continue
				}
			}
			done++
		}
		return done, kept, nil
	}
	for _, id := range ids {
		err := s.erase(ctx, audit.System, id, "user.anonymised", false, StatusApproved, StatusDisabled)
		switch {
		case errors.Is(err, ErrLastAdmin):
			kept++
		case err != nil:
			return done, kept, err
		default:
			done++
		}
	}
	return done, kept, nil
}

// PurgeApplicants deletes applicants who never got in: rejected ones decided before
// rejectedBefore and pending ones registered before undecidedBefore (zero times switch a rule
// off). Their rows go completely; the audit log keeps "applicant #ID".
func (s *Service) PurgeApplicants(ctx context.Context, rejectedBefore, undecidedBefore time.Time, dryRun bool) (rejected, undecided int, err error) {
	for _, r := range []struct {
		status Status
		col    string
		before time.Time
		n      *int
	}{
		{StatusRejected, "coalesce(decided_at, created_at)", rejectedBefore, &rejected},
		{StatusPending, "created_at", undecidedBefore, &undecided},
	} {
		if r.before.IsZero() {
			continue
		}
		ids, err := s.ids(ctx, `SELECT id FROM users WHERE status = ? AND `+r.col+` < ? ORDER BY id`, r.status, r.before.Unix())
		if err != nil {
			return rejected, undecided, err
		}
		if dryRun {
			*r.n = len(ids)
			continue
		}
		for _, id := range ids {
			if err := s.erase(ctx, audit.System, id, "applicant.deleted", true, r.status); err != nil {
				return rejected, undecided, err
			}
			*r.n++
		}
	}
	return rejected, undecided, nil
}

// PurgeAcceptances deletes declaration acceptance records made before before, except the newest
// of each account that is not erased: it is the proof for the access that still exists.
func (s *Service) PurgeAcceptances(ctx context.Context, before time.Time, dryRun bool) (int, error) {
	where := ` WHERE accepted_at < ? AND id NOT IN (SELECT max(a.id) FROM declaration_acceptances a
		JOIN users u ON u.id = a.user_id WHERE u.status <> ? GROUP BY a.user_id)`
	if dryRun {
		var n int
		err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM declaration_acceptances`+where, before.Unix(), StatusErased).Scan(&n)
		return n, err
	}
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM declaration_acceptances`+where, before.Unix(), StatusErased)
	if err != nil {
		return 0, fmt.Errorf("purge acceptances: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (s *Service) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
