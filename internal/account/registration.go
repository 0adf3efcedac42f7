package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	mailer "saferspaces/internal/mail"
)

// Registration is what an applicant declares on the registration form.
type Registration struct {
	Name, Email, Organisation, Position string
	Lang                                string // de or en: the language of their e-mails and interface
	CohortCode                          string // optional join code; an unknown code is kept for the admin to see
	DeclarationVersion                  int    // the version the form showed
	IP, UserAgent                       string
}

// Field limits shared by the web form and the account layer.
const (
	MaxNameLen       = 200
	MaxEmailLen      = 254
	MaxCohortCodeLen = 64
)

// ValidEmail reports whether s is an e-mail address the platform accepts and can send mail to.
func ValidEmail(s string) bool { return wellFormedEmail(s) }

// wellFormedEmail accepts a bare address (no display name, no surrounding text) of at most 254 bytes.
func wellFormedEmail(s string) bool {
	if s == "" || len(s) > MaxEmailLen {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

func (r *Registration) normalise() error {
	r.Name = strings.TrimSpace(r.Name)
	r.Email = normalEmail(r.Email)
	r.Organisation = strings.TrimSpace(r.Organisation)
	r.Position = strings.TrimSpace(r.Position)
	r.CohortCode = strings.TrimSpace(r.CohortCode)
	var problems []string
	for _, f := range []struct{ name, v string }{{"name", r.Name}, {"organisation", r.Organisation}, {"position", r.Position}} {
		if n := utf8.RuneCountInString(f.v); n < 2 || n > MaxNameLen {
			problems = append(problems, fmt.Sprintf("%s must have 2 to %d characters", f.name, MaxNameLen))
		}
	}
	if !wellFormedEmail(r.Email) {
		problems = append(problems, "e-mail address is not valid")
	}
	if _, ok := i18n.Parse(r.Lang); !ok {
		problems = append(problems, "language must be one of "+i18n.List())
	}
	if utf8.RuneCountInString(r.CohortCode) > MaxCohortCodeLen {
		problems = append(problems, fmt.Sprintf("cohort code may have at most %d characters", MaxCohortCodeLen))
	}
	if len(problems) > 0 {
		return errs.E(errs.Invalid, "%s", strings.Join(problems, "; "))
	}
	return nil
}

// ErrStaleDeclaration is returned (as an errs.Conflict) when the form showed a declaration version
// that is no longer in force; the applicant must see and accept the new text.
var ErrStaleDeclaration = errs.E(errs.Conflict, "a newer version of the declaration has been published; please read it and submit the form again")

// Register stores an applicant as pending with their acceptance record and queues the e-mails, all
// in one transaction: a registration exists if and only if its mails are in the outbox.
//
// If the e-mail address is already known, nothing about that account changes and no mail is sent
// (only the audit log notes the attempt), and Register returns nil just the same: the caller shows
// the same page either way, so the form cannot be used to find out who has an account. No notice
// goes to the known address either: it would let anyone send unsolicited mail to a member.
func (s *Service) Register(ctx context.Context, r Registration) error {
	if err := r.normalise(); err != nil {
		return err
	}
	r.IP = clipBytes(r.IP, 64)
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := currentDeclaration(ctx, tx)
		if err != nil {
			return err
		}
		if r.DeclarationVersion != cur.Version {
			return ErrStaleDeclaration
		}
		if known, err := userByEmail(ctx, tx, r.Email); err == nil {
			return audit.Record(ctx, tx, audit.Event{At: now, Action: "registration.duplicate",
				TargetID: known.ID, Target: known.Email, Detail: "registration form sent again for a known address; nothing changed", IP: r.IP})
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}

		res, err := tx.ExecContext(ctx, `INSERT INTO users(email, name, organisation, position, lang, role, status, requested_cohort, created_at)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Email, r.Name, r.Organisation, r.Position, r.Lang, RoleLearner, StatusPending, r.CohortCode, now.Unix())
		if err != nil {
			return fmt.Errorf("insert applicant: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if err := insertAcceptance(ctx, tx, id, cur.Version, now, r.IP, r.UserAgent); err != nil {
			return err
		}

		data := mailer.Data{Name: r.Name, Email: r.Email, Organisation: r.Organisation, Position: r.Position, BaseURL: s.baseURL()}
		if err := s.enqueue(ctx, tx, mailer.KindRegistrationReceived, r.Lang, data, "", ""); err != nil {
			return err
		}
		admins, err := approvedAdmins(ctx, tx)
		if err != nil {
			return err
		}
		for _, a := range admins {
			if err := s.enqueue(ctx, tx, mailer.KindRegistrationNew, a.Lang, data, a.Email, a.Name); err != nil {
				return err
			}
		}

		detail := fmt.Sprintf("declaration v%d", cur.Version)
		if r.CohortCode != "" {
			var cohort string
			err := tx.QueryRowContext(ctx, `SELECT name FROM cohorts WHERE code = ?`, r.CohortCode).Scan(&cohort)
			switch {
			case err == nil:
				detail += fmt.Sprintf("; cohort code %q (%s)", r.CohortCode, cohort)
			case errors.Is(err, sql.ErrNoRows):
				detail += fmt.Sprintf("; unknown cohort code %q", r.CohortCode)
			default:
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: id, Actor: r.Email, Action: "registration.received",
			TargetID: id, Target: r.Email, Detail: detail, IP: r.IP})
	})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return nil
}

// baseURL is the platform's public URL without a trailing slash.
func (s *Service) baseURL() string { return strings.TrimRight(s.link(""), "/") }

// enqueue composes an e-mail and puts it into the outbox inside tx. to/toName override the
// recipient (used for mails about someone else, such as the admins' "new registration").
func (s *Service) enqueue(ctx context.Context, tx *sql.Tx, kind mailer.Kind, lang string, d mailer.Data, to, toName string) error {
	m, err := mailer.Compose(kind, i18n.OrDefault(lang), d)
	if err != nil {
		return err
	}
	if to != "" {
		m.To, m.ToName = to, strings.Join(strings.Fields(toName), " ")
	}
	if _, err := mailer.Enqueue(ctx, tx, m, s.now()); err != nil {
		return fmt.Errorf("queue %s mail: %w", kind, err)
	}
	return nil
}

type recipient struct{ Email, Name, Lang string }

// approvedAdmins are the admins who receive operational mail.
func approvedAdmins(ctx context.Context, tx *sql.Tx) ([]recipient, error) {
	rows, err := tx.QueryContext(ctx, `SELECT email, name, lang FROM users WHERE role = ? AND status = ? ORDER BY id`,
		RoleAdmin, StatusApproved)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	defer rows.Close()
	var out []recipient
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.Email, &r.Name, &r.Lang); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
