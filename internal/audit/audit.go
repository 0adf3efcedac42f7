// Package audit records every security and admin event: who did what to whom, when and from
// where. It never records a password or a token.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Execer is a *sql.Tx or *sql.DB: events are written in the transaction of the change they
// describe, so a change without its audit line cannot be committed.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Actor is who does an audited thing: a signed-in user (ID, their e-mail, the client address), the
// platform itself (System) or an operator at the command line (CLI). It travels as one value from
// the request or the command to every change it causes.
type Actor struct {
	ID    int64  // 0: not a user of the platform
	Email string // the user's e-mail at the time, or "system" / "cli"
	IP    string // the client's address; "" for the system and the command line
}

// System is the platform acting on its own (retention, reminders, the mail worker).
var System = Actor{Email: "system"}

// CLI is an operator at the command line of the server.
var CLI = Actor{Email: "cli"}

// Event is one audit line.
type Event struct {
	ID       int64
	At       time.Time
	ActorID  int64  // 0: anonymous or the system
	Actor    string // e-mail (or "system", "cli") at the time of the event
	Action   string // e.g. "login.failed", "registration.approved"
	TargetID int64  // 0: none
	Target   string // e-mail or name of what was acted on
	Detail   string // free text for admins; never secrets
	IP       string
}

// Log writes an event done by a: action on the target (id and name, both optional) with an
// optional detail, at the time given.
func Log(ctx context.Context, db Execer, at time.Time, a Actor, action string, targetID int64, target, detail string) error {
	return Record(ctx, db, Event{At: at, ActorID: a.ID, Actor: a.Email, IP: a.IP, Action: action,
		TargetID: targetID, Target: target, Detail: detail})
}

// Record writes e.
func Record(ctx context.Context, db Execer, e Event) error {
	_, err := db.ExecContext(ctx, `INSERT INTO audit_log(at, actor_id, actor, action, target_id, target, detail, ip)
		VALUES(?, NULLIF(?, 0), ?, ?, NULLIF(?, 0), ?, ?, ?)`,
		e.At.Unix(), e.ActorID, e.Actor, e.Action, e.TargetID, e.Target, e.Detail, e.IP)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Querier is a *sql.DB or *sql.Tx for reading.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// List returns one page of events, newest first, and the total count. A non-empty filter
// matches actor, action or target; events whose action is one of actions match too (the page
// passes the actions whose name in the reader's language contains the filter).
func List(ctx context.Context, db Querier, filter string, limit, offset int, actions ...string) ([]Event, int, error) {
	where, args := "", []any{}
	if filter != "" {
		where = ` WHERE actor LIKE ? ESCAPE '\' OR action LIKE ? ESCAPE '\' OR target LIKE ? ESCAPE '\'
			OR action IN (SELECT value FROM json_each(?))`
		like := "%" + escapeLike(filter) + "%"
		js, _ := json.Marshal(append([]string{}, actions...)) // []string always marshals
		args = append(args, like, like, like, string(js))
	}
	var total int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM audit_log"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit: %w", err)
	}
	out, err := list(ctx, db, where, args, limit, offset)
	return out, total, err
}

func list(ctx context.Context, db Querier, where string, args []any, limit, offset int) ([]Event, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, at, coalesce(actor_id, 0), actor, action, coalesce(target_id, 0), target, detail, ip
		FROM audit_log`+where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.Actor, &e.Action, &e.TargetID, &e.Target, &e.Detail, &e.IP); err != nil {
			return nil, err
		}
		e.At = time.Unix(at, 0).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Pseudonymise replaces a user's e-mail in the log with a pseudonym ("user #ID") when their data
// is erased, keeping the trail of what happened without the person. Lines that name the address
// without the id (failed or throttled sign-ins, where the address is what was typed, or its keyed
// hash typed) are matched by address and hash; the details of lines about the person are emptied.
func Pseudonymise(ctx context.Context, db Execer, userID int64, email, typed, pseudonym string) error {
	if _, err := db.ExecContext(ctx, `UPDATE audit_log SET actor = ? WHERE actor_id = ? OR actor = ? COLLATE NOCASE OR actor = ?`,
		pseudonym, userID, email, typed); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `UPDATE audit_log SET target = ?, detail = '' WHERE target_id = ? OR target = ? COLLATE NOCASE`,
		pseudonym, userID, email)
	return err
}

// Unlink takes userID off every line that names it as actor or target (the text stays): for a
// users row that is deleted, whose id may be given to someone else.
func Unlink(ctx context.Context, db Execer, userID int64) error {
	if _, err := db.ExecContext(ctx, `UPDATE audit_log SET actor_id = NULL WHERE actor_id = ?`, userID); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `UPDATE audit_log SET target_id = NULL WHERE target_id = ?`, userID)
	return err
}

func escapeLike(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

// Recent counts the events of action by the actor named actor (any case) from ip since since, for
// rate-limiting what is written about the same thing.
func Recent(ctx context.Context, db Querier, action, actor, ip string, since time.Time) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE at > ? AND action = ? AND actor = ? COLLATE NOCASE AND ip = ?`,
		since.Unix(), action, actor, ip).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count audit: %w", err)
	}
	return n, nil
}

// About lists the newest events done by or to a user, up to limit, for their data export.
func About(ctx context.Context, db Querier, userID int64, limit int) ([]Event, error) {
	return list(ctx, db, ` WHERE target_id = ? OR actor_id = ?`, []any{userID, userID}, limit, 0)
}

// AboutBefore is one page of About read by id rather than offset, so that lines written while a
// reader pages through are neither skipped nor read twice: up to limit lines about the user older
// than the line beforeID (0: from the newest), newest first.
func AboutBefore(ctx context.Context, db Querier, userID, beforeID int64, limit int) ([]Event, error) {
	if beforeID <= 0 {
		return About(ctx, db, userID, limit)
	}
	return list(ctx, db, ` WHERE (target_id = ? OR actor_id = ?) AND id < ?`, []any{userID, userID, beforeID}, limit, 0)
}

// Trail is the audit log as a service, for the pages that list it.
type Trail struct{ db Querier }

// NewTrail is the log over db (its read pool).
func NewTrail(db Querier) *Trail { return &Trail{db: db} }

// List is List over the trail's database.
func (l *Trail) List(ctx context.Context, filter string, limit, offset int, actions ...string) ([]Event, int, error) {
	return List(ctx, l.db, filter, limit, offset, actions...)
}

// Purge deletes the lines written before before, which name people (actor, target, address); the
// lines of the retention runs themselves name nobody and stay as the record that deletion
// happens. With dryRun it only counts. w is the writer, r the read pool.
func Purge(ctx context.Context, w Execer, r Querier, before time.Time, dryRun bool) (int, error) {
	where := ` WHERE at < ? AND action <> 'retention.purged'`
	if dryRun {
		var n int
		err := r.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`+where, before.Unix()).Scan(&n)
		return n, err
	}
	res, err := w.ExecContext(ctx, `DELETE FROM audit_log`+where, before.Unix())
	if err != nil {
		return 0, fmt.Errorf("purge audit: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
