package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"saferspaces/internal/sqlite"
)

// Erasure is immediate: right after an admin erases a person, their name, address and
// organisation are in no text column of any table, not in the raw database file, not in its
// write-ahead log, and not in the .eml folder — although the person registered, was approved,
// activated, studied, got a certificate, sent feedback, asked for a reset, mistyped a password and
// changed their language (so the log held fresh pages with their row) just before.
func TestErasureLeavesNoTraceInTheFiles(t *testing.T) {
	h := newHarness(t, withOperator(), learningContent(t))
	_, admin := adminBrowser(h)
	const (
		name  = "Quirinus Zwetschgenbaum"
		email = "quirinus.zwetschgenbaum@stadt.example"
		org   = "Amt für Quittenpflege"
	)
	needles := []string{email, "quirinus.zwetschgenbaum", "Zwetschgenbaum", "zwetschgenbaum", "Quittenpflege"}

	form := regForm(email)
	form.Set("name", name)
	form.Set("organisation", org)
	if p := h.browser().post("/register", form); p.Status != http.StatusSeeOther {
		t.Fatalf("register: %d", p.Status)
	}
	id := h.userID(email)
	if p := admin.post(fmt.Sprintf("/admin/registrations/%d/approve", id), nil); p.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", p.Status)
	}
	b := h.browser()
	link := h.lastLink(email, "/activate/")
	if p := b.post(link, url.Values{"password": {defaultPassword}, "password_confirm": {defaultPassword}}); p.Status != http.StatusSeeOther {
		t.Fatalf("activate: %d", p.Status)
	}
	b.follow(b.get("/"))
	if p := b.get("/declaration"); p.Status == http.StatusOK && strings.Contains(p.Body, `name="version"`) {
		b.post("/declaration", url.Values{"accept": {"yes"}, "version": {"2"}})
	}
	b.post("/modules/beta/lessons/three/complete", nil)
	b.post("/modules/beta/check", fullAnswers)
	b.post("/accessibility/feedback", url.Values{"message": {"Ich bin " + name + " und finde den Kontrast zu schwach."}, "email": {email}})
	h.browser().post("/login", url.Values{"email": {email}, "password": {"vertippt vertippt vertippt"}})
	h.browser().post("/password/forgot", url.Values{"email": {email}})
	if n := len(h.mails(email)); n < 4 {
		t.Fatalf("%d mails to the person; the setup is not what it should be", n)
	}
	b.post("/account/language", url.Values{"language": {"en"}})
	if n := h.count(`SELECT count(*) FROM users WHERE email = ? AND lang = 'en'`, email); n != 1 {
		t.Fatal("language not changed")
	}
	// Feedback whose notice to the operator is not sent yet (the mail server is away): it quotes
	// the address, and must go with the person.
	h.browser().post("/accessibility/feedback", url.Values{"message": {"Noch eine Bitte zur Schriftgröße."}, "email": {email}})
	if n := h.count(`SELECT count(*) FROM mail_outbox WHERE status = 'pending' AND instr(body, ?) > 0`, email); n == 0 {
		t.Fatal("no unsent mail about the person; the setup is not what it should be")
	}
	// Before: the person is everywhere (so the scan below can fail).
	if found := traces(t, h, needles); len(found) == 0 {
		t.Fatal("the scan finds nothing even before the erasure")
	}

	if p := admin.post(fmt.Sprintf("/admin/users/%d/erase", id), url.Values{"confirm": {"yes"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("erase: %d", p.Status)
	}
	for _, f := range traces(t, h, needles) {
		t.Error(f)
	}
	// What stays: the certificate, verifiable without a name, issued by the operator.
	var code string
	h.db.R.QueryRow(`SELECT code FROM certificates WHERE user_id = ?`, id).Scan(&code)
	p := h.browser().get("/certificates/" + code)
	mustContain(t, p, "Name nicht mehr gespeichert", `class="cert-issuer">Stadt Beispielhausen<`)
	// And the progress, only as anonymous totals.
	if n := h.count(`SELECT count(*) FROM lesson_completions WHERE user_id = ?`, id) + h.count(`SELECT count(*) FROM check_attempts WHERE user_id = ?`, id) +
		h.count(`SELECT count(*) FROM check_stats WHERE user_id = ?`, id) + h.count(`SELECT count(*) FROM learner_progress WHERE user_id = ?`, id) +
		h.count(`SELECT count(*) FROM learner_module_progress WHERE user_id = ?`, id); n != 0 {
		t.Errorf("%d learning rows of the erased person", n)
	}
	if n := h.count(`SELECT count(*) FROM learning_archive WHERE module_id = 'beta' AND learners = 1 AND passed = 1 AND certificates >= 1`); n != 1 {
		t.Error("progress not kept as an anonymous total")
	}
	// The trainers' statistics show the totals.
	mustContain(t, admin.get("/trainer"), "Ehemalige Teilnehmende (anonymisiert)", "Modul Beta über Plätze")
}

// traces lists where any needle is found: text and blob columns of every table, the raw
// database, -wal and -shm files, and the .eml files.
func traces(t *testing.T, h *harness, needles []string) []string {
	t.Helper()
	var found []string
	tables := []string{}
	rows, err := h.db.R.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, table := range tables {
		cols, err := h.db.R.Query(`SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for cols.Next() {
			var c string
			cols.Scan(&c)
			names = append(names, c)
		}
		cols.Close()
		for _, c := range names {
			for _, n := range needles {
				var k int
				q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE instr(lower(CAST(%q AS TEXT)), lower(?)) > 0`, table, c)
				if err := h.db.R.QueryRow(q, n).Scan(&k); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				if k > 0 {
					found = append(found, fmt.Sprintf("%q in %s.%s (%d rows)", n, table, c, k))
				}
			}
		}
	}
	db := filepath.Join(h.data, sqlite.FileName)
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		raw, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(n))) {
				found = append(found, fmt.Sprintf("%q in the raw file %s (%d bytes)", n, filepath.Base(f), len(raw)))
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(h.data, "mail", "*.eml"))
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		for _, n := range needles {
			if bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(n))) {
				found = append(found, fmt.Sprintf("%q in %s", n, filepath.Base(f)))
			}
		}
	}
	for _, m := range h.mailsNoDelivery() {
		for _, n := range needles {
			if strings.Contains(strings.ToLower(m.Body+m.Subject+m.To), strings.ToLower(n)) {
				found = append(found, fmt.Sprintf("%q in the decoded mail %s", n, filepath.Base(m.File)))
			}
		}
	}
	return found
}
