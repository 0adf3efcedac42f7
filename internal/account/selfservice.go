package account

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
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
	SecurityEvents         []ExportEvent      `json:"security_events"`
}

// ExportProfile is the account itself.
type ExportProfile struct {
	ID           int64     `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Organisation string    `json:"organisation"`
	Position     string    `json:"position"`
	Language     string    `json:"language"`
	Role         Role      `json:"role"`
	Status       Status    `json:"status"`
	Cohort       string    `json:"cohort,omitempty"`  // the cohort joined last
	Cohorts      string    `json:"cohorts,omitempty"` // every cohort the user is a member of
	RemindersOff bool      `json:"reminders_off"`
	RegisteredAt time.Time `json:"registered_at"`
	ActivatedAt  time.Time `json:"activated_at,omitzero"`
	LastLoginAt  time.Time `json:"last_login_at,omitzero"`
}

// ExportEvent is an audit-log line about the user (sign-ins, password changes, decisions).
type ExportEvent struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	IP     string    `json:"ip,omitempty"`
}

// maxExportEvents bounds the audit lines in an export; older ones are in the audit log.
const maxExportEvents = 1000

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
			Language: u.Lang, Role: u.Role, Status: u.Status, Cohort: u.CohortName, Cohorts: u.CohortNames, RemindersOff: u.RemindersOff, RegisteredAt: u.CreatedAt,
			ActivatedAt: u.ActivatedAt, LastLoginAt: u.LastLoginAt},
		DeclarationAcceptances: acc,
		SecurityEvents:         []ExportEvent{},
	}
	if e.DeclarationAcceptances == nil {
		e.DeclarationAcceptances = []AcceptanceRecord{}
	}
	events, err := audit.About(ctx, s.db.R, userID, maxExportEvents)
	if err != nil {
		return nil, fmt.Errorf("export events: %w", err)
	}
	for _, ev := range events {
		e.SecurityEvents = append(e.SecurityEvents, ExportEvent{At: ev.At, Action: ev.Action, IP: ev.IP})
	}
	return e, nil
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
