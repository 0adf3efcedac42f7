// Command saferspaces-load measures the platform under load next to baselines taken in the same
// run on the same machine, and prints the ratios (docs/performance.md).
//
// It starts the whole platform in-process (routes, middleware, sessions, SQLite with its pragmas)
// on a temporary data folder and a loopback port, seeds learners, and drives them through real
// journeys over HTTP: sign in, dashboard, module, lessons, complete, self-check, certificate,
// plus the trainer's and the admin's pages. The baselines — a hello-world net/http server, an
// html/template page of the lesson page's size, bare SQLite commits with the platform's pragmas
// and raw argon2id with the platform's parameters on 2 goroutines — run in the same process with
// the same client, so the ratios hold on a loaded or a fast machine alike. Absolute numbers are
// this machine's; ratios are what to compare.
//
//	go run ./cmd/saferspaces-load                 # about 2 minutes
//	go run ./cmd/saferspaces-load -d 10s -o out.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pquerna/otp/totp"

	"saferspaces/internal/content"
	"saferspaces/internal/paths"
)

type options struct {
	duration time.Duration // per scenario
	workers  int           // concurrent virtual users per scenario
	learners int           // seeded learners (at least burst)
	burst    int           // simultaneous sign-ins from one address
	settle   time.Duration // how long to watch memory fall back after the sign-in storm
	regUsers []int         // platform sizes for the registration scenario
	only     string        // run only scenarios whose name contains this
	// startProfile, if set, is called once the baselines are measured.
	startProfile func() error
	out          string // also write the table here
	cpuprof      string // write a CPU profile of the scenarios here
}

