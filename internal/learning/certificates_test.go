package learning_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/errs"
	"saferspaces/internal/i18n"
	"saferspaces/internal/learning"
)

var codeFormat = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

// Passing the check first and finishing the lessons later: the last lesson issues the certificate.
func TestLastLessonIssuesCertificate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if r := f.submit(t, "alpha", passing); !r.Passed || len(r.Issued) != 0 {
		t.Fatalf("pass before lessons: passed %v, issued %v", r.Passed, r.Issued)
	}
	if issued := f.complete(t, "alpha", "one"); len(issued) != 0 {
		t.Fatalf("issued after one of two lessons: %v", issued)
	}
	issued := f.complete(t, "alpha", "two")
	if len(issued) != 1 || issued[0].ModuleID != "alpha" || !codeFormat.MatchString(issued[0].Code) {
		t.Fatalf("issued = %+v", issued)
	}
	if !issued[0].IssuedAt.Equal(f.clock.Now()) {
		t.Errorf("issued at %v, want %v", issued[0].IssuedAt, f.clock.Now())
	}
	// Completing the lesson again issues nothing more.
	if again := f.complete(t, "alpha", "two"); len(again) != 0 {
		t.Errorf("second completion issued %v", again)
	}
	p, _ := f.svc.ModuleProgress(ctx, f.user, "alpha")
	if p.Certificate == nil || p.Certificate.Code != issued[0].Code {
		t.Errorf("progress does not carry the certificate: %+v", p.Certificate)
	}
}

