package learning

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
}

type visit struct {
	lesson string
	at     time.Time
}

type checkStats struct {
	scores    []int // every attempt's score, oldest first
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
	st.scores = append(st.scores, score)
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
	return loadRecordsSince(ctx, q, 0, userIDs...)
}

// loadRecordsSince reads what the learners did at or after since (unix seconds; 0: everything),
// for a cohort report that counts only the current cycle. Certificates are read whenever issued.
func loadRecordsSince(ctx context.Context, q querier, since int64, userIDs ...int64) (map[int64]*records, error) {
	out := make(map[int64]*records, len(userIDs))
	for _, id := range userIDs {
		out[id] = newRecords()
	}
	if len(userIDs) == 0 {
		return out, nil
	}
	where, arg := userSet("user_id", userIDs)
	err := sqlite.Each(ctx, q, `SELECT user_id, module_id, lesson_id, completed_at FROM lesson_completions WHERE `+where+
		` AND completed_at >= ?`, []any{arg, since}, func(scan func(...any) error) error {
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
		` AND visited_at >= ?`, []any{arg, since}, func(scan func(...any) error) error {
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
	// The attempts are read row by row and summed up here: an ORDER BY or a sorted group_concat
	// costs SQLite a temporary b-tree per query, more than all of a learner's rows (this runs on
	// every page of a learner).
	type attempt struct {
		score int
		at    int64
		id    int64
	}
	attempts := map[int64]map[string][]attempt{}
	err = sqlite.Each(ctx, q, `SELECT user_id, module_id, score, passed, submitted_at, id FROM check_attempts
		WHERE `+where+` AND submitted_at >= ?`,
		[]any{arg, since}, func(scan func(...any) error) error {
			var u, at, id int64
			var m string
			var score int
			var passed bool
			if err := scan(&u, &m, &score, &passed, &at, &id); err != nil {
				return err
			}
			st := out[u].checks[m]
			st.attempts++
			st.best = max(st.best, score)
			t := sqlite.Time(at)
			if passed && (!st.passed || t.Before(st.firstPass)) {
				st.firstPass = t
			}
			st.passed = st.passed || passed
			if t.After(st.last) {
				st.last = t
			}
			out[u].checks[m] = st
			if attempts[u] == nil {
				attempts[u] = map[string][]attempt{}
			}
			attempts[u][m] = append(attempts[u][m], attempt{score, at, id})
			return nil
		})
	if err == nil {
		for u, byModule := range attempts {
			for m, as := range byModule {
				slices.SortFunc(as, func(a, b attempt) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
				st := out[u].checks[m]
				for _, a := range as {
					st.scores = append(st.scores, a.score)
				}
				out[u].checks[m] = st
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	cwhere, carg := userSet("c.user_id", userIDs)
	err = sqlite.Each(ctx, q, `SELECT `+certColumns+` FROM certificates c WHERE `+cwhere,
		[]any{carg}, func(scan func(...any) error) error {
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

// loadRecord reads one learner's records.
func loadRecord(ctx context.Context, q querier, userID int64) (*records, error) {
	recs, err := loadRecords(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	return recs[userID], nil
}
