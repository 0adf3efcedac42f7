package learning

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"saferspaces/internal/sqlite"
)

// records is everything stored about one learner, as read from the database. It knows nothing
// about the content; progress() lays it over the catalog, which is where ids that no longer
// exist drop out.
type records struct {
	done   map[string]map[string]time.Time // module → lesson → completed at
	visits map[string]visit                // module → last opened lesson
	checks map[string]checkStats           // module → self-check attempts
	certs  map[string]*Certificate         // module (or ProgrammeID) → certificate
	// scored: the attempts' scores were read (checkStats.scores), for the trainer's views; a
	// learner's own pages and writes need only the sums.
	scored bool
}

type visit struct {
	lesson string
	at     time.Time
}

type checkStats struct {
	scores    []int // every attempt's score, oldest first; only in records read withScores
	attempts  int
	best      int
	passed    bool
	firstPass time.Time // zero if never passed
	last      time.Time
}

func newRecords() *records {
	return &records{
		done:   map[string]map[string]time.Time{},
		visits: map[string]visit{},
		checks: map[string]checkStats{},
		certs:  map[string]*Certificate{},
	}
}

// The with… methods derive a learner's records after a write from those before it, inside the
// write's transaction, instead of reading them all again (four queries per learner action); the
// result is what loadRecord would read (TestDerivedRecordsMatchTheDatabase).

// clone copies r deep enough for the with… methods to change the copy only.
func (r *records) clone() *records {
	c := &records{
		done:   make(map[string]map[string]time.Time, len(r.done)),
		visits: make(map[string]visit, len(r.visits)),
		checks: make(map[string]checkStats, len(r.checks)),
		certs:  make(map[string]*Certificate, len(r.certs)),
		scored: r.scored,
	}
	for m, ls := range r.done {
		c.done[m] = make(map[string]time.Time, len(ls))
		for l, at := range ls {
			c.done[m][l] = at
		}
	}
	for m, v := range r.visits {
		c.visits[m] = v
	}
	for m, st := range r.checks {
		st.scores = append([]int(nil), st.scores...)
		c.checks[m] = st
	}
	for m, cert := range r.certs {
		c.certs[m] = cert
	}
	return c
}

// withCompletion records lesson l of module m as completed at unix second at (a new completion).
func (r *records) withCompletion(m, l string, at int64) *records {
	if r.done[m] == nil {
		r.done[m] = map[string]time.Time{}
	}
	r.done[m][l] = sqlite.Time(at)
	return r
}

// withVisit records lesson l as the one opened last in module m (a visit that was written).
func (r *records) withVisit(m, l string, at int64) *records {
	r.visits[m] = visit{lesson: l, at: sqlite.Time(at)}
	return r
}

// withAttempt records a new self-check attempt at module m, submitted at unix second at. Its score
// goes last in the list (the database orders by time, then id: the same unless the clock went back).
func (r *records) withAttempt(m string, score int, passed bool, at int64) *records {
	st := r.checks[m]
	t := sqlite.Time(at)
	if r.scored {
		st.scores = append(st.scores, score)
	}
	st.attempts++
	st.best = max(st.best, score)
	if passed {
		st.passed = true
		if st.firstPass.IsZero() || t.Before(st.firstPass) {
			st.firstPass = t
		}
	}
	if t.After(st.last) {
		st.last = t
	}
	r.checks[m] = st
	return r
}

// lastActivity is the latest of everything recorded, including progress on lessons and modules
// that have since left the content: it is still activity.
func (r *records) lastActivity() time.Time {
	var t time.Time
	for _, lessons := range r.done {
		for _, at := range lessons {
			t = later(t, at)
		}
	}
	for _, v := range r.visits {
		t = later(t, v.at)
	}
	for _, st := range r.checks {
		t = later(t, st.last)
	}
	return t
}

// userSet is the SQL condition and argument that select the rows of the given users: one JSON
// array as the only parameter, so a cohort of any size is one statement with one bound value.
func userSet(column string, ids []int64) (string, any) {
	if len(ids) == 1 { // the learner's own pages: a plain index lookup, no json_each table
		return column + ` = ?`, ids[0]
	}
	b, _ := json.Marshal(ids) // []int64 always marshals
	return column + ` IN (SELECT value FROM json_each(?))`, string(b)
}

// loadRecords reads the records of the given learners: four indexed queries, whatever the number
// of learners and modules. Every id gets a (possibly empty) record.
func loadRecords(ctx context.Context, q querier, userIDs ...int64) (map[int64]*records, error) {
	return loadRecordsWhere(ctx, q, recordQuery{}, userIDs...)
}

// recordQuery narrows what loadRecordsWhere reads.
type recordQuery struct {
	// since: only what was done at or after it (unix seconds; 0: everything), for a cohort
	// report that counts only the current cycle. Certificates are read whenever issued.
	since int64
	// scores: every attempt's score too (the trainer's views show them).
	scores bool
	// module: only this module's records ("": all), for a page about one module.
	module string
}