func main() {
	var o options
	var regUsers string
	flag.DurationVar(&o.duration, "d", 5*time.Second, "how long each scenario runs")
	flag.IntVar(&o.workers, "c", 8, "concurrent virtual users per scenario")
	flag.IntVar(&o.learners, "learners", 300, "learners to seed (at least -burst)")
	flag.IntVar(&o.burst, "burst", 300, "simultaneous sign-ins from one address in the storm")
	flag.DurationVar(&o.settle, "settle", 60*time.Second, "how long to watch the memory after the sign-in storm (0: skip)")
	flag.StringVar(&regUsers, "registration-users", "1000,10000", "platform sizes (users) at which registration is measured")
	flag.StringVar(&o.only, "only", "", "run only the scenarios whose name contains this text")
	flag.StringVar(&o.out, "o", "", "also write the Markdown table to this file")
	flag.StringVar(&o.cpuprof, "cpuprofile", "", "write a CPU profile (server and clients) of the scenarios, not the baselines, to this file")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "saferspaces-load: unexpected argument %q (flags only, see -h)\n", flag.Arg(0))
		os.Exit(2)
	}
	for f := range strings.SplitSeq(regUsers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "saferspaces-load: -registration-users: %q is not a positive number of users\n", f)
			os.Exit(2)
		}
		o.regUsers = append(o.regUsers, n)
	}
	if o.cpuprof != "" {
		f, err := os.Create(o.cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "saferspaces-load: -cpuprofile:", err)
			os.Exit(2)
		}
		o.startProfile = func() error { return pprof.StartCPUProfile(f) }
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "saferspaces-load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// row is one line of the report.
type row struct {
	scenario string
	r        *result
	unit     string  // "req/s", "commits/s", …
	base     string  // name of the baseline
	ratio    float64 // r.rate() / baseline rate; 0: none
	note     string
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	o.learners = max(o.learners, o.burst, o.workers)
	dir, err := os.MkdirTemp("", "saferspaces-load-")
	if err != nil {
		return err
	}
	defer removeAll(dir)
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	want := func(name string) bool { return o.only == "" || strings.Contains(name, o.only) }

	logf("starting the platform in %s", dir)
	p, err := startPlatform(ctx, dir)
	if err != nil {
		return err
	}
	defer p.close()
	logf("seeding %d learners, a trainer and an admin", o.learners)
	learners, err := p.seed(ctx, o.learners)
	if err != nil {
		return err
	}
	var rows []row
	report := func(rw row) {
		rows = append(rows, rw)
		logf("  %-58s %9.1f %s  p50 %v  p95 %v  %v", rw.scenario, rw.r.rate(), rw.unit, rw.r.pct(.5).Round(time.Microsecond),
			rw.r.pct(.95).Round(time.Microsecond), rw.r.statuses)
	}

	// Baselines first, on a quiet machine state.
	logf("baselines")
	hello, err := helloWorld(o.workers, o.duration)
	if err != nil {
		return err
	}
	report(row{scenario: hello.name, r: hello, unit: "req/s"})

	// Every worker is one learner with a session of its own.
	clients := make([]*clientUser, o.workers)
	for i := range clients {
		clients[i] = &clientUser{c: newClient(1), email: learners[i]}
		if st, err := signIn(clients[i].c, p.base, learners[i]); err != nil || st != 303 {
			return fmt.Errorf("sign in %s: %d %v", learners[i], st, err)
		}
	}
	mods := p.cat.Modules
	lessonURL := func(w, i int) string {
		m := mods[(w+i)%len(mods)]
		return p.base + paths.Lesson(m.ID, m.Lessons[i%len(m.Lessons)].ID)
	}
	// The lesson page's size sets the template baseline's.
	_, body, err := getBody(clients[0].c, lessonURL(0, 0))
	if err != nil {
		return err
	}
	tmpl, err := templatePage(o.workers, o.duration, len(body))
	if err != nil {
		return err
	}
	report(row{scenario: tmpl.name, r: tmpl, unit: "req/s", base: "hello-world", ratio: tmpl.rate() / hello.rate()})
	commits, err := bareCommits(ctx, dir, o.workers, o.duration)
	if err != nil {
		return err
	}
	report(row{scenario: commits.name, r: commits, unit: "commits/s"})
	if o.startProfile != nil {
		if err := o.startProfile(); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
	}

	page := func(name string, url func(w, i int) string) {
		if !want(name) {
			return
		}
		r := closedLoop(name, o.workers, o.duration, func(w, i int) (int, int64, error) { return get(clients[w].c, url(w, i)) })
		report(row{scenario: name, r: r, unit: "req/s", base: "hello-world", ratio: r.rate() / hello.rate(),
			note: fmt.Sprintf("%.1f KB", float64(r.avgBytes())/1000)})
	}
	logf("signed-in pages")
	page("GET / (dashboard)", func(w, i int) string { return p.base + "/" })
	page("GET lesson page", lessonURL)
	page("GET self-check page", func(w, i int) string { return p.base + paths.Check(mods[(w+i)%len(mods)].ID) })
	page("GET module page", func(w, i int) string { return p.base + paths.Module(mods[(w+i)%len(mods)].ID) })

	logf("writes")
	if want("POST lesson complete") {
		r := closedLoop("POST lesson complete", o.workers, o.duration, func(w, i int) (int, int64, error) {
			return post(clients[w].c, lessonURL(w, i)+"/complete", nil)
		})
		report(row{scenario: r.name, r: r, unit: "req/s", base: "bare commits", ratio: r.rate() / commits.rate()})
	}
	if name := "self-check: GET the paper, POST the answers"; want(name) {
		r := closedLoop(name, o.workers, o.duration, func(w, i int) (int, int64, error) {
			m := mods[(w+i)%len(mods)]
			return clients[w].submitCheck(p, m, i%3 != 0)
		})
		report(row{scenario: r.name, r: r, unit: "req/s", base: "bare commits", ratio: r.rate() / commits.rate()})
	}
	if name := "POST self-check answers"; want(name) {
		// The write alone: the paper of an attempt follows from the attempts before it, so a
		// submission that answers every question of the pool is graded on the paper without the
		// form being read first (the answers to questions not drawn are ignored).
		r := closedLoop(name, o.workers, o.duration, func(w, i int) (int, int64, error) {
			m := mods[(w+i)%len(mods)]
			return post(clients[w].c, p.base+paths.Check(m.ID), answers(m.Check, i%3 != 0))
		})
		report(row{scenario: r.name, r: r, unit: "req/s", base: "bare commits", ratio: r.rate() / commits.rate(),
			note: fmt.Sprintf("%d graded (303), %d other", r.statuses[http.StatusSeeOther], countNot(r.statuses, http.StatusSeeOther))})
	}

	if want("journey") {
		logf("journeys")
		r := closedLoop("learner journey step (mixed, see docs)", o.workers, o.duration, func(w, i int) (int, int64, error) {
			return clients[w].journeyStep(p, i)
		})
		report(row{scenario: r.name, r: r, unit: "req/s", base: "hello-world", ratio: r.rate() / hello.rate()})
	}

	if want("certificate") {
		code, err := certificateOf(clients[0], p)
		if err != nil {
			return err
		}
		anon := make([]*clientUser, o.workers)
		for i := range anon {
			anon[i] = &clientUser{c: newClient(1)}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := closedLoop("GET public certificate PDF", o.workers, o.duration, func(w, i int) (int, int64, error) {
			return get(anon[w].c, p.base+paths.CertificatePDF(code))
		})
		runtime.ReadMemStats(&after)
		report(row{scenario: r.name, r: r, unit: "req/s", base: "hello-world", ratio: r.rate() / hello.rate(),
			note: fmt.Sprintf("%.0f KB allocated per download (server and client)", float64(after.TotalAlloc-before.TotalAlloc)/float64(max(r.ops, 1))/1024)})
		page("GET public certificate page", func(w, i int) string { return p.base + paths.Certificate(code) })
	}

	logf("trainer and admin pages")
	trainer, admin := &clientUser{c: newClient(1)}, &clientUser{c: newClient(1)}
	for _, u := range []struct {
		c     *clientUser
		email string
	}{{trainer, "trainerin@stadt.example"}, {admin, "admin@stadt.example"}} {
		if err := signInStaff(u.c.c, p.base, u.email); err != nil {
			return err
		}
	}
	staff := func(name string, c *clientUser, path string) {
		if !want(name) {
			return
		}
		r := closedLoop(name, 2, o.duration, func(w, i int) (int, int64, error) { return get(c.c, p.base+path) })
		report(row{scenario: name, r: r, unit: "req/s", base: "hello-world", ratio: r.rate() / hello.rate(),
			note: fmt.Sprintf("%.1f KB, %d learners", float64(r.avgBytes())/1000, o.learners)})
	}
	staff("GET /trainer", trainer, "/trainer")
	staff("GET /trainer/cohorts/{id}", trainer, paths.Cohort(p.cohort))
	staff("GET /trainer/cohorts/{id}/progress.csv", trainer, paths.Cohort(p.cohort)+"/progress.csv")
	staff("GET /admin/users", admin, "/admin/users")
	staff("GET /admin/registrations", admin, "/admin/registrations")
	staff("GET /admin/audit", admin, "/admin/audit")

	if want("sign-in") {
		// The baseline right before the storm, so both see the machine in the same state.
		argon := rawArgon2(o.duration)
		report(row{scenario: argon.name, r: argon, unit: "hashes/s"})
		logf("sign-in storm: %d at once from one address", o.burst)
		rw, mem := signInStorm(ctx, p, learners[:o.burst], o.settle, logf)
		rw.base, rw.ratio = "raw argon2id", rw.r.rate()/argon.rate()
		report(rw)
		if mem != "" {
			rows = append(rows, row{scenario: "memory after the storm", r: &result{}, note: mem})
		}
	}

	if want("registration") {
		for _, n := range o.regUsers {
			if err := p.growUsers(ctx, n); err != nil {
				return err
			}
			r := registrations(p, o.workers, o.duration, n)
			report(row{scenario: r.name, r: r, unit: "req/s", base: "bare commits", ratio: r.rate() / commits.rate()})
		}
	}

	table := markdown(rows, o)
	fmt.Fprint(stdout, table)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(table), 0o644)
	}
	return nil
}

