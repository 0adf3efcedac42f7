// Package remind sends the e-mails that keep a training cycle moving: a trainer's reminder to the
// cohort's inactive or overdue learners, the automatic reminders before the due date and after
// two weeks of inactivity (a daily job of serve), and a trainer's message to the whole cohort.
// It owns the table of sent reminders, which keeps every learner at one reminder a week at most,
// whoever or whatever triggers it.
package remind

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/mail"
	"saferspaces/internal/report"
	"saferspaces/internal/sqlite"
)

// Kinds of reminder, as stored.
const (
	KindManual   = "manual"   // a trainer pressed the button
	KindDue      = "due"      // the due date is near
	KindInactive = "inactive" // two weeks without activity
)

// Every is the least time between two reminders to one learner.
const Every = 7 * 24 * time.Hour

// DueSoon is how long before a cohort's due date the automatic reminder goes out.
const DueSoon = 7 * 24 * time.Hour

// keepFor is how long the record of a sent reminder is kept: long enough for the weekly limit
// and for a trainer's question "did they get one?", short enough to be no profile.
const keepFor = 180 * 24 * time.Hour

// MaxMessageLen bounds a trainer's message to the cohort.
const MaxMessageLen = 5000

// Service sends reminders and messages.
type Service struct {
	db   *sqlite.DB
	acc  *account.Service
	rep  *report.Service
	now  func() time.Time
	link func(string) string
	loc  *time.Location
	log  *slog.Logger
}

// New builds the service; link turns a path into an absolute URL, loc is the zone of the due date.
func New(db *sqlite.DB, acc *account.Service, rep *report.Service, now func() time.Time, link func(string) string,
	loc *time.Location, log *slog.Logger) *Service {
	return &Service{db: db, acc: acc, rep: rep, now: now, link: link, loc: loc, log: log}
}

// Result says what a reminder run did.
type Result struct {
	Sent      int // reminders queued
	Recent    int // skipped: reminded less than a week ago
	OptedOut  int // skipped: the learner switched reminders off
	Remaining int // candidates the run did not reach (none unless it failed)
}

// Remind queues a reminder to every inactive or overdue learner of the cohort, on behalf of a
// trainer of it (an admin: any cohort): each in their own language, with their own progress and
// the cohort's due date. A learner reminded less than a week ago, or who switched reminders off,
// is skipped. A cohort the viewer does not lead is errs.NotFound; an archived one account.ErrArchived.
func (s *Service) Remind(ctx context.Context, act audit.Actor, cohortID int64, viewerRole account.Role) (Result, error) {
	c, err := s.rep.Cohort(ctx, cohortID, act.ID, viewerRole)
	if err != nil {
		return Result{}, err
	}
	if c.Archived() {
		return Result{}, account.ErrArchived
	}
	return s.remind(ctx, act, *c, KindManual, func(l report.Learner) bool { return l.Inactive || l.Overdue })
}

