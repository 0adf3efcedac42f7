package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/learning"
	"saferspaces/internal/sqlite"
)

// The cohort page's one read-only query model. A page of a cohort of 10,000 learners must be
// sorted by a key of one owner (the name's collation key in account's users, the percentage in
// learning's learner_progress), filtered by another's and summed over both; done in Go that is
// 10,000 rows out of SQLite on every page view. So, like the xAPI export, package report reads
// account's cohort_members and users, and learning's learner_progress and certificates, in single
// read-only statements here — it never writes them, and the rules stay with their owners: the
// progress in learner_progress is learning's rule (learning keeps it), the sort and search keys
// are account's (account.EnsureSortKeys), and "inactive" and "overdue" are the ones spelled out
// in rows.go, which the statements below say again in SQL (TestSQLAgreesWithRecords holds the two
// together). docs/architecture.md lists this exception.

const (
	memberJoin  = ` FROM cohort_members m JOIN users u ON u.id = m.user_id LEFT JOIN learner_progress p ON p.user_id = m.user_id`
	memberWhere = ` WHERE m.cohort_id = :cohort AND u.status IN ('approved', 'disabled')`
	memberFrom  = memberJoin + memberWhere
	// moduleJoin brings the sorted module's figures in: its percent (learning keeps it per learner
	// and module) and the self-check's best score and attempts (check_stats, kept by triggers).
	moduleJoin = ` LEFT JOIN learner_module_progress mp ON mp.user_id = m.user_id AND mp.module_id = :module` +
		` LEFT JOIN check_stats cs ON cs.user_id = m.user_id AND cs.module_id = :module`
)

// The flags, as SQL over memberFrom: :cutoff is now − InactiveAfter, :due the due date (0: none).
const (
	sqlLast     = `max(coalesce(p.last_activity_at, 0), coalesce(u.last_login_at, 0))`
	sqlOpen     = `(u.status <> 'disabled' AND coalesce(p.complete, 0) = 0)`
	sqlInactive = `(` + sqlOpen + ` AND max(` + sqlLast + `, m.joined_at) <= :cutoff)`
	sqlOverdue  = `(` + sqlOpen + ` AND :due > 0 AND :now > :due)`
)

const rowColumns = `u.id, u.name, u.email, u.organisation, u.lang, u.status = 'disabled', u.reminders_off, m.joined_at,
	coalesce(u.last_login_at, 0), coalesce(p.units_done, 0), coalesce(p.percent, 0), coalesce(p.modules_done, 0),
	coalesce(p.complete, 0), coalesce(p.attempts, 0), coalesce(p.last_activity_at, 0), ` + sqlInactive + `, ` + sqlOverdue

func scanRow(scan func(...any) error) (row, error) {
	var r row
	var joined, login, last int64
	err := scan(&r.m.ID, &r.m.Name, &r.m.Email, &r.m.Organisation, &r.m.Lang, &r.m.Disabled, &r.m.RemindersOff, &joined,
		&login, &r.sum.UnitsDone, &r.sum.Percent, &r.sum.ModulesDone, &r.sum.Complete, &r.sum.Attempts, &last,
		&r.inactive, &r.overdue)
	r.sum.UserID = r.m.ID
	r.m.JoinedAt, r.m.LastLoginAt, r.sum.LastActivity = sqlite.Time(joined), sqlite.Time(login), sqlite.Time(last)
	r.last = later(r.sum.LastActivity, r.m.LastLoginAt)
	return r, err
}

// args are the named parameters of every statement about cohort c at now.
func (s *Service) args(c account.Cohort, now time.Time) []any {
	var due int64
	if !c.DueAt.IsZero() {
		due = c.DueAt.Unix()
	}
	return []any{namedArg("cohort", c.ID), namedArg("cutoff", now.Add(-InactiveAfter).Unix()), namedArg("due", due),
		namedArg("now", now.Unix())}
}

