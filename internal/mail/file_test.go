package mail_test

import (
	"database/sql"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"saferspaces/internal/mail"
	"saferspaces/internal/testkit"
)

func TestFileSenderWritesParsableEML(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	logs := &testkit.SyncBuffer{}
	log := testkit.Logger(logs)
	dir := filepath.Join(t.TempDir(), "mail")
	fs := mail.NewFileSender(dir, log)
	ob := mail.NewOutbox(db, fs, log, clk.Now)

	link := "https://saferspaces.example.org/activate/Q2hhbmdlTWVQbGVhc2VUaGlzSXNBVG9rZW4xMjM0NTY3ODkw"
	id := enqueue(t, db, activation(t, "juergen@example.org", link), clk.Now())
	sent, err := ob.DeliverDue(t.Context())
	if err != nil || sent != 1 {
		t.Fatalf("DeliverDue = %d, %v", sent, err)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("files = %v", files)
	}
	if ok, _ := regexp.MatchString(`^\d{8}T\d{6}Z-\d+\.eml$`, filepath.Base(files[0])); !ok ||
		!strings.HasSuffix(files[0], "-"+strconv.FormatInt(id, 10)+".eml") {
		t.Errorf("file name %s", filepath.Base(files[0]))
	}
	if st, _ := os.Stat(files[0]); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", st.Mode().Perm())
	}
	if st, _ := os.Stat(dir); st.Mode().Perm()&0o007 != 0 {
		t.Errorf("folder mode %v is open to others", st.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}

	raw, _ := os.ReadFile(files[0])
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if to, err := h.AddressList("To"); err != nil || to[0].Address != "juergen@example.org" || to[0].Name != "Jürgen Größe" {
		t.Errorf("To = %v, %v", to, err)
	}
	if from, err := h.AddressList("From"); err != nil || from[0].Address != "noreply@localhost" {
		t.Errorf("From = %v, %v", from, err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "saferspaces: Ihr Zugang ist bereit – bitte Passwort festlegen" {
		t.Errorf("Subject = %q, %v (raw %q)", subject, err, h.Get("Subject"))
	}
	if h.Get("Subject") == subject {
		t.Error("non-ASCII subject not RFC 2047 encoded")
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@localhost>") {
		t.Errorf("Message-ID %q", id)
	}
	for k, want := range map[string]string{
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=UTF-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	body = []byte(strings.ReplaceAll(string(body), "\r\n", "\n"))
	if !strings.Contains("\n"+string(body), "\n"+link+"\n") {
		t.Errorf("link not on a line of its own:\n%s", body)
	}
	if !strings.Contains(string(body), "72 Stunden gültig") {
		t.Errorf("body not UTF-8 8bit:\n%s", body)
	}

	// The log names the file but never carries the body (it holds the token).
	if l := logs.String(); !strings.Contains(l, "mail written") || !strings.Contains(l, files[0]) || strings.Contains(l, "Q2hhbmdl") {
		t.Errorf("log: %s", l)
	}
	r := outboxRow(t, db, id)
	if r.status != mail.StatusSent || r.attempts != 1 || r.body != "" {
		t.Errorf("after delivery: %+v (body must be erased)", r)
	}
}

func TestEnqueueIsPartOfTheCallersTransaction(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	m := activation(t, "a@example.org", "https://s.example/activate/x")
	err := db.Tx(t.Context(), func(tx *sql.Tx) error {
		if _, err := mail.Enqueue(t.Context(), tx, m, clk.Now()); err != nil {
			return err
		}
		return sql.ErrTxDone // the event fails after the mail was queued
	})
	if err == nil {
		t.Fatal("want the transaction to fail")
	}
	var n int
	db.R.QueryRow("SELECT count(*) FROM mail_outbox").Scan(&n)
	if n != 0 {
		t.Errorf("rolled-back transaction left %d mails", n)
	}
}

func TestEnqueueRefusesBrokenMessages(t *testing.T) {
	db := testkit.OpenDB(t)
	good := activation(t, "a@example.org", "https://s.example/activate/x")
	for name, change := range map[string]func(*mail.Message){
		"no recipient":      func(m *mail.Message) { m.To = "" },
		"display name form": func(m *mail.Message) { m.To = "A <a@example.org>" },
		"header injection":  func(m *mail.Message) { m.Subject = "hi\r\nBcc: x@evil.example" },
		"empty body":        func(m *mail.Message) { m.Body = " \n" },
	} {
		m := good
		change(&m)
		err := db.Tx(t.Context(), func(tx *sql.Tx) error {
			_, err := mail.Enqueue(t.Context(), tx, m, newClock().Now())
			return err
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Every kind of e-mail leaves marked Auto-Submitted (RFC 3834), with the contact as Reply-To and
// its outbox Message-ID: all of them go through the one message builder.
func TestEveryKindIsAutoSubmitted(t *testing.T) {
	env, err := mail.NewEnvelope("saferspaces <noreply@stadt.example>", "kontakt@stadt.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range mail.AllKinds() {
		m, err := mail.Compose(kind, "de", mail.Data{Name: "Jürgen Größe", Email: "juergen@example.org", Link: "https://s.example/x",
			BaseURL: "https://s.example", Reason: "r", Module: "m", Date: "1. Januar 2027", Message: "Hallo"})
		if err != nil {
			t.Fatal(err)
		}
		if m.To == "" {
			m.To = "admin@stadt.example"
		}
		m.MessageKey = "KEY"
		var b strings.Builder
		if err := env.Render(&b, m, 7, newClock().Now()); err != nil {
			t.Fatal(err)
		}
		msg, err := netmail.ReadMessage(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if msg.Header.Get("Auto-Submitted") != "auto-generated" || msg.Header.Get("Reply-To") != "<kontakt@stadt.example>" ||
			msg.Header.Get("Message-ID") != "<saferspaces.7.KEY@stadt.example>" {
			t.Errorf("%s: headers %v", kind, msg.Header)
		}
	}
}

// Erasure reaches the .eml folder: every file to or about the person goes, whether their name is
// encoded in a header or their address soft-broken in a quoted-printable body; others stay.
func TestFileSenderForget(t *testing.T) {
	dir := t.TempDir()
	fs := mail.NewFileSender(dir, testkit.Logger(io.Discard))
	about, err := mail.Compose(mail.KindRegistrationNew, "de", mail.Data{Name: "Jürgen Größe", Email: "juergen.groesse.mit.sehr.langer.adresse.fuer.umbrueche@example.org",
		Organisation: "Ordnungsamt", Position: "Leitung", BaseURL: "https://s.example"})
	if err != nil {
		t.Fatal(err)
	}
	about.To = "admin@stadt.example"
	to := activation(t, "juergen.groesse.mit.sehr.langer.adresse.fuer.umbrueche@example.org", "https://s.example/activate/x")
	other, err := mail.Compose(mail.KindActivation, "de", mail.Data{Name: "Anna Berg", Email: "anna@example.org", Link: "https://s.example/activate/y"})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range []mail.Message{about, to, other} {
		if err := fs.Send(t.Context(), m, int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := fs.Forget(t.Context(), "Juergen.Groesse.mit.sehr.langer.adresse.fuer.umbrueche@example.org", "Jürgen Größe")
	if err != nil || n != 2 {
		t.Fatalf("Forget = %d, %v", n, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(left) != 1 || !strings.HasSuffix(left[0], "-3.eml") {
		t.Errorf("left: %v", left)
	}
}

// A short name is forgotten as a whole word only: erasing "Ali" keeps Alice's mail (and every
// mail that says "Qualität" or "digital"), and takes each mail that names Ali, also under a
// second address.
func TestFileSenderForgetMatchesWholeNames(t *testing.T) {
	dir := t.TempDir()
	fs := mail.NewFileSender(dir, testkit.Logger(io.Discard))
	send := func(id int64, name, to string) {
		t.Helper()
		m, err := mail.Compose(mail.KindActivation, "de", mail.Data{Name: name, Email: to, Link: "https://s.example/activate/z"})
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Send(t.Context(), m, id); err != nil {
			t.Fatal(err)
		}
	}
	send(1, "Ali", "ak@example.org")
	send(2, "Alice Berg", "alice@example.org")
	send(3, "Ali", "other-address@example.org")
	n, err := fs.Forget(t.Context(), "nobody@example.org", "Ali")
	if err != nil || n != 2 {
		t.Fatalf("Forget = %d, %v", n, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.eml")); len(left) != 1 || !strings.HasSuffix(left[0], "-2.eml") {
		t.Errorf("left: %v", left)
	}
}