// clientUser is one virtual user.
type clientUser struct {
	c     *http.Client
	email string
}

// journeyStep is one request of a learner working through the programme: the dashboard, a
// module, its lessons each read and completed, the self-check page and a submission (every third
// one failing), the result; then the next module.
func (u *clientUser) journeyStep(p *platform, i int) (int, int64, error) {
	mods := p.cat.Modules
	// A cycle per module: dashboard, module, (lesson, complete) per lesson, check, submit.
	m := mods[(i/16)%len(mods)]
	step := i % 16
	switch {
	case step == 0:
		return get(u.c, p.base+"/")
	case step == 1:
		return get(u.c, p.base+paths.Module(m.ID))
	case step < 14:
		l := m.Lessons[((step-2)/2)%len(m.Lessons)]
		if step%2 == 0 {
			return get(u.c, p.base+paths.Lesson(m.ID, l.ID))
		}
		return post(u.c, p.base+paths.LessonComplete(m.ID, l.ID), nil)
	case step == 14:
		return get(u.c, p.base+paths.Check(m.ID))
	default:
		return u.submitCheck(p, m, i%3 != 0)
	}
}

// inputName finds the question ids on a self-check page: every question is a group of inputs
// named after it.
var inputName = regexp.MustCompile(`<input type="(?:radio|checkbox)"[^>]* name="([^"]+)"`)

