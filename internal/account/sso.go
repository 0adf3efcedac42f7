package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	mailer "saferspaces/internal/mail"
	"saferspaces/internal/sqlite"
)

// Single sign-on: the web layer speaks OpenID Connect with the provider and hands the verified
// result here as an Identity. An identity is linked to an account once, by the provider's issuer
// and its subject identifier; the first link is made only through an e-mail address the provider
// says it has verified. Someone the platform does not know yet becomes an applicant who accepts
// the declaration and waits for approval like everyone else. The second factor of people who sign
// in this way is the provider's business.

// Identity is a person as the identity provider vouches for them, from a verified ID token.
type Identity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name            string
}

// SSOResult is where a sign-in through the provider leads.
type SSOResult int

// Results of SSOSignIn.
const (
	SSOSignedIn     SSOResult = iota + 1 // an active account: sign in
	SSONewApplicant                      // nobody with this address: they may register (RegisterSSO)
	SSOPending                           // an applicant waiting for approval
	SSORefused                           // rejected, disabled or erased: no sign-in
)

// ErrUnverifiedEmail: the provider has not verified the address, so it cannot link or register.
var ErrUnverifiedEmail = errs.E(errs.Forbidden, "the identity provider has not verified this e-mail address")

// SSOSignIn decides what a verified identity may do: sign in to its linked account, be linked to
// the account with its verified address, register, or wait.
func (s *Service) SSOSignIn(ctx context.Context, id Identity, ip string) (*User, SSOResult, error) {
	id.Email = clipBytes(normalEmail(id.Email), MaxEmailLen)
	ip = clipBytes(ip, 64)
	now := s.now()
	var u *User
	result := SSORefused
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM user_identities WHERE issuer = ? AND subject = ?`,
			id.Issuer, id.Subject).Scan(&userID)
		switch {
		case err == nil:
			if u, err = userByID(ctx, tx, userID); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		case !id.EmailVerified || id.Email == "":
			return audit.Record(ctx, tx, audit.Event{At: now, Actor: id.Email, Action: "sso.refused",
				Detail: "the provider has not verified the e-mail address", IP: ip})
		default:
			u, err = userByEmail(ctx, tx, id.Email)
			if errs.Is(err, errs.NotFound) {
				result = SSONewApplicant
				return nil
			}
			if err != nil {
				return err
			}
			if u.Status == StatusErased {
				return nil
			}
			if err := linkIdentity(ctx, tx, u.ID, id, now.Unix()); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "sso.linked",
				TargetID: u.ID, Target: u.Email, Detail: "identity provider " + id.Issuer, IP: ip}); err != nil {
				return err
			}
		}
		switch u.Status {
		case StatusApproved:
			result = SSOSignedIn
		case StatusPending:
			result = SSOPending
			return nil
		default:
			return audit.Record(ctx, tx, audit.Event{At: now, Actor: u.Email, Action: "login.failed", TargetID: u.ID,
				Target: u.Email, Detail: "single sign-on: account " + string(u.Status), IP: ip})
		}
		// The first sign-in through the provider activates an approved account without a password.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ?, activated_at = coalesce(activated_at, ?) WHERE id = ?`,
			now.Unix(), now.Unix(), u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_identities SET last_used_at = ? WHERE issuer = ? AND subject = ?`,
			now.Unix(), id.Issuer, id.Subject); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: u.ID, Actor: u.Email, Action: "login.succeeded",
			TargetID: u.ID, Target: u.Email, Detail: "single sign-on", IP: ip})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("single sign-on: %w", err)
	}
	if !id.EmailVerified && u == nil && result != SSONewApplicant {
		return nil, SSORefused, ErrUnverifiedEmail
	}
	if result == SSOSignedIn {
		u, err = userByID(ctx, s.db.R, u.ID)
	}
	return u, result, err
}

func linkIdentity(ctx context.Context, tx *sql.Tx, userID int64, id Identity, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO user_identities(issuer, subject, user_id, linked_at) VALUES (?, ?, ?, ?)`,
		id.Issuer, id.Subject, userID, now)
	if sqlite.IsUnique(err) {
		return errs.E(errs.Conflict, "this account is linked to another identity at the same provider")
	}
	return err
}

