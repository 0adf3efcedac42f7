package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/sqlite"
)

// SetLanguage stores the user's interface and e-mail language.
func (s *Service) SetLanguage(ctx context.Context, userID int64, lang string) error {
	if _, ok := i18n.Parse(lang); !ok {
		return errs.E(errs.Invalid, "language must be one of %s", i18n.List())
	}
	if _, err := s.db.W.ExecContext(ctx, `UPDATE users SET lang = ? WHERE id = ?`, lang, userID); err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	return nil
}

// SignOutEverywhere ends every session of the user, the caller's included.
func (s *Service) SignOutEverywhere(ctx context.Context, userID int64, ip string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.RevokeUser(ctx, tx, userID, nil); err != nil {
			return err
		}
		if err := forgetDevices(ctx, tx, userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{At: s.now(), ActorID: u.ID, Actor: u.Email, Action: "sessions.revoked",
			TargetID: u.ID, Target: u.Email, Detail: "signed out everywhere", IP: ip})
	})
}

// Export is what the platform stores about a user's account, for "download my data" (GDPR Art. 15
// and 20). Learning records are added by the web layer from the learning package.
type Export struct {
	ExportedAt             time.Time          `json:"exported_at"`
	Profile                ExportProfile      `json:"profile"`
	DeclarationAcceptances []AcceptanceRecord `json:"declaration_acceptances"`
	Sessions               []ExportSession    `json:"sessions"`
	RememberedBrowsers     []ExportDevice     `json:"remembered_browsers"`
	SecurityEvents         []ExportEvent      `json:"security_events"`
	SecondFactor           ExportSecondFactor `json:"second_factor"`
	LinkedIdentities       []ExportIdentity   `json:"linked_identities"`
	// CohortMemberships repeats Profile.Cohorts as a list, with the day each was joined.
	CohortMemberships []ExportMembership `json:"cohort_memberships"`
	CohortsLed        []ExportLed        `json:"cohorts_led"`
}