// submitCheck reads the learner's current paper (the questions drawn for this attempt) and
// answers it: every correct choice when pass, else one wrong choice per question.
func (u *clientUser) submitCheck(p *platform, m *content.Module, pass bool) (int, int64, error) {
	st, body, err := getBody(u.c, p.base+paths.Check(m.ID))
	if err != nil || st != 200 {
		return st, 0, err
	}
	shown := map[string]bool{}
	for _, mm := range inputName.FindAllStringSubmatch(body, -1) {
		shown[mm[1]] = true
	}
	form := hiddenFields(body)
	for id, vs := range answers(m.Check, pass) {
		if shown[id] {
			form[id] = vs
		}
	}
	return post(u.c, p.base+paths.Check(m.ID), form)
}

// answers fills in a self-check: every correct choice when pass, else the first wrong one (or,
// for a question whose choices are all right, only one of them). Every question is answered:
// an incomplete paper is kept as a draft, not graded.
func answers(c *content.Check, pass bool) url.Values {
	v := url.Values{}
	if c == nil {
		return v
	}
	for _, q := range c.Questions {
		for _, ch := range q.Choices {
			if ch.Correct == pass {
				v.Add(q.ID, ch.ID)
				if !pass {
					break
				}
			}
		}
		if len(v[q.ID]) == 0 && len(q.Choices) > 0 {
			v.Add(q.ID, q.Choices[0].ID)
		}
	}
	return v
}

var certCode = regexp.MustCompile(`/certificates/([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`)

// certificateOf completes the first module for the user and returns its certificate's code.
func certificateOf(u *clientUser, p *platform) (string, error) {
	m := p.cat.Modules[0]
	for _, l := range m.Lessons {
		if st, _, err := post(u.c, p.base+paths.LessonComplete(m.ID, l.ID), nil); err != nil || st != 303 {
			return "", fmt.Errorf("complete %s: %d %v", l.ID, st, err)
		}
	}
	if st, _, err := u.submitCheck(p, m, true); err != nil || st != 303 {
		return "", fmt.Errorf("pass %s: %d %v", m.ID, st, err)
	}
	_, body, err := getBody(u.c, p.base+"/certificates")
	if err != nil {
		return "", err
	}
	c := certCode.FindStringSubmatch(body)
	if c == nil {
		return "", fmt.Errorf("no certificate after completing %s", m.ID)
	}
	return c[1], nil
}

