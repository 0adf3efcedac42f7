package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	mailer "saferspaces/internal/mail"
)

// Registration is what an applicant declares on the registration form. The field tags are the
// form's field names (SPEC); the rules are the gate's, see validate.go.
type Registration struct {
	Name               string `field:"name" validate:"min=2,max=200,line"`
	Email              string `field:"email" validate:"mailbox"`
	Organisation       string `field:"organisation" validate:"min=2,max=200,line"`
	Position           string `field:"position" validate:"min=2,max=200,line"`
	Lang               string `field:"language" validate:"lang"` // the language of their e-mails and interface
	CohortCode         string `field:"cohort_code" validate:"max=64,line"`
	Accepted           bool   `field:"accept" validate:"eq=true"` // the declaration's box was ticked
	DeclarationVersion int    // the version the form showed
	IP, UserAgent      string
}

// normalise trims the fields and checks them; runs of spaces inside a name become one space only
// after the check, which refuses line breaks instead of silently joining the lines.
func (r *Registration) normalise() error {
	r.Name = strings.TrimSpace(r.Name)
	r.Email = normalEmail(r.Email)
	r.Organisation = strings.TrimSpace(r.Organisation)
	r.Position = strings.TrimSpace(r.Position)
	r.CohortCode = strings.TrimSpace(r.CohortCode)
	if err := validate(r, "registration"); err != nil {
		return err
	}
	r.Name = strings.Join(strings.Fields(r.Name), " ")
	return nil
}

// CheckRegistration applies the form's rules without storing anything, so that the web layer can
// count only well-formed registrations against its abuse limits.
func CheckRegistration(r Registration) error { return r.normalise() }

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
		// An address of a domain an admin listed for a cohort is approved into it at once.
		if cohortID, cohort, err := domainCohort(ctx, tx, r.Email); err != nil {
			return err
		} else if cohortID != 0 {
			return s.approveByDomain(ctx, tx, id, cohortID, cohort, r.IP, now)
		}

		data := mailer.Data{Name: r.Name, Email: r.Email, Organisation: r.Organisation, Position: r.Position, BaseURL: s.baseURL()}
		if err := s.enqueuePublic(ctx, tx, mailer.KindRegistrationReceived, r.Lang, data, "", ""); err != nil {
			return err
		}
		admins, err := approvedAdmins(ctx, tx)
		if err != nil {
			return err
		}
		for _, a := range admins {
			// Not counted against the public forms' hourly cap: it goes to the platform's own
			// admins, and with several of them it would use the cap up several times faster —
			// a few dozen colleagues registering would close password reset for everyone.
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
	return s.queueMail(ctx, tx, kind, lang, d, to, toName, false)
}

// enqueuePublic is enqueue for the mail of a public form (a registration, a requested link): it
// counts against the hourly cap on such mail (mail.Message.Public).
func (s *Service) enqueuePublic(ctx context.Context, tx *sql.Tx, kind mailer.Kind, lang string, d mailer.Data, to, toName string) error {
	return s.queueMail(ctx, tx, kind, lang, d, to, toName, true)
}

func (s *Service) queueMail(ctx context.Context, tx *sql.Tx, kind mailer.Kind, lang string, d mailer.Data, to, toName string, public bool) error {
	d.Contact = s.contact
	m, err := mailer.Compose(kind, i18n.OrDefault(lang), d)
	if err != nil {
		return err
	}
	if to != "" {
		m.To, m.ToName = to, strings.Join(strings.Fields(toName), " ")
	}
	m.Public = public
	if _, err := mailer.Enqueue(ctx, tx, m, s.now()); err != nil {
		return fmt.Errorf("queue %s mail: %w", kind, err)
	}
	return nil
}

type recipient struct{ Email, Name, Lang string }

// AdminContacts are the approved admins, who receive operational mail when there is no contact
// address (accessibility feedback), read in the caller's transaction.
func AdminContacts(ctx context.Context, tx *sql.Tx) ([]Contact, error) {
	rs, err := approvedAdmins(ctx, tx)
	out := make([]Contact, len(rs))
	for i, r := range rs {
		out[i] = Contact{Name: r.Name, Email: r.Email, Lang: i18n.OrDefault(r.Lang)}
	}
	return out, err
}

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