// Linked reports whether the user signs in through an identity provider.
func (s *Service) Linked(ctx context.Context, userID int64) (bool, error) {
	return linked(ctx, s.db.R, userID)
}

func linked(ctx context.Context, q querier, userID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM user_identities WHERE user_id = ?`, userID).Scan(&n)
	return n > 0, err
}

// RegisterSSO registers someone the identity provider vouches for (verified address and name from
// the provider, the rest from the declaration form) as an applicant with the link to their
// identity, their acceptance record and the usual mails, in one transaction. When their address is
// on the auto-approve list (autoApproval), they are approved at once and approved is true: the
// caller signs them in.
func (s *Service) RegisterSSO(ctx context.Context, r Registration, id Identity) (u *User, approved bool, err error) {
	if !id.EmailVerified {
		return nil, false, ErrUnverifiedEmail
	}
	r.Email, r.Name = id.Email, id.Name
	if strings.TrimSpace(r.Name) == "" {
		r.Name = id.Email[:strings.IndexByte(id.Email+"@", '@')]
	}
	if err := r.normalise(); err != nil {
		return nil, false, err
	}
	r.IP = clipBytes(r.IP, 64)
	now := s.now()
	var userID int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := currentDeclaration(ctx, tx)
		if err != nil {
			return err
		}
		if r.DeclarationVersion != cur.Version {
			return ErrStaleDeclaration
		}
		if _, err := userByEmail(ctx, tx, r.Email); err == nil {
			return errs.E(errs.Conflict, "an account with this address exists already; sign in again through the provider")
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		cohortID, auto, err := s.autoApproval(ctx, tx, r.Email)
		if err != nil {
			return err
		}
		status, decided, activated := StatusPending, any(nil), any(nil)
		if auto {
			status, decided, activated, approved = StatusApproved, now.Unix(), now.Unix(), true
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users(email, name, organisation, position, lang, role, status, requested_cohort,
			created_at, decided_at, activated_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Email, r.Name, r.Organisation, r.Position, r.Lang, RoleLearner, status, r.CohortCode, now.Unix(), decided, activated)
		if err != nil {
			return fmt.Errorf("insert applicant: %w", err)
		}
		if userID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := linkIdentity(ctx, tx, userID, id, now.Unix()); err != nil {
			return err
		}
		if err := insertAcceptance(ctx, tx, userID, cur.Version, now, r.IP, r.UserAgent); err != nil {
			return err
		}
		data := mailer.Data{Name: r.Name, Email: r.Email, Organisation: r.Organisation, Position: r.Position, BaseURL: s.baseURL()}
		detail := fmt.Sprintf("declaration v%d; single sign-on (%s)", cur.Version, id.Issuer)
		if auto {
			if cohortID != 0 {
				if err := s.joinCohort(ctx, tx, userID, cohortID); err != nil {
					return err
				}
			}
			if err := s.enqueuePublic(ctx, tx, mailer.KindSSOApproved, r.Lang, data, "", ""); err != nil {
				return err
			}
			detail += "; approved at once: domain on the auto-approve list"
		} else {
			if err := s.enqueuePublic(ctx, tx, mailer.KindRegistrationReceived, r.Lang, data, "", ""); err != nil {
				return err
			}
			admins, err := approvedAdmins(ctx, tx)
			if err != nil {
				return err
			}
			for _, a := range admins {
				if err := s.enqueue(ctx, tx, mailer.KindRegistrationNew, a.Lang, data, a.Email, a.Name); err != nil { // to the admins: not counted (see Register)
					return err
				}
			}
		}
		return audit.Record(ctx, tx, audit.Event{At: now, ActorID: userID, Actor: r.Email, Action: "registration.received",
			TargetID: userID, Target: r.Email, Detail: detail, IP: r.IP})
	})
	if err != nil {
		return nil, false, fmt.Errorf("register through single sign-on: %w", err)
	}
	u, err = userByID(ctx, s.db.R, userID)
	return u, approved, err
}

// autoApproval is the auto-approve list of e-mail domains (training cycles, cohort_domains): an
// SSO applicant whose address's domain an active cohort lists is approved at once into that
// cohort, as a form applicant is (registration.go). An AutoApprover set with AutoApproveWith is
// asked for addresses no cohort lists.
func (s *Service) autoApproval(ctx context.Context, tx *sql.Tx, email string) (cohortID int64, ok bool, err error) {
	if id, _, err := domainCohort(ctx, tx, email); err != nil || id != 0 {
		return id, id != 0, err
	}
	if s.autoApprove == nil {
		return 0, false, nil
	}
	return s.autoApprove(ctx, tx, email)
}

// AutoApprover decides inside the registration's transaction whether an address is approved at
// once, and into which cohort (0: none).
type AutoApprover func(ctx context.Context, tx *sql.Tx, email string) (cohortID int64, ok bool, err error)

// AutoApproveWith sets the auto-approve rule for applicants who come through single sign-on.
func (s *Service) AutoApproveWith(a AutoApprover) { s.autoApprove = a }

// SSOPolicy says for which addresses password sign-in is switched off in favour of the provider.
type SSOPolicy struct {
	All     bool
	Domains []string // lower case, without "@"
}

// ssoPolicyKey is the settings row of the policy: "*" for everyone, else domains separated by spaces.
const ssoPolicyKey = "sso.required"

// Requires reports whether the address must sign in through the provider.
func (p SSOPolicy) Requires(email string) bool {
	if p.All {
		return true
	}
	at := strings.LastIndexByte(email, '@')
	return at >= 0 && slices.Contains(p.Domains, strings.ToLower(email[at+1:]))
}

// String is the policy as stored.
func (p SSOPolicy) String() string {
	if p.All {
		return "*"
	}
	return strings.Join(p.Domains, " ")
}

// ParseSSOPolicy reads a policy as an admin types the domains: separated by spaces, commas or
// lines, with or without "@"; "*" is everyone. A word that is not a domain name is errs.Invalid.
func ParseSSOPolicy(all bool, domains string) (SSOPolicy, error) {
	if all {
		return SSOPolicy{All: true}, nil
	}
	var p SSOPolicy
	var fields errs.Fields
	for d := range strings.FieldsFuncSeq(domains, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		d = strings.ToLower(strings.TrimPrefix(d, "@"))
		if d == "*" {
			return SSOPolicy{All: true}, nil
		}
		if !wellFormedEmail("x@"+d) || !strings.Contains(d, ".") {
			fields.Add("domains", "domain", fmt.Sprintf("%q is not a domain name such as stadt.example", clipBytes(d, 80)))
			continue
		}
		if !slices.Contains(p.Domains, d) {
			p.Domains = append(p.Domains, d)
		}
	}
	slices.Sort(p.Domains)
	return p, fields.Err("single sign-on policy: %s", fields.Messages())
}

// SSORequired is the policy in force.
func (s *Service) SSORequired(ctx context.Context) (SSOPolicy, error) {
	v, err := s.db.Setting(ctx, ssoPolicyKey, func() string { return "" })
	if err != nil {
		return SSOPolicy{}, err
	}
	return ParseSSOPolicy(v == "*", v)
}

// SetSSORequired stores the policy, audited.
func (s *Service) SetSSORequired(ctx context.Context, act audit.Actor, p SSOPolicy) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := sqlite.SetSetting(ctx, tx, ssoPolicyKey, p.String()); err != nil {
			return err
		}
		detail := "everyone"
		if !p.All {
			detail = "domains: " + p.String()
			if len(p.Domains) == 0 {
				detail = "nobody"
			}
		}
		return audit.Log(ctx, tx, s.now(), act, "sso.policy", 0, "", detail)
	})
}

// RecordSSOFailure audits a refused return from the provider (forged or stale state, a token that
// does not verify, a wrong nonce).
func (s *Service) RecordSSOFailure(ctx context.Context, reason, ip string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Record(ctx, tx, audit.Event{At: s.now(), Action: "sso.failed", Detail: clipBytes(reason, 300), IP: clipBytes(ip, 64)})
	})
}