// Lessons first, then failing and passing attempts: the passing attempt issues it; the best
// score is kept whatever comes after.
func TestPassingAttemptIssuesCertificateAndBestScoreIsKept(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.complete(t, "alpha", "one", "two")
	if r := f.submit(t, "alpha", failing); r.Passed || r.Score != 33 || len(r.Issued) != 0 || r.AttemptID == 0 {
		t.Fatalf("failing attempt: %+v", r)
	}
	f.clock.Advance(time.Minute)
	r := f.submit(t, "alpha", passing)
	if !r.Passed || r.Score != 66 || len(r.Issued) != 1 || r.Issued[0].ModuleID != "alpha" {
		t.Fatalf("passing attempt: score %d passed %v issued %v", r.Score, r.Passed, r.Issued)
	}
	f.clock.Advance(time.Minute)
	if r := f.submit(t, "alpha", failing); len(r.Issued) != 0 {
		t.Errorf("a later fail issued %v", r.Issued)
	}
	p, err := f.svc.ModuleProgress(ctx, f.user, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if p.BestScore != 66 || !p.Passed || p.Attempts != 3 || !p.Complete || p.Percent != 100 {
		t.Errorf("after fail, pass, fail: best %d passed %v attempts %d complete %v %d %%", p.BestScore, p.Passed, p.Attempts, p.Complete, p.Percent)
	}
	f.submit(t, "alpha", perfect)
	if p, _ = f.svc.ModuleProgress(ctx, f.user, "alpha"); p.BestScore != 100 {
		t.Errorf("best score %d after a perfect attempt", p.BestScore)
	}
	hist, err := f.svc.Attempts(ctx, f.user, "alpha", 100)
	if err != nil || len(hist) != 4 || hist[0].Score != 100 || hist[3].Score != 33 {
		t.Errorf("history (newest first) = %+v, %v", hist, err)
	}
	if n := f.count(t, `SELECT count(*) FROM certificates WHERE user_id = ?`, f.user); n != 1 {
		t.Errorf("%d certificates, want 1", n)
	}
}

func TestProgrammeCertificateWhenEveryModuleIsComplete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.complete(t, "alpha", "one", "two")
	f.submit(t, "alpha", passing)
	f.complete(t, "beta", "three")
	r := f.submit(t, "beta", perfect)
	if len(r.Issued) != 2 || r.Issued[0].ModuleID != "beta" || r.Issued[1].ModuleID != learning.ProgrammeID {
		t.Fatalf("last module issued %+v, want beta and the programme", r.Issued)
	}
	if r.Issued[1].Title("de") != "Gesamtprogramm" || r.Issued[1].Title("en") != "Whole programme" {
		t.Errorf("programme title %q", r.Issued[1].Title("en"))
	}
	certs, err := f.svc.Certificates(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range certs {
		order = append(order, c.ModuleID)
	}
	if strings.Join(order, ",") != "alpha,beta,*" {
		t.Errorf("certificates in order %v", order)
	}
	_, pr, _ := f.svc.Dashboard(ctx, f.user)
	if !pr.Complete || pr.Percent != 100 || pr.Certificate == nil || pr.Resume != nil {
		t.Errorf("programme %+v", pr)
	}
}

func TestCertificateByCode(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.complete(t, "beta", "three")
	code := f.submit(t, "beta", passing).Issued[0].Code

	typed := []string{code, strings.ToLower(code), strings.ReplaceAll(code, "-", ""), " " + strings.ReplaceAll(code, "-", " ") + " "}
	for _, in := range typed {
		c, err := f.svc.CertificateByCode(ctx, in)
		if err != nil {
			t.Fatalf("lookup %q: %v", in, err)
		}
		if c.Name != "Jürgen Müßig" || c.ModuleID != "beta" || c.Module == nil || c.Title("en") != "Module beta" || c.Code != code {
			t.Errorf("lookup %q = %+v", in, c)
		}
	}
	// The page shows the current name, not a copy from the day of issue.
	f.db.W.Exec(`UPDATE users SET name = 'Jürgen Müßig-Özdemir' WHERE id = ?`, f.user)
	if c, _ := f.svc.CertificateByCode(ctx, code); c == nil || c.Name != "Jürgen Müßig-Özdemir" {
		t.Errorf("renamed holder shows as %+v", c)
	}
	// Unknown but well-formed: not found after a lookup.
	other := "0000-0000-0000"
	if other == code {
		other = "1111-1111-1111"
	}
	if _, err := f.svc.CertificateByCode(ctx, other); !errs.Is(err, errs.NotFound) {
		t.Errorf("unknown code: %v", err)
	}
	// Erased or anonymised holders: the certificate stays verifiable, but names nobody.
	f.db.W.Exec(`UPDATE users SET name = '—', status = 'erased' WHERE id = ?`, f.user)
	if c, err := f.svc.CertificateByCode(ctx, code); err != nil || !c.Anonymised || c.Name != "" || c.Code != code {
		t.Errorf("erased holder: %+v, %v", c, err)
	}
}

// Malformed codes are answered without touching the database: the service's database is closed,
// so a query would fail with an internal error instead of NotFound.
func TestMalformedCodesAreNotFoundWithoutAQuery(t *testing.T) {
	f := newFixture(t)
	f.db.Close()
	for _, code := range []string{"", "ABCD", "ABCD-EFGH-JKMN-P", "ABCD-EFGH-JKMU", "ÄBCD-EFGH-JKMN", "'; DROP TABLE certificates; --", strings.Repeat("A", 1000)} {
		if _, err := f.svc.CertificateByCode(context.Background(), code); !errs.Is(err, errs.NotFound) {
			t.Errorf("%q: %v, want NotFound", code, err)
		}
	}
	// A well-formed code does reach the (closed) database.
	if _, err := f.svc.CertificateByCode(context.Background(), "ABCD-EFGH-JKMN"); errs.Is(err, errs.NotFound) || err == nil {
		t.Errorf("well-formed code did not query: %v", err)
	}
}

// Codes are random and unique across many certificates.
func TestCodesAreUnique(t *testing.T) {
	f := newFixture(t, module{"alpha", []string{"one"}, 0})
	ctx := context.Background()
	seen := map[string]bool{}
	for i := range 40 {
		u := addUser(t, f.db, "Learner", "l"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.org")
		if _, err := f.svc.CompleteLesson(ctx, u, "alpha", "one"); err != nil {
			t.Fatal(err)
		}
		r, err := f.svc.SubmitCheck(ctx, u, "alpha", perfect)
		if err != nil || len(r.Issued) != 2 {
			t.Fatalf("issued %v, %v", r.Issued, err)
		}
		for _, c := range r.Issued {
			if seen[c.Code] || !codeFormat.MatchString(c.Code) {
				t.Fatalf("code %q repeated or malformed", c.Code)
			}
			seen[c.Code] = true
		}
	}
}

// A learner's attempts are theirs: another learner's id gives NotFound, as does the wrong module.
func TestAttemptsAreOwnedByTheirLearner(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.submit(t, "alpha", failing).AttemptID
	a, err := f.svc.Attempt(ctx, f.user, "alpha", id)
	if err != nil || a.Score != 33 || len(a.Answers["q2"]) != 1 {
		t.Fatalf("own attempt: %+v %v", a, err)
	}
	rev, err := f.svc.Review(a)
	right := map[string]bool{}
	for _, q := range rev.Questions {
		right[q.Question.ID] = q.Right
	}
	if err != nil || rev.Score != 33 || !right["q1"] || right["q2"] || right["q3"] {
		t.Errorf("review: %+v %v", rev, err)
	}
	other := addUser(t, f.db, "Eve", "eve@example.org")
	if _, err := f.svc.Attempt(ctx, other, "alpha", id); !errs.Is(err, errs.NotFound) {
		t.Errorf("other learner: %v", err)
	}
	if _, err := f.svc.Attempt(ctx, f.user, "beta", id); !errs.Is(err, errs.NotFound) {
		t.Errorf("other module: %v", err)
	}
	if hist, _ := f.svc.Attempts(ctx, other, "alpha", 100); len(hist) != 0 {
		t.Errorf("other learner sees %d attempts", len(hist))
	}
}

// With mail switched on, a certificate is e-mailed from the transaction that issued it.
func TestCertificateMail(t *testing.T) {
	f := newFixture(t)
	f.svc.MailCertificates(func(p string) string { return "https://training.example.org" + p }, "")
	f.complete(t, "beta", "three")
	code := f.submit(t, "beta", passing).Issued[0].Code
	var to, subject, body string
	err := f.db.R.QueryRow(`SELECT to_addr, subject, body FROM mail_outbox WHERE kind = 'certificate'`).Scan(&to, &subject, &body)
	if err != nil {
		t.Fatal(err)
	}
	if to != "juergen@example.org" || !strings.Contains(subject, "Modul beta") ||
		!strings.Contains(body, "https://training.example.org/certificates/"+code) {
		t.Errorf("mail to %s, %q:\n%s", to, subject, body)
	}
}

// A certificate stores what it certifies when it is issued: after its module was removed from
// the content, the certificate, its verification page and its PDF still name the module by its
// title, in every language. Certificates from before titles were stored get them at the next
// start, from the modules still in the content.
func TestCertificateOfARemovedModuleKeepsItsTitle(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.submit(t, "beta", passing)
	issued := f.complete(t, "beta", "three")
	if len(issued) != 1 {
		t.Fatalf("issued %v", issued)
	}
	want := map[i18n.Lang]string{}
	for _, lang := range []i18n.Lang{"de", "en"} {
		want[lang] = issued[0].Module.Title.In(lang)
	}

	// The next release of the content drops module beta.
	later := learning.New(f.db, loadCatalog(t, module{"alpha", []string{"one", "two"}, 0}), f.clock.Now)
	c, err := later.CertificateByCode(ctx, issued[0].Code)
	if err != nil {
		t.Fatal(err)
	}
	if c.Module != nil {
		t.Fatal("the removed module is still in the catalog")
	}
	for lang, title := range want {
		if got := c.Title(lang); got != title {
			t.Errorf("title in %s = %q, want %q", lang, got, title)
		}
	}
	var pdf bytes.Buffer
	if err := c.WritePDF(&pdf, "de", "https://ss.example"+c.Path(), time.UTC); err != nil {
		t.Fatal(err)
	}

	// A certificate from before the column: titles empty until the backfill.
	if _, err := f.db.W.Exec(`UPDATE certificates SET titles = '{}'`); err != nil {
		t.Fatal(err)
	}
	if n, err := later.BackfillTitles(ctx); err != nil || n != 0 {
		t.Errorf("backfill without the module: %d, %v", n, err)
	}
	if n, err := f.svc.BackfillTitles(ctx); err != nil || n != 1 {
		t.Errorf("backfill with the module: %d, %v", n, err)
	}
	c, err = later.CertificateByCode(ctx, issued[0].Code)
	if err != nil || c.Title("en") != want["en"] {
		t.Errorf("after the backfill: %v, title %q", err, c.Title("en"))
	}
}