// loadRecordsWhere reads the learners' records as rq says.
func loadRecordsWhere(ctx context.Context, q querier, rq recordQuery, userIDs ...int64) (map[int64]*records, error) {
	since, withScores := rq.since, rq.scores
	out := make(map[int64]*records, len(userIDs))
	for _, id := range userIDs {
		out[id] = newRecords()
		out[id].scored = withScores
	}
	if len(userIDs) == 0 {
		return out, nil
	}
	where, arg := userSet("user_id", userIDs)
	cwhere, carg := userSet("c.user_id", userIDs)
	args, cargs := []any{arg}, []any{carg}
	if rq.module != "" {
		where += ` AND module_id = ?`
		cwhere += ` AND c.module_id = ?`
		args, cargs = append(args, rq.module), append(cargs, rq.module)
	}
	andSince := func() []any { return append(slices.Clone(args), since) }
	err := sqlite.Each(ctx, q, `SELECT user_id, module_id, lesson_id, completed_at FROM lesson_completions WHERE `+where+
		` AND completed_at >= ?`, andSince(), func(scan func(...any) error) error {
		var u, at int64
		var m, l string
		if err := scan(&u, &m, &l, &at); err != nil {
			return err
		}
		rec := out[u]
		if rec.done[m] == nil {
			rec.done[m] = map[string]time.Time{}
		}
		rec.done[m][l] = sqlite.Time(at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read completions: %w", err)
	}
	err = sqlite.Each(ctx, q, `SELECT user_id, module_id, lesson_id, visited_at FROM lesson_visits WHERE `+where+
		` AND visited_at >= ?`, andSince(), func(scan func(...any) error) error {
		var u, at int64
		var m, l string
		if err := scan(&u, &m, &l, &at); err != nil {
			return err
		}
		out[u].visits[m] = visit{lesson: l, at: sqlite.Time(at)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read visits: %w", err)
	}
	// The attempts summed up per learner and module: kept in check_stats by triggers for the
	// learner's own pages and writes (it does not grow with the attempts); summed from an index
	// that covers them for a report of a cycle (since) or with the scores in order, which the
	// trainer's views show. Those come joined unsorted and are ordered here: an ORDER BY or a
	// sorted group_concat costs SQLite a temporary b-tree per query.
	query := `SELECT user_id, module_id, attempts, best, passed, first_pass_at, last_at, '' FROM check_stats WHERE ` + where
	attemptArgs := args
	if since > 0 || withScores {
		query = `SELECT user_id, module_id, count(*), max(score), max(passed),
			coalesce(min(CASE WHEN passed = 1 THEN submitted_at END), 0), max(submitted_at),
			group_concat(score || ' ' || submitted_at || ' ' || id, ',')
		FROM check_attempts WHERE ` + where + ` AND submitted_at >= ? GROUP BY user_id, module_id`
		attemptArgs = andSince()
	}
	err = sqlite.Each(ctx, q, query, attemptArgs, func(scan func(...any) error) error {
		var u, firstPass, last int64
		var m, list string
		var st checkStats
		if err := scan(&u, &m, &st.attempts, &st.best, &st.passed, &firstPass, &last, &list); err != nil {
			return err
		}
		st.firstPass, st.last = sqlite.Time(firstPass), sqlite.Time(last)
		if withScores {
			var err error
			if st.scores, err = scoresInOrder(list); err != nil {
				return err
			}
		}
		out[u].checks[m] = st
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	err = sqlite.Each(ctx, q, `SELECT `+certColumns+` FROM certificates c WHERE `+cwhere,
		cargs, func(scan func(...any) error) error {
			c, err := scanCertificate(scan)
			if err != nil {
				return err
			}
			out[c.UserID].certs[c.ModuleID] = &c
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("read certificates: %w", err)
	}
	return out, nil
}

// scoresInOrder reads the scores of a learner's attempts at one module, given as "score at id"
// items separated by commas in any order, and puts them in the order taken (time, then id).
func scoresInOrder(list string) ([]int, error) {
	type attempt struct{ score, at, id int64 }
	as := make([]attempt, 0, strings.Count(list, ",")+1)
	for item := range strings.SplitSeq(list, ",") {
		var n [3]int64
		f := strings.Fields(item)
		if len(f) != len(n) {
			return nil, fmt.Errorf("attempt %q: want %d numbers", item, len(n))
		}
		for k := range n {
			var err error
			if n[k], err = strconv.ParseInt(f[k], 10, 64); err != nil {
				return nil, fmt.Errorf("attempt %q: %w", item, err)
			}
		}
		as = append(as, attempt{score: n[0], at: n[1], id: n[2]})
	}
	slices.SortFunc(as, func(a, b attempt) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
	out := make([]int, len(as))
	for i, a := range as {
		out[i] = int(a.score)
	}
	return out, nil
}

// loadRecord reads one learner's records.
func loadRecord(ctx context.Context, q querier, userID int64) (*records, error) {
	recs, err := loadRecords(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	return recs[userID], nil
}
