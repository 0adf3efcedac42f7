package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
	"saferspaces/internal/report"
	"saferspaces/internal/sqlite"
	"saferspaces/internal/testkit"
)

// The cohort report and both exports at 100, 1,000 and 10,000 learners. Each benchmark reports
// ns/learner (time divided by the cohort's size): if it does not grow from 1,000 to 10,000, time
// grows no worse than linearly. The exports also report B/learner (bytes allocated per learner)
// and peak-MB (the most heap in use while writing), which shows that they stream: the learners'
// records are read 500 at a time, never all at once. Figures and how to read them:
// docs/performance.md, section "Trainer reports at scale".
//
//	go test -run '^$' -bench 'Cohort' -benchtime 20x ./internal/report/

var sizes = []int{100, 1000, 10000}

// benchDir holds the seeded databases of a benchmark run.
var benchDir string

func TestMain(m *testing.M) {
	var err error
	if benchDir, err = os.MkdirTemp("", "saferspaces-bench-"); err != nil {
		panic(err)
	}
	code := m.Run()
	if os.Getenv("KEEPDB") == "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchWorld is one seeded cohort of n learners.
type benchWorld struct {
	svc    *report.Service
	fresh  func() *report.Service // a service with empty caches
	cohort int64
	admin  int64
}

var (
	benchMu     sync.Mutex
	benchWorlds = map[int]*benchWorld{}
)

// nine modules of four lessons, each with the three-question self-check: the shipped shape.
func benchCatalog() []testkit.Module {
	var mods []testkit.Module
	for i := range 9 {
		mods = append(mods, testkit.Module{ID: fmt.Sprintf("m%d", i), Lessons: []string{"a", "b", "c", "d"}})
	}
	return mods
}

// seeded returns the cohort of n learners, made once per size: every learner at a random point of
// the programme (lessons, attempts with answers, visits, certificates for finished modules).
func seeded(b *testing.B, n int) *benchWorld {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if w := benchWorlds[n]; w != nil {
		return w
	}
	// The seeded database outlives each sub-benchmark (it is reused by the next one of its size):
	// it lives in a folder of its own, removed by TestMain.
	dir, err := os.MkdirTemp(benchDir, "cohort")
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cat := testkit.Catalog(b, benchCatalog()...)
	w := &benchWorld{}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	err = db.Tx(context.Background(), func(tx *sql.Tx) error {
		ex := func(q string, args ...any) int64 {
			res, err := tx.Exec(q, args...)
			if err != nil {
				b.Fatalf("%s: %v", q, err)
			}
			id, _ := res.LastInsertId()
			return id
		}
		w.cohort = ex(`INSERT INTO cohorts(name, created_at, starts_at, due_at) VALUES ('Groß', ?, ?, ?)`,
			now.AddDate(0, -2, 0).Unix(), now.AddDate(0, -2, 0).Unix(), now.AddDate(0, 1, 0).Unix())
		w.admin = ex(`INSERT INTO users(email, name, role, status, created_at) VALUES ('admin@x.example', 'Admin', 'admin', 'approved', ?)`, now.Unix())
		orgs := []string{"Stadt Köln", "Stadt Bonn", "Kreis Düren", "Ordnungsamt Münster", ""}
		first := []string{"Anna", "Ülrich", "Zoë", "Jürgen", "Émile", "Bernd", "Clara", "Özlem"}
		for i := range n {
			day := func() int64 { return now.Add(-time.Duration(rng.IntN(60*24)) * time.Hour).Unix() }
			u := ex(`INSERT INTO users(email, name, organisation, role, status, created_at, last_login_at) VALUES (?, ?, ?, 'learner', ?, ?, ?)`,
				fmt.Sprintf("l%d@x.example", i), fmt.Sprintf("%s Müller-%d", first[i%len(first)], i), orgs[i%len(orgs)],
				map[bool]string{true: "disabled", false: "approved"}[i%97 == 0], now.Unix(), day())
			ex(`INSERT INTO cohort_members(cohort_id, user_id, joined_at) VALUES (?, ?, ?)`, w.cohort, u, now.AddDate(0, -2, 0).Unix())
			done := rng.IntN(9 * 5) // units done, in order
			for m := range 9 {
				for l, lesson := range []string{"a", "b", "c", "d"} {
					if m*5+l < done {
						ex(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at) VALUES (?, ?, ?, ?)`,
							u, fmt.Sprintf("m%d", m), lesson, day())
					}
				}
				if m*5+4 < done+2 && m*5+4 >= done-6 || m*5+4 < done {
					passed := m*5+4 < done
					ex(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at) VALUES (?, ?, ?, ?, ?, ?)`,
						u, fmt.Sprintf("m%d", m), map[bool]int{true: 66, false: 33}[passed], passed,
						map[bool]string{true: `{"q1":["a"],"q2":["a","b"],"q3":["y"]}`, false: `{"q1":["b"],"q2":["a"],"q3":["y"]}`}[passed], day())
					if passed {
						ex(`INSERT INTO certificates(code, user_id, module_id, issued_at) VALUES (?, ?, ?, ?)`, fmt.Sprintf("C%d-%d", u, m), u, fmt.Sprintf("m%d", m), day())
					}
				}
			}
			ex(`INSERT INTO lesson_visits(user_id, module_id, lesson_id, visited_at) VALUES (?, 'm0', 'a', ?)`, u, day())
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	acc := account.New(db, clock, func(p string) string { return "https://ss.example" + p }, testkit.Logger(io.Discard))
	learn := learning.New(db, cat, clock)
	if _, err := learn.RebuildSummaries(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := acc.EnsureSortKeys(context.Background()); err != nil { // as serve does at start-up
		b.Fatal(err)
	}
	w.fresh = func() *report.Service { return report.New(db, acc, learn, clock, time.UTC) }
	w.svc = w.fresh()
	benchWorlds[n] = w
	return w
}

// perLearner reports the time per learner of the cohort: wall time, and the process's CPU time
// since cpuStart (which a busy machine inflates less than wall time).
func perLearner(b *testing.B, n int, cpuStart time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/learner")
	b.ReportMetric(float64((cpuTime()-cpuStart).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/learner")
}

// cpuTime is the CPU time the process has used so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCohortPage is the trainer's cohort page: one page of 50 rows of the matrix, the
// figures over every member and the timeline.
func BenchmarkCohortPage(b *testing.B) {
	for _, tt := range []struct {
		name string
		q    report.Query
	}{
		{"by-name", report.Query{}},
		{"by-percent-page-3", report.Query{Sort: report.SortPercent, Desc: true, Page: 3}},
		{"search", report.Query{Search: "ÜLRICH", Filter: report.FilterOpen}},
		{"cold", report.Query{}}, // the chart's counts not cached: as after a new certificate
	} {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/learners=%d", tt.name, n), func(b *testing.B) {
				w := seeded(b, n)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				cpu := cpuTime()
				svc := w.svc
				for b.Loop() {
					if tt.name == "cold" {
						svc = w.fresh()
					}
					r, err := svc.Report(ctx, w.cohort, w.admin, "admin", tt.q)
					if err != nil || len(r.Learners) == 0 {
						b.Fatal(err, len(r.Learners))
					}
				}
				perLearner(b, n, cpu)
			})
		}
	}
}

// BenchmarkCohortList is /trainer: the figures of a cohort, without any matrix.
func BenchmarkCohortList(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("learners=%d", n), func(b *testing.B) {
			w := seeded(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := w.svc.Led(context.Background(), w.admin, "admin", false); err != nil {
					b.Fatal(err)
				}
			}
			perLearner(b, n, cpu)
		})
	}
}

func BenchmarkCohortCSV(b *testing.B)  { benchExport(b, report.WriteCSV) }
func BenchmarkCohortXLSX(b *testing.B) { benchExport(b, report.WriteXLSX) }

type writer func(ctx context.Context, w io.Writer, e *report.Export, lang i18n.Lang, loc *time.Location) error

func benchExport(b *testing.B, write writer) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("learners=%d", n), func(b *testing.B) {
			w := seeded(b, n)
			ctx := context.Background()
			peak := watchHeap()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				e, err := w.svc.Export(ctx, w.cohort, w.admin, "admin", report.Query{})
				if err != nil {
					b.Fatal(err)
				}
				if err := write(ctx, io.Discard, e, "de", time.UTC); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			perLearner(b, n, cpu)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(n), "B/learner")
			b.ReportMetric(float64(peak())/(1<<20), "peak-MB")
		})
	}
}

// watchHeap samples the live heap every millisecond until the returned function is called, which
// stops the sampling and reports the largest value seen.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak.Load()
	}
}
