// Package retention keeps the usage-rights declaration's promises about how long personal data is
// kept: it runs every rule once (saferspaces purge, and daily in serve), each in the package that
// owns the data, and records each run in the audit log with its counts.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/config"
	"saferspaces/internal/feedback"
	"saferspaces/internal/i18n"
	"saferspaces/internal/mail"
	"saferspaces/internal/remind"
	"saferspaces/internal/sqlite"
)

// Report says what one run removed (or, in a dry run, would remove).
type Report struct {
	DryRun      bool
	Warned      int // inactivity warnings sent
	Anonymised  int // inactive accounts anonymised
	KeptAdmins  int // inactive accounts kept because they are the last admin
	Rejected    int // rejected applicants deleted
	Undecided   int // applicants nobody decided on, deleted
	Acceptances int // declaration acceptance records deleted
	AuditLines  int // audit lines deleted
	MailRows    int // sent and failed outbox rows deleted
	MailFiles   int // .eml files deleted
	Feedback    int // answered accessibility feedback deleted
	Reminders   int // records of reminders sent more than 180 days ago deleted
}

// Lines is the report as "what: n" lines, for the command line.
func (r Report) Lines() []string {
	return []string{
		fmt.Sprintf("inactivity warnings sent: %d", r.Warned),
		fmt.Sprintf("inactive accounts anonymised: %d", r.Anonymised),
		fmt.Sprintf("inactive accounts kept (last admin): %d", r.KeptAdmins),
		fmt.Sprintf("rejected applicants deleted: %d", r.Rejected),
		fmt.Sprintf("undecided applicants deleted: %d", r.Undecided),
		fmt.Sprintf("declaration acceptance records deleted: %d", r.Acceptances),
		fmt.Sprintf("audit lines deleted: %d", r.AuditLines),
		fmt.Sprintf("mail outbox rows deleted: %d", r.MailRows),
		fmt.Sprintf("mail files deleted: %d", r.MailFiles),
		fmt.Sprintf("accessibility feedback deleted: %d", r.Feedback),
		fmt.Sprintf("reminder records deleted: %d", r.Reminders),
	}
}

// Total is the number of things removed (warnings not counted).
func (r Report) Total() int {
	return r.Anonymised + r.Rejected + r.Undecided + r.Acceptances + r.AuditLines + r.MailRows + r.MailFiles + r.Feedback + r.Reminders
}

func (r Report) detail() string {
	return strings.Join(r.Lines(), "; ")
}

// Service runs the rules.
type Service struct {
	db       *sqlite.DB
	acc      *account.Service
	outbox   *mail.Outbox
	feedback *feedback.Service
	periods  config.Retention
	loc      *time.Location
	now      func() time.Time
	log      *slog.Logger
}

// New builds the service from the periods in force.
func New(db *sqlite.DB, acc *account.Service, outbox *mail.Outbox, fb *feedback.Service, periods config.Retention,
	loc *time.Location, now func() time.Time, log *slog.Logger) *Service {
	return &Service{db: db, acc: acc, outbox: outbox, feedback: fb, periods: periods, loc: loc, now: now, log: log}
}

// cut is the cut-off of a period (zero time when the rule is off).
func cut(p config.Period, now time.Time) time.Time {
	if p.Off() {
		return time.Time{}
	}
	return p.Before(now)
}

// Run applies every rule once. A dry run changes nothing (and writes no audit line) but counts
// what a real run would remove. A real run records its counts as "retention.purged".
func (s *Service) Run(ctx context.Context, dryRun bool) (Report, error) {
	return s.RunShowing(ctx, dryRun, nil)
}

// Steps is the number of steps RunShowing reports.
const Steps = 7

// RunShowing is Run that calls step (when not nil) before each of its Steps steps, with the
// step's number (from 1) and a short English name, for a command's progress line.
func (s *Service) RunShowing(ctx context.Context, dryRun bool, step func(n int, name string)) (Report, error) {
	if step == nil {
		step = func(int, string) {}
	}
	now := s.now()
	p := s.periods
	r := Report{DryRun: dryRun}
	var err error
	step(1, "inactive accounts")
	if !p.Inactive.Off() {
		rule := account.Inactivity{
			EraseBefore: p.Inactive.Before(now),
			WarnBefore:  p.Inactive.Before(p.Warning.After(now)),
			AnonymiseOn: func(last time.Time) time.Time { return p.Inactive.After(last) },
			Date:        func(lang i18n.Lang, t time.Time) string { return i18n.Date(lang, t, s.loc) },
		}
		if !p.Warning.Off() {
			rule.WarnedBefore = p.Warning.Before(now)
			if r.Warned, err = s.acc.WarnInactive(ctx, rule, dryRun); err != nil {
				return r, err
			}
			s.outbox.Kick()
		}
		if r.Anonymised, r.KeptAdmins, err = s.acc.AnonymiseInactive(ctx, rule, dryRun); err != nil {
			return r, err
		}
	}
	step(2, "applicants")
	if r.Rejected, r.Undecided, err = s.acc.PurgeApplicants(ctx, cut(p.Rejected, now), cut(p.Undecided, now), dryRun); err != nil {
		return r, err
	}
	step(3, "acceptance records")
	if !p.Acceptances.Off() {
		if r.Acceptances, err = s.acc.PurgeAcceptances(ctx, p.Acceptances.Before(now), dryRun); err != nil {
			return r, err
		}
	}
	step(4, "audit lines")
	if !p.Audit.Off() {
		if r.AuditLines, err = audit.Purge(ctx, s.db.W, s.db.R, p.Audit.Before(now), dryRun); err != nil {
			return r, err
		}
	}
	step(5, "sent mail")
	if !p.Mail.Off() {
		mp, err := s.outbox.Purge(ctx, p.Mail.Before(now), dryRun)
		r.MailRows, r.MailFiles = mp.Rows, mp.Files
		if err != nil {
			return r, err
		}
	}
	step(6, "accessibility feedback")
	if !p.Feedback.Off() {
		if r.Feedback, err = s.feedback.Purge(ctx, p.Feedback.Before(now), dryRun); err != nil {
			return r, err
		}
	}
	step(7, "reminder records")
	if r.Reminders, err = remind.Purge(ctx, s.db, now, dryRun); err != nil {
		return r, err
	}
	if dryRun {
		return r, nil
	}
	if err := audit.Log(ctx, s.db.W, s.now(), audit.System, "retention.purged", 0, "", r.detail()); err != nil {
		return r, err
	}
	// What was just deleted must not stay readable in the write-ahead log either.
	if err := s.db.Scrub(ctx); err != nil {
		s.log.Warn("retention: write-ahead log not truncated yet", "err", err)
	}
	return r, nil
}

// RunDaily runs the rules at start and then every day until ctx ends; failures are logged and
// tried again the next day.
func (s *Service) RunDaily(ctx context.Context) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		r, err := s.Run(ctx, false)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("retention run failed", "err", err)
		case err == nil:
			s.log.Info("retention run", "removed", r.Total(), "warned", r.Warned, "anonymised", r.Anonymised,
				"applicants", r.Rejected+r.Undecided, "audit_lines", r.AuditLines, "mails", r.MailRows, "mail_files", r.MailFiles)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
