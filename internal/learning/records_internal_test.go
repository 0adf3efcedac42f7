package learning

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"reflect"
	"testing"

	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// The records a write derives in memory (withCompletion, withVisit, withAttempt) are the records
// the database then holds, for any sequence of completions (new or repeated), visits (written or
// skipped within the minute) and attempts (failed, passed, passed again), also with times that go
// back a little.
func TestDerivedRecordsMatchTheDatabase(t *testing.T) {
	db := testkit.OpenDB(t)
	ctx := context.Background()
	res, err := db.W.Exec(`INSERT INTO users(email, name, lang, role, status, created_at) VALUES ('r@example.org', 'R', 'de', 'learner', 'approved', 1)`)
	if err != nil {
		t.Fatal(err)
	}
	user, _ := res.LastInsertId()
	rng := rand.New(rand.NewPCG(1, 2))
	modules, lessons := []string{"alpha", "beta"}, []string{"one", "two", "three"}
	derived := newRecords()
	derived.scored = true // the trainer's records, with every score
	at := int64(1_780_000_000)
	for step := range 400 {
		at += int64(rng.IntN(120)) - 10 // mostly forward, sometimes a few seconds back
		m, l := modules[rng.IntN(2)], lessons[rng.IntN(3)]
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			switch rng.IntN(3) {
			case 0:
				r, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO lesson_completions(user_id, module_id, lesson_id, completed_at) VALUES (?, ?, ?, ?)`, user, m, l, at)
				if err != nil {
					return err
				}
				if n, _ := r.RowsAffected(); n > 0 {
					derived = derived.clone().withCompletion(m, l, at)
				}
			case 1:
				changed, err := upsertVisit(ctx, tx, user, m, l, sqlite.Time(at))
				if err != nil {
					return err
				}
				if changed {
					derived = derived.clone().withVisit(m, l, at)
				}
			default:
				score := rng.IntN(101)
				if _, err := tx.ExecContext(ctx, `INSERT INTO check_attempts(user_id, module_id, score, passed, answers, shown, submitted_at) VALUES (?, ?, ?, ?, '{}', '[]', ?)`,
					user, m, score, score >= 80, at); err != nil {
					return err
				}
				derived = derived.clone().withAttempt(m, score, score >= 80, at)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		scored, err := loadRecordsWhere(ctx, db.R, recordQuery{scores: true}, user)
		if err != nil {
			t.Fatal(err)
		}
		stored := scored[user]
		// A learner's own records have the same sums, without the scores.
		plain, err := loadRecord(ctx, db.R, user)
		if err != nil {
			t.Fatal(err)
		}
		for m, st := range stored.checks {
			st.scores = nil
			if p := plain.checks[m]; !reflect.DeepEqual(p, st) {
				t.Fatalf("step %d, module %s: a learner's records %+v, the trainer's %+v", step, m, p, st)
			}
		}
		// A page about one module reads that module's records, the same as in all of them.
		for _, m := range modules {
			one, err := loadRecordsWhere(ctx, db.R, recordQuery{module: m}, user)
			if err != nil {
				t.Fatal(err)
			}
			r := one[user]
			want := newRecords()
			if d, ok := plain.done[m]; ok {
				want.done[m] = d
			}
			if v, ok := plain.visits[m]; ok {
				want.visits[m] = v
			}
			if c, ok := plain.checks[m]; ok {
				want.checks[m] = c
			}
			if !reflect.DeepEqual(r, want) {
				t.Fatalf("step %d, module %s alone: %+v, want %+v", step, m, r, want)
			}
		}
		// The order of scores follows the clock; when it went back the database sorts the late
		// attempt earlier, which only the list of scores shows.
		for m, st := range stored.checks {
			d := derived.checks[m]
			if st.attempts != d.attempts || st.best != d.best || st.passed != d.passed || !st.firstPass.Equal(d.firstPass) || !st.last.Equal(d.last) {
				t.Fatalf("step %d, module %s: stored %+v, derived %+v", step, m, st, d)
			}
			if !sameScores(st.scores, d.scores) {
				t.Fatalf("step %d, module %s: scores stored %v, derived %v", step, m, st.scores, d.scores)
			}
		}
		s, d := *stored, *derived
		s.checks, d.checks = nil, nil
		if len(stored.checks) != len(derived.checks) {
			t.Fatalf("step %d: attempts at %d modules stored, %d derived", step, len(stored.checks), len(derived.checks))
		}
		if !reflect.DeepEqual(s, d) {
			t.Fatalf("step %d: stored %+v\nderived %+v", step, s, d)
		}
	}
}

// The sums a learner's pages read (check_stats, kept by triggers) follow the attempts when they
// are deleted or changed, not only when they are added.
func TestAttemptSumsFollowDeletesAndChanges(t *testing.T) {
	db := testkit.OpenDB(t)
	ctx := context.Background()
	res, err := db.W.Exec(`INSERT INTO users(email, name, lang, role, status, created_at) VALUES ('s@example.org', 'S', 'de', 'learner', 'approved', 1)`)
	if err != nil {
		t.Fatal(err)
	}
	user, _ := res.LastInsertId()
	for i, score := range []int{40, 90, 60, 85, 30} {
		if _, err := db.W.Exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, shown, submitted_at) VALUES (?, ?, ?, ?, '{}', '[]', ?)`,
			user, []string{"alpha", "beta"}[i%2], score, score >= 80, 1000+i); err != nil {
			t.Fatal(err)
		}
	}
	agree := func(step string) {
		t.Helper()
		plain, err := loadRecord(ctx, db.R, user)
		if err != nil {
			t.Fatal(err)
		}
		scored, err := loadRecordsWhere(ctx, db.R, recordQuery{scores: true}, user)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain.checks) != len(scored[user].checks) {
			t.Fatalf("%s: sums for %d modules, attempts at %d", step, len(plain.checks), len(scored[user].checks))
		}
		for m, st := range scored[user].checks {
			st.scores = nil
			if p := plain.checks[m]; !reflect.DeepEqual(p, st) {
				t.Fatalf("%s, module %s: sums %+v, from the attempts %+v", step, m, p, st)
			}
		}
	}
	agree("after inserts")
	if _, err := db.W.Exec(`DELETE FROM check_attempts WHERE user_id = ? AND score = 90`, user); err != nil {
		t.Fatal(err)
	}
	agree("after deleting the first pass")
	if _, err := db.W.Exec(`UPDATE check_attempts SET module_id = 'alpha', score = 95, passed = 1 WHERE user_id = ? AND score = 60`, user); err != nil {
		t.Fatal(err)
	}
	agree("after a change")
	if _, err := db.W.Exec(`DELETE FROM users WHERE id = ?`, user); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.R.QueryRow(`SELECT count(*) FROM check_stats WHERE user_id = ?`, user).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d sums left after the user went (%v)", left, err)
	}
}

// sameScores: the same scores, in any order.
func sameScores(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	n := map[int]int{}
	for _, x := range a {
		n[x]++
	}
	for _, x := range b {
		n[x]--
	}
	for _, c := range n {
		if c != 0 {
			return false
		}
	}
	return true
}

// The scores of a learner's attempts come from the database in any order and are put in the
// order taken: by time, then by id for attempts within the same second.
func TestScoresInOrder(t *testing.T) {
	got, err := scoresInOrder("50 200 3,70 100 5,60 100 4")
	if err != nil || !reflect.DeepEqual(got, []int{60, 70, 50}) {
		t.Errorf("scoresInOrder = %v, %v; want [60 70 50]", got, err)
	}
	for _, bad := range []string{"", "50 200", "50 x 3"} {
		if _, err := scoresInOrder(bad); err == nil {
			t.Errorf("scoresInOrder(%q) took it", bad)
		}
	}
}