// signInStorm signs in every learner at the same moment, all from 127.0.0.1 (one address, as a
// town hall behind NAT), and reports throughput and refusals; then it watches the process's
// memory fall back.
func signInStorm(ctx context.Context, p *platform, learners []string, settle time.Duration, logf func(string, ...any)) (row, string) {
	runtime.GC()
	idle := rss()
	r := &result{name: fmt.Sprintf("POST /login, %d right passwords at once from one address", len(learners)), statuses: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	gate := make(chan struct{})
	for _, e := range learners {
		c := newClient(1)
		wg.Go(func() {
			<-gate
			t := time.Now()
			st, err := signIn(c, p.base, e)
			d := time.Since(t)
			mu.Lock()
			defer mu.Unlock()
			r.lat = append(r.lat, d)
			if err != nil {
				r.errors++
				return
			}
			r.statuses[st]++
			if st == 303 {
				r.ops++ // the rate is of sign-ins that succeeded: a refusal costs no hash
			}
		})
	}
	close(gate)
	wg.Wait()
	r.elapsed = time.Since(start)
	peak := rss()
	note := fmt.Sprintf("%d refused (429), %d other failures", r.statuses[429], len(learners)-r.statuses[303]-r.statuses[429])
	if settle <= 0 {
		return row{scenario: r.name, r: r, unit: "sign-ins/s", note: note}, ""
	}
	logf("  watching the memory for %v", settle)
	var at []string
	for _, d := range []time.Duration{settle / 4, settle / 2, settle} {
		select {
		case <-ctx.Done():
			return row{scenario: r.name, r: r, unit: "sign-ins/s", note: note}, ""
		case <-time.After(d - time.Since(start.Add(r.elapsed))):
		}
		at = append(at, fmt.Sprintf("%.0f MiB after %v", float64(rss())/(1<<20), d))
	}
	mem := fmt.Sprintf("RSS idle %.0f MiB, right after the storm %.0f MiB; %s", float64(idle)/(1<<20), float64(peak)/(1<<20), strings.Join(at, ", "))
	return row{scenario: r.name, r: r, unit: "sign-ins/s", note: note}, mem
}

// rss is the process's resident memory in bytes (Linux), 0 where unknown.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// registrations posts declaration forms of new applicants for d.
func registrations(p *platform, workers int, d time.Duration, users int) *result {
	c := newClient(workers)
	_, body, _ := getBody(c, p.base+"/register")
	form := hiddenFields(body)
	var n counter
	return closedLoop(fmt.Sprintf("POST /register at %d users", users), workers, d, func(w, i int) (int, int64, error) {
		k := n.next()
		v := url.Values{}
		for key, vs := range form {
			v[key] = vs
		}
		v.Set("name", fmt.Sprintf("Antrag %d-%d", users, k))
		v.Set("email", fmt.Sprintf("antrag%d-%d@stadt.example", users, k))
		v.Set("organisation", "Ordnungsamt")
		v.Set("position", "Sachbearbeitung")
		v.Set("language", "de")
		v.Set("accept", "yes")
		return postFrom(c, p.base+"/register", v, fmt.Sprintf("10.%d.%d.%d", users%256, k/256%256, k%256))
	})
}

// markdown is the report: one row per scenario, with its baseline ratio.
func markdown(rows []row, o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %d CPUs (GOMAXPROCS %d), %s per scenario, %d concurrent users.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.GOMAXPROCS(0), o.duration, o.workers)
	b.WriteString("| scenario | rate | p50 | p95 | ratio | note |\n|---|---:|---:|---:|---:|---|\n")
	for _, rw := range rows {
		rate, p50, p95, ratio := "", "", "", ""
		if rw.r.ops > 0 {
			rate = fmt.Sprintf("%.1f %s", rw.r.rate(), rw.unit)
			p50 = fmtDur(rw.r.pct(.5))
			p95 = fmtDur(rw.r.pct(.95))
		}
		if rw.ratio > 0 {
			ratio = fmt.Sprintf("%.3f× %s", rw.ratio, rw.base)
		}
		note := rw.note
		if bad := rw.r.errors + countNot(rw.r.statuses, 200, 303, 304); bad > 0 && !strings.Contains(note, "refused") {
			note = strings.TrimPrefix(note+fmt.Sprintf("; %d unexpected answers %v", bad, rw.r.statuses), "; ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", rw.scenario, rate, p50, p95, ratio, note)
	}
	return b.String()
}

func countNot(statuses map[int]int, ok ...int) int {
	n := 0
	for st, c := range statuses {
		good := false
		for _, o := range ok {
			good = good || st == o
		}
		if !good {
			n += c
		}
	}
	return n
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
}

// signInStaff signs in a trainer or admin, who must set up a second factor at the first sign-in:
// the key from the enrolment page, a code computed from it.
func signInStaff(c *http.Client, base, email string) error {
	resp, err := c.PostForm(base+"/login", url.Values{"email": {email}, "password": {learnerPassword}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	to := resp.Header.Get("Location")
	if resp.StatusCode != 303 {
		return fmt.Errorf("sign in %s: %d", email, resp.StatusCode)
	}
	if !strings.HasPrefix(to, "/login/enrol") {
		return nil
	}
	_, page, err := getBody(c, base+"/login/enrol")
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`).FindStringSubmatch(page)
	if m == nil {
		return fmt.Errorf("sign in %s: no key on the enrolment page", email)
	}
	code, err := totp.GenerateCode(m[1], time.Now())
	if err != nil {
		return err
	}
	form := hiddenFields(page)
	form.Set("code", code)
	if st, _, err := post(c, base+"/login/enrol", form); err != nil || st >= 400 {
		return fmt.Errorf("sign in %s: second factor: %d %v", email, st, err)
	}
	return nil
}