// remind reminds the learners of c that want picks, in one transaction.
func (s *Service) remind(ctx context.Context, act audit.Actor, c account.Cohort, kind string, want func(report.Learner) bool) (Result, error) {
	filter := report.FilterInactive
	if kind == KindDue {
		filter = report.FilterOpen
	}
	// The export is the page's own rows, so "inactive" and "overdue" mean what the trainer sees.
	exp, err := s.rep.Export(ctx, c.ID, 0, account.RoleAdmin, report.Query{Filter: filter})
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	var res Result
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		recent, err := remindedSince(ctx, tx, now.Add(-Every))
		if err != nil {
			return err
		}
		return exp.Each(ctx, func(l report.Learner) error {
			switch {
			case l.Disabled || l.Complete || !want(l):
				return nil
			case l.RemindersOff:
				res.OptedOut++
				return nil
			case recent[l.ID]:
				res.Recent++
				return nil
			}
			lang := i18n.OrDefault(l.Lang)
			d := mail.Data{Name: l.Name, Email: l.Email, Cohort: c.Name, Progress: i18n.Percent(lang, l.Percent),
				Link: s.link("/"), BaseURL: strings.TrimRight(s.link(""), "/")}
			if !c.DueAt.IsZero() {
				d.Due = i18n.Date(lang, c.DueAt, s.loc)
			}
			m, err := mail.Compose(mail.KindReminder, lang, d)
			if err != nil {
				return err
			}
			if _, err := mail.Enqueue(ctx, tx, m, now); err != nil {
				if errs.Is(err, errs.Invalid) {
					return nil // an address the outbox refuses is no reason to remind nobody
				}
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO reminders(user_id, cohort_id, kind, sent_at) VALUES (?, ?, ?, ?)`,
				l.ID, c.ID, kind, now.Unix()); err != nil {
				return err
			}
			res.Sent++
			recent[l.ID] = true
			return audit.Log(ctx, tx, now, act, "cohort.reminded", l.ID, l.Email, kind+"; cohort "+c.Name)
		})
	})
	if err != nil {
		return Result{}, fmt.Errorf("remind cohort %d: %w", c.ID, err)
	}
	return res, nil
}

// remindedSince is the set of learners reminded after t.
func remindedSince(ctx context.Context, q *sql.Tx, t time.Time) (map[int64]bool, error) {
	out := map[int64]bool{}
	err := sqlite.Each(ctx, q, `SELECT DISTINCT user_id FROM reminders WHERE sent_at > ?`, []any{t.Unix()},
		func(scan func(...any) error) error {
			var id int64
			err := scan(&id)
			out[id] = true
			return err
		})
	return out, err
}

// LastReminded is when each of the given learners was last reminded (absent: never, or longer
// ago than the records are kept).
func (s *Service) LastReminded(ctx context.Context, userIDs []int64) (map[int64]time.Time, error) {
	out := map[int64]time.Time{}
	if len(userIDs) == 0 {
		return out, nil
	}
	ids := make([]string, len(userIDs))
	for i, id := range userIDs {
		ids[i] = fmt.Sprint(id)
	}
	err := sqlite.Each(ctx, s.db.R, `SELECT user_id, max(sent_at) FROM reminders
		WHERE user_id IN (SELECT value FROM json_each(?)) GROUP BY user_id`, []any{"[" + strings.Join(ids, ",") + "]"},
		func(scan func(...any) error) error {
			var id, at int64
			if err := scan(&id, &at); err != nil {
				return err
			}
			out[id] = sqlite.Time(at)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("last reminders: %w", err)
	}
	return out, nil
}

// Auto runs the automatic reminders once: for every active cohort that has them switched on, a
// reminder to each incomplete learner in the week before the due date, and to each learner
// inactive for two weeks. The weekly limit applies across both and the trainers' button.
func (s *Service) Auto(ctx context.Context) (Result, error) {
	cohorts, err := s.acc.Cohorts(ctx, false)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	var total Result
	for _, c := range cohorts {
		if !c.AutoRemind {
			continue
		}
		runs := []struct {
			kind string
			want func(report.Learner) bool
		}{{KindInactive, func(l report.Learner) bool { return l.Inactive }}}
		if !c.DueAt.IsZero() && !now.Before(c.DueAt.Add(-DueSoon)) && now.Before(c.DueAt) {
			runs = append([]struct {
				kind string
				want func(report.Learner) bool
			}{{KindDue, func(report.Learner) bool { return true }}}, runs...)
		}
		for _, r := range runs {
			res, err := s.remind(ctx, audit.System, c, r.kind, r.want)
			if err != nil {
				return total, err
			}
			total.Sent += res.Sent
			total.Recent += res.Recent
			total.OptedOut += res.OptedOut
		}
	}
	return total, nil
}

// Run calls Auto every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := s.Auto(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("automatic reminders", "err", err)
		case res.Sent > 0:
			s.log.Info("automatic reminders", "sent", res.Sent, "recent", res.Recent, "opted_out", res.OptedOut)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Message mails a trainer's message (e.g. the workshop date) to every member of the cohort who is
// not disabled, each with the platform's frame in their language; it returns how many. The text
// must have 1 to MaxMessageLen characters (errs.Fields "message").
func (s *Service) Message(ctx context.Context, act audit.Actor, senderName string, cohortID int64, viewerRole account.Role, text string) (int, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if n := utf8.RuneCountInString(text); n == 0 || n > MaxMessageLen || !utf8.ValidString(text) {
		var f errs.Fields
		f.Add("message", "length", fmt.Sprintf("must have 1 to %d characters", MaxMessageLen))
		return 0, f.Err("cohort message: %s", f.Messages())
	}
	c, err := s.rep.Cohort(ctx, cohortID, act.ID, viewerRole)
	if err != nil {
		return 0, err
	}
	if c.Archived() {
		return 0, account.ErrArchived
	}
	now := s.now()
	sent := 0
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := s.acc.EachMember(ctx, c.ID, func(m account.Member) error {
			if m.Disabled {
				return nil
			}
			msg, err := mail.Compose(mail.KindCohortMessage, i18n.OrDefault(m.Lang), mail.Data{Name: m.Name, Email: m.Email,
				Cohort: c.Name, Message: text, Sender: senderName, BaseURL: strings.TrimRight(s.link(""), "/")})
			if err != nil {
				return err
			}
			if _, err := mail.Enqueue(ctx, tx, msg, now); err != nil && !errs.Is(err, errs.Invalid) {
				return err
			}
			sent++
			return nil
		})
		if err != nil {
			return err
		}
		return audit.Log(ctx, tx, now, act, "cohort.messaged", 0, c.Name, fmt.Sprintf("%d recipients", sent))
	})
	if err != nil {
		return 0, fmt.Errorf("message cohort %d: %w", cohortID, err)
	}
	return sent, nil
}

// Purge deletes the records of reminders sent more than keepFor (180 days) before now — the rule
// of docs/data-protection.md, run by package retention with the other rules — or with dryRun
// only counts them.
func Purge(ctx context.Context, db *sqlite.DB, now time.Time, dryRun bool) (int, error) {
	before := now.Add(-keepFor).Unix()
	if dryRun {
		var n int
		err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM reminders WHERE sent_at < ?`, before).Scan(&n)
		return n, err
	}
	res, err := db.W.ExecContext(ctx, `DELETE FROM reminders WHERE sent_at < ?`, before)
	if err != nil {
		return 0, fmt.Errorf("forget old reminders: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
