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

// NewAccount is an account an operator creates directly (command line, demo, import): it is
// approved at once, without a declaration form. The field tags are the command line's flags.
type NewAccount struct {
	Email        string `field:"email" validate:"mailbox"`
	Name         string `field:"name" validate:"min=2,max=200,line"`
	Organisation string `field:"organisation" validate:"max=200,line"`
	Position     string `field:"position" validate:"max=200,line"`
	Role         Role   `field:"role" validate:"role"` // learner (default), trainer or admin
	Lang         string `field:"lang" validate:"lang"` // the language of the activation e-mail and the interface (default: the platform's)
	Cohort       string `field:"cohort"`               // cohort name; a learner joins it, a trainer or admin leads it; "" for none
}

func (a *NewAccount) normalise() error {
	a.Email = normalEmail(a.Email)
	a.Name = strings.TrimSpace(a.Name)
	a.Organisation = strings.TrimSpace(a.Organisation)
	a.Position = strings.TrimSpace(a.Position)
	a.Cohort = strings.TrimSpace(a.Cohort)
	if a.Role == "" {
		a.Role = RoleLearner
	}
	if a.Lang == "" {
		a.Lang = string(i18n.Default)
	}
	if err := validate(a, "account"); err != nil {
		return err
	}
	a.Name = strings.Join(strings.Fields(a.Name), " ")
	return nil
}

// CreateAccount creates an approved account, puts it into its cohort, issues its activation link
// (valid 72 hours) and queues the activation e-mail, all in one transaction, audited as
// "user.created" by actor (e.g. "cli"). It returns the user and the link. An address that is
// already registered is an errs.Conflict; an unknown cohort an errs.Invalid that says how to create it.
func (s *Service) CreateAccount(ctx context.Context, act audit.Actor, in NewAccount) (*User, string, error) {
	if err := in.normalise(); err != nil {
		return nil, "", err
	}
	var id int64
	var link string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = s.insertApproved(ctx, tx, in); err != nil {
			return err
		}
		raw, err := s.IssueToken(ctx, tx, id, PurposeActivation, ActivationTTL)
		if err != nil {
			return err
		}
		link = s.tokenLink(PurposeActivation, raw)
		if err := s.enqueue(ctx, tx, mailer.KindActivation, in.Lang, mailer.Data{Name: in.Name, Email: in.Email,
			Link: link, BaseURL: s.baseURL()}, "", ""); err != nil {
			return err
		}
		detail := "role " + string(in.Role)
		if in.Cohort != "" {
			detail += "; cohort " + in.Cohort
		}
		return audit.Log(ctx, tx, s.now(), act, "user.created", id, in.Email, detail)
	})
	if err != nil {
		return nil, "", err
	}
	u, err := userByID(ctx, s.db.R, id)
	return u, link, err
}

// insertApproved inserts the (normalised) account as approved and places it in its cohort.
func (s *Service) insertApproved(ctx context.Context, tx *sql.Tx, in NewAccount) (int64, error) {
	if _, err := userByEmail(ctx, tx, in.Email); err == nil {
		return 0, errs.E(errs.Conflict, "an account with the e-mail address %s already exists", in.Email)
	} else if !errs.Is(err, errs.NotFound) {
		return 0, err
	}
	var cohortID int64
	if in.Cohort != "" {
		err := tx.QueryRowContext(ctx, `SELECT id FROM cohorts WHERE name = ?`, in.Cohort).Scan(&cohortID)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, errs.E(errs.Invalid, "cohort %q does not exist; create it first with: saferspaces cohort create --name %q",
				in.Cohort, in.Cohort)
		}
		if err != nil {
			return 0, err
		}
	}
	now := s.now().Unix()
	res, err := tx.ExecContext(ctx, `INSERT INTO users(email, name, organisation, position, lang, role, status, created_at, decided_at)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.Email, in.Name, in.Organisation, in.Position, in.Lang, in.Role, StatusApproved, now, now)
	if err != nil {
		return 0, fmt.Errorf("create account: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if cohortID != 0 {
		if in.Role == RoleLearner {
			err = s.joinCohort(ctx, tx, id, cohortID)
		} else {
			err = s.addTrainer(ctx, tx, cohortID, id)
		}
	}
	return id, err
}