// filter is the query's filter and search as SQL over memberFrom.
func (q Query) filter() (string, []any) {
	var where []string
	switch q.Filter {
	case FilterInactive:
		where = append(where, `(`+sqlInactive+` OR `+sqlOverdue+`)`)
	case FilterOpen:
		where = append(where, `coalesce(p.complete, 0) = 0`)
	case FilterDone:
		where = append(where, `coalesce(p.complete, 0) = 1`)
	}
	var args []any
	if t := fold(q.Search); t != "" {
		where = append(where, `u.search LIKE :term ESCAPE '\'`)
		args = append(args, namedArg("term", "%"+escapeLike(t)+"%"))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(where, " AND "), args
}

// order is the query's sort as SQL; ties go by name, then id, the same way round.
func (q Query) order() string {
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	keys := map[string][]string{SortOrg: {"u.sort_org"}, SortPercent: {"coalesce(p.percent, 0)", "coalesce(p.modules_done, 0)"},
		SortActivity: {sqlLast}}
	if q.moduleSort() {
		keys[q.Sort] = []string{"coalesce(mp.percent, 0)", "coalesce(cs.best, 0)", "coalesce(cs.attempts, 0)"}
	}
	var terms []string
	for _, k := range keys[q.Sort] {
		terms = append(terms, k+dir)
	}
	return " ORDER BY " + strings.Join(append(terms, "u.sort_name"+dir, "u.id"+dir), ", ")
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// figures sums the cohort in one aggregate statement, and counts the members that pass the filter.
func (s *Service) sqlFigures(ctx context.Context, c account.Cohort, q Query, now time.Time) (sums, int, int, error) {
	f, members, matches, _, err := s.sqlFiguresKey(ctx, c, q, now)
	return f, members, matches, err
}

// sqlFiguresKey is sqlFigures that also returns a fingerprint of the membership: the sum of a
// multiplicative hash of each member's id (Knuth's, modulo a prime below 2³²), which with the
// number of members tells whether the membership changed. A plain sum of ids did not: 5 and 10
// swapped for 7 and 8 kept it. Ids stay far below 2³¹, so the products fit in 64 bits.
func (s *Service) sqlFiguresKey(ctx context.Context, c account.Cohort, q Query, now time.Time) (sums, int, int, int64, error) {
	cond, fargs := q.filter()
	match := "1"
	if cond != "" {
		match = strings.TrimPrefix(cond, " AND ")
	}
	var f sums
	var members, matches, total int
	var ids int64
	err := s.db.R.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(coalesce(p.percent, 0)), 0),
			coalesce(sum(`+sqlInactive+`), 0), coalesce(sum(`+sqlOverdue+`), 0), coalesce(sum(coalesce(p.complete, 0)), 0),
			coalesce(sum(CASE WHEN `+match+` THEN 1 ELSE 0 END), 0), coalesce(sum((m.user_id * 2654435761) % 4294967291), 0)`+memberFrom,
		append(s.args(c, now), fargs...)...).Scan(&members, &total, &f.inactive, &f.overdue, &f.completed, &matches, &ids)
	if err != nil {
		return sums{}, 0, 0, 0, fmt.Errorf("cohort figures: %w", err)
	}
	if members > 0 {
		f.avg = total / members
	}
	return f, members, matches, ids, nil
}

// sqlRows streams the members that pass q's filter in q's order (limit < 0: all) to fn.
func (s *Service) sqlRows(ctx context.Context, c account.Cohort, q Query, now time.Time, limit, offset int, fn func(row) error) error {
	cond, fargs := q.filter()
	from := memberFrom
	args := append(append(s.args(c, now), fargs...), namedArg("limit", limit), namedArg("offset", offset))
	if q.moduleSort() {
		from = memberJoin + moduleJoin + memberWhere
		args = append(args, namedArg("module", strings.TrimPrefix(q.Sort, "m.")))
	}
	query := `SELECT ` + rowColumns + from + cond + q.order() + ` LIMIT :limit OFFSET :offset`
	err := sqlite.Each(ctx, s.db.R, query, args, func(scan func(...any) error) error {
		r, err := scanRow(scan)
		if err != nil {
			return err
		}
		return fn(r)
	})
	if err != nil {
		return fmt.Errorf("cohort rows: %w", err)
	}
	return nil
}

// timelineKey is what the completions of a cohort depend on: its members and the certificates.
type timelineKey struct {
	cohort, membership, lastCertificate int64
	members                             int
}

// timelineCache keeps each cohort's completion counts until a certificate is issued or the
// membership changes: the chart is the page's most expensive part (every certificate of every
// member), and between two certificates it cannot change.
type timelineCache struct {
	mu     sync.Mutex
	counts map[int64]cachedCounts
}

type cachedCounts struct {
	key    timelineKey
	counts []learning.Count
}

// cachedTimeline is sqlTimeline, answered from the cache when nothing it depends on changed.
func (s *Service) cachedTimeline(ctx context.Context, c account.Cohort, now time.Time, members int, membership int64) ([]learning.Count, error) {
	key := timelineKey{cohort: c.ID, membership: membership, members: members}
	if err := s.db.R.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM certificates`).Scan(&key.lastCertificate); err != nil {
		return nil, fmt.Errorf("cohort timeline: %w", err)
	}
	s.timelines.mu.Lock()
	hit, ok := s.timelines.counts[c.ID]
	s.timelines.mu.Unlock()
	if ok && hit.key == key {
		return hit.counts, nil
	}
	counts, err := s.sqlTimeline(ctx, c, now)
	if err != nil {
		return nil, err
	}
	s.timelines.mu.Lock()
	if s.timelines.counts == nil {
		s.timelines.counts = map[int64]cachedCounts{}
	}
	s.timelines.counts[c.ID] = cachedCounts{key: key, counts: counts}
	s.timelines.mu.Unlock()
	return counts, nil
}

// sqlTimeline counts the module completions (certificates) of the cohort's members per quarter
// hour, a unit every time zone's days are made of. The unary + keeps SQLite from probing the
// index once per member and module: it reads each member's few certificates in one range.
func (s *Service) sqlTimeline(ctx context.Context, c account.Cohort, now time.Time) ([]learning.Count, error) {
	mods := make([]string, len(s.cat.Modules))
	for i, m := range s.cat.Modules {
		mods[i] = m.ID
	}
	js, _ := json.Marshal(mods)
	var out []learning.Count
	err := sqlite.Each(ctx, s.db.R, `SELECT ce.issued_at / 900 * 900 AS q, count(*)
		FROM cohort_members m JOIN users u ON u.id = m.user_id JOIN certificates ce ON ce.user_id = m.user_id
		WHERE m.cohort_id = :cohort AND u.status IN ('approved', 'disabled')
			AND +ce.module_id IN (SELECT value FROM json_each(:mods)) GROUP BY q`,
		append(s.args(c, now), namedArg("mods", string(js))), func(scan func(...any) error) error {
			var at int64
			var n learning.Count
			if err := scan(&at, &n.N); err != nil {
				return err
			}
			n.At = sqlite.Time(at)
			out = append(out, n)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cohort timeline: %w", err)
	}
	return out, nil
}

func namedArg(name string, v any) any { return sql.Named(name, v) }