// ExportSession is one live session (its id is not exported: the server keeps only its hash).
type ExportSession struct {
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// ExportDevice is one remembered browser.
type ExportDevice struct {
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// ExportProfile is the account itself.
type ExportProfile struct {
	ID           int64  `json:"id"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	Organisation string `json:"organisation"`
	Position     string `json:"position"`
	Language     string `json:"language"`
	Role         Role   `json:"role"`
	Status       Status `json:"status"`
	Cohort       string `json:"cohort,omitempty"`  // the cohort joined last
	Cohorts      string `json:"cohorts,omitempty"` // every cohort the user is a member of
	RemindersOff bool   `json:"reminders_off"`
	// RequestedCohortCode is the join code given on the declaration form.
	RequestedCohortCode string    `json:"requested_cohort_code"`
	RejectionReason     string    `json:"rejection_reason"`
	RegisteredAt        time.Time `json:"registered_at"`
	DecidedAt           time.Time `json:"decided_at,omitzero"`
	ActivatedAt         time.Time `json:"activated_at,omitzero"`
	LastLoginAt         time.Time `json:"last_login_at,omitzero"`
	InactivityWarnedAt  time.Time `json:"inactivity_warned_at,omitzero"`
}

// ExportEvent is an audit-log line about the user (sign-ins, password changes, decisions).
type ExportEvent struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
	IP     string    `json:"ip,omitempty"`
}

// exportEventPage is how many audit lines the export reads at a time; it lists every line about
// the person, however many there are.
const exportEventPage = 1000

// ExportUser collects the user's own data.
func (s *Service) ExportUser(ctx context.Context, userID int64) (*Export, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	acc, err := s.Acceptances(ctx, userID)
	if err != nil {
		return nil, err
	}
	e := &Export{
		ExportedAt: s.now().UTC(),
		Profile: ExportProfile{ID: u.ID, Email: u.Email, Name: u.Name, Organisation: u.Organisation, Position: u.Position,
			Language: u.Lang, Role: u.Role, Status: u.Status, Cohort: u.CohortName, Cohorts: u.CohortNames, RemindersOff: u.RemindersOff,
			RequestedCohortCode: u.RequestedCohort, RejectionReason: u.RejectReason, RegisteredAt: u.CreatedAt, DecidedAt: u.DecidedAt,
			ActivatedAt: u.ActivatedAt, LastLoginAt: u.LastLoginAt},
		DeclarationAcceptances: acc,
		Sessions:               []ExportSession{},
		RememberedBrowsers:     []ExportDevice{},
		SecurityEvents:         []ExportEvent{},
	}
	var warned sql.NullInt64
	if err := s.db.R.QueryRowContext(ctx, `SELECT inactivity_warned_at FROM users WHERE id = ?`, userID).Scan(&warned); err != nil {
		return nil, fmt.Errorf("export profile: %w", err)
	}
	e.Profile.InactivityWarnedAt = sqlite.Time(warned.Int64)
	err = sqlite.Each(ctx, s.db.R, `SELECT created_at, last_seen_at, expires_at FROM sessions WHERE user_id = ? ORDER BY created_at`,
		[]any{userID}, func(scan func(...any) error) error {
			var c, l, x int64
			err := scan(&c, &l, &x)
			e.Sessions = append(e.Sessions, ExportSession{sqlite.Time(c), sqlite.Time(l), sqlite.Time(x)})
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("export sessions: %w", err)
	}
	err = sqlite.Each(ctx, s.db.R, `SELECT created_at, last_used_at FROM trusted_devices WHERE user_id = ? ORDER BY created_at`,
		[]any{userID}, func(scan func(...any) error) error {
			var c, l int64
			err := scan(&c, &l)
			e.RememberedBrowsers = append(e.RememberedBrowsers, ExportDevice{sqlite.Time(c), sqlite.Time(l)})
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("export devices: %w", err)
	}
	if e.DeclarationAcceptances == nil {
		e.DeclarationAcceptances = []AcceptanceRecord{}
	}
	if err := s.exportSections(ctx, userID, e); err != nil {
		return nil, err
	}
	others := map[int64]string{} // who else acted, by role
	for before := int64(0); ; {
		events, err := audit.AboutBefore(ctx, s.db.R, userID, before, exportEventPage)
		if err != nil {
			return nil, fmt.Errorf("export events: %w", err)
		}
		for _, ev := range events {
			x := ExportEvent{At: ev.At, Actor: ev.Actor, Action: ev.Action, Detail: ev.Detail, IP: ev.IP}
			if ev.ActorID != userID {
				// Lines about the person that someone else wrote: what was done to them is theirs,
				// the other person's address and IP address are not (Art. 15(4) GDPR). Staff
				// appear by role.
				x.IP = ""
				if ev.ActorID != 0 {
					if x.Actor, err = s.actorRole(ctx, ev.ActorID, others); err != nil {
						return nil, fmt.Errorf("export events: %w", err)
					}
				}
			}
			e.SecurityEvents = append(e.SecurityEvents, x)
		}
		if len(events) < exportEventPage {
			break
		}
		before = events[len(events)-1].ID
	}
	return e, nil
}

// actorRole names another account in a person's export by its role (memo caches the answers).
func (s *Service) actorRole(ctx context.Context, id int64, memo map[int64]string) (string, error) {
	if r, ok := memo[id]; ok {
		return r, nil
	}
	var role Role
	err := s.db.R.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ?`, id).Scan(&role)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	name := map[Role]string{RoleAdmin: "an administrator", RoleTrainer: "a trainer"}[role]
	if name == "" {
		name = "another account"
	}
	memo[id] = name
	return name, nil
}

// tokenRetention keeps used and expired tokens a day, for the audit of a disputed link.
const tokenRetention = 24 * time.Hour

// Cleanup deletes rows that no longer mean anything: expired sessions, sign-in failures older than
// the longest throttling window, and tokens a day after they were used or expired.
func (s *Service) Cleanup(ctx context.Context) error {
	now := s.now()
	old := now.Add(-tokenRetention).Unix()
	steps := []struct {
		q    string
		args []any
	}{
		{`DELETE FROM sessions WHERE expires_at <= ?`, []any{now.Unix()}},
		{`DELETE FROM login_failures WHERE at <= ?`, []any{now.Add(-failureRetention).Unix()}},
		{`DELETE FROM tokens WHERE expires_at <= ? OR used_at <= ?`, []any{old, old}},
		{`DELETE FROM trusted_devices WHERE last_used_at <= ?`, []any{now.Add(-DeviceTTL).Unix()}},
	}
	for _, st := range steps {
		if _, err := s.db.W.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("cleanup: %w", err)
		}
	}
	return nil
}

// RunCleanup calls Cleanup every interval until ctx ends.
func (s *Service) RunCleanup(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Cleanup(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("account cleanup", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
