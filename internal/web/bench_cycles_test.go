package web_test

import (
	"context"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"saferspaces/internal/account"
	"saferspaces/internal/audit"
)

// BenchmarkTrainerPages is the trainer's cohort page, the list of cohorts and the CSV and XLSX
// downloads over HTTP — the real server with its middleware, session and templates — for a cohort
// of 100, 1,000 and 10,000 learners, with the time per learner. Figures: docs/performance.md,
// "Trainer reports at scale".
//
//	go test -run '^$' -bench TrainerPages -benchtime 20x ./internal/web/
func BenchmarkTrainerPages(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		h := newHarness(b)
		ctx := context.Background()
		c, err := h.acc.CreateCohort(ctx, audit.CLI, "Groß", "")
		if err != nil {
			b.Fatal(err)
		}
		trainer := h.userWith(userSpec{Email: "t@stadt.example", Role: account.RoleTrainer, Cohort: "Groß"})
		seedCohort(b, h, c.ID, n)
		br := h.browser()
		br.signIn(trainer.Email, trainer.Password)
		byModule := "?sort=m." + h.svc.Content.Modules[0].ID
		for _, page := range []string{"", "?sort=total&dir=desc&page=3", byModule, "/progress.csv", "/progress.xlsx"} {
			path := fmt.Sprintf("/trainer/cohorts/%d%s", c.ID, page)
			name := map[string]string{"": "cohort-page", "?sort=total&dir=desc&page=3": "cohort-page-sorted",
				byModule: "cohort-page-by-module", "/progress.csv": "csv", "/progress.xlsx": "xlsx"}[page]
			b.Run(fmt.Sprintf("%s/learners=%d", name, n), func(b *testing.B) {
				cpu := processCPU()
				size := 0
				for b.Loop() {
					p := br.get(path)
					if p.Status != http.StatusOK {
						b.Fatalf("%s: %d", path, p.Status)
					}
					size = len(p.Body)
				}
				perLearner(b, n, cpu)
				b.ReportMetric(float64(size)/1024, "KiB/response")
			})
		}
		b.Run(fmt.Sprintf("trainer-home/learners=%d", n), func(b *testing.B) {
			cpu := processCPU()
			for b.Loop() {
				if p := br.get("/trainer"); p.Status != http.StatusOK {
					b.Fatal(p.Status)
				}
			}
			perLearner(b, n, cpu)
		})
	}
}

// perLearner reports wall and CPU time per request (the server runs in this process, so its CPU
// time is counted; a busy machine inflates it less than wall time) and per learner.
func perLearner(b *testing.B, n int, cpuStart time.Duration) {
	cpu := processCPU() - cpuStart
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/learner")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/learner")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedCohort puts n learners into the cohort, each somewhere in the shipped programme, written
// straight into the tables in one transaction and then summarised as learning would have.
func seedCohort(b *testing.B, h *harness, cohort int64, n int) {
	b.Helper()
	ctx := context.Background()
	mods := h.svc.Content.Modules
	tx, err := h.db.W.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := h.clock.Now().Unix()
	for i := range n {
		res, err := tx.Exec(`INSERT INTO users(email, name, organisation, role, status, created_at, last_login_at) VALUES (?, ?, ?, 'learner', 'approved', ?, ?)`,
			fmt.Sprintf("l%d@stadt.example", i), fmt.Sprintf("Jürgen Müller-%d", i), fmt.Sprintf("Stadt %d", i%40), now, now-int64(i%30)*86400)
		if err != nil {
			b.Fatal(err)
		}
		u, _ := res.LastInsertId()
		if _, err := tx.Exec(`INSERT INTO cohort_members(cohort_id, user_id, joined_at) VALUES (?, ?, ?)`, cohort, u, now-40*86400); err != nil {
			b.Fatal(err)
		}
		for mi, m := range mods[:i%len(mods)+1] {
			for li, l := range m.Lessons {
				if (i+li+mi)%3 == 0 {
					continue
				}
				if _, err := tx.Exec(`INSERT INTO lesson_completions(user_id, module_id, lesson_id, completed_at) VALUES (?, ?, ?, ?)`,
					u, m.ID, l.ID, now-int64((i+li)%35)*86400); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := tx.Exec(`INSERT INTO check_attempts(user_id, module_id, score, passed, answers, submitted_at) VALUES (?, ?, 40, 0, '{}', ?)`,
			u, mods[0].ID, now-int64(i%20)*86400); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := h.svc.Learning.RebuildSummaries(ctx); err != nil {
		b.Fatal(err)
	}
	if err := h.acc.EnsureSortKeys(ctx); err != nil {
		b.Fatal(err)
	}
}
