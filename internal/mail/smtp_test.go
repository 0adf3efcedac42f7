package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"saferspaces/internal/mail"
	"saferspaces/internal/testkit"
)

// received is what the test SMTP server saw in one session.
type received struct {
	user, pass string
	from       string
	to         []string
	data       []byte
}

// smtpServer is an in-process SMTP server that records every delivered message.
type smtpServer struct {
	mu   sync.Mutex
	got  []received
	srv  *smtp.Server
	addr string
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

type smtpSession struct {
	s   *smtpServer
	cur received
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "s3cret:pw" {
			return errors.New("bad credentials")
		}
		ss.cur.user, ss.cur.pass = user, pass
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.cur.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.cur.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.cur.to = append(ss.cur.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.cur.data = b
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, ss.cur)
	ss.s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset()        { ss.cur = received{user: ss.cur.user, pass: ss.cur.pass} }
func (ss *smtpSession) Logout() error { return nil }

// startSMTP listens on addr ("127.0.0.1:0" for any free port) until the test ends.
func startSMTP(t *testing.T, addr string) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true // the test server speaks no TLS; go-mail still only sends PLAIN to localhost
	s.srv.ErrorLog = testLog{t}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

type testLog struct{ t *testing.T }

func (l testLog) Printf(format string, v ...any) { l.t.Logf(format, v...) }
func (l testLog) Println(v ...any)               { l.t.Log(v...) }

// freeAddr returns an address on which nothing listens: SMTP "down".
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// smtpURL names the test server, which speaks no TLS: the URL must say so (tls=none).
func smtpURL(addr string) string { return "smtp://mailer:s3cret%3Apw@" + addr + "?tls=none" }

// envelope is the sender and Reply-To of every message in these tests.
func envelope(t *testing.T, from string) mail.Envelope {
	t.Helper()
	env, err := mail.NewEnvelope(from, "kontakt@stadt.example")
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestSMTPSenderTalksRealSMTP(t *testing.T) {
	srv := startSMTP(t, "127.0.0.1:0")
	db := testkit.OpenDB(t)
	clk := newClock()
	log := testkit.Logger(io.Discard)
	sender, err := mail.NewSMTPSender(smtpURL(srv.addr), envelope(t, "saferspaces <noreply@saferspaces.example.org>"))
	if err != nil {
		t.Fatal(err)
	}
	ob := mail.NewOutbox(db, sender, log, clk.Now)
	link := "https://saferspaces.example.org/activate/" + strings.Repeat("A1b2C3d4", 8) // longer than a QP line
	enqueue(t, db, activation(t, "juergen@example.org", link), clk.Now())

	if sent, err := ob.DeliverDue(t.Context()); err != nil || sent != 1 {
		t.Fatalf("DeliverDue = %d, %v", sent, err)
	}
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages", len(got))
	}
	r := got[0]
	if r.user != "mailer" || r.pass != "s3cret:pw" {
		t.Errorf("AUTH as %q/%q", r.user, r.pass)
	}
	if r.from != "noreply@saferspaces.example.org" || len(r.to) != 1 || r.to[0] != "juergen@example.org" {
		t.Errorf("envelope from %q to %v", r.from, r.to)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(r.data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "saferspaces: Ihr Zugang ist bereit – bitte Passwort festlegen" {
		t.Errorf("Subject %q (raw %q)", subject, msg.Header.Get("Subject"))
	}
	if !strings.HasPrefix(msg.Header.Get("Content-Type"), "text/plain; charset=UTF-8") {
		t.Errorf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	if msg.Header.Get("Message-ID") == "" || msg.Header.Get("Date") == "" {
		t.Error("Message-ID or Date missing")
	}
	if msg.Header.Get("Auto-Submitted") != "auto-generated" || msg.Header.Get("Reply-To") != "<kontakt@stadt.example>" {
		t.Errorf("Auto-Submitted %q, Reply-To %q", msg.Header.Get("Auto-Submitted"), msg.Header.Get("Reply-To"))
	}

	// The file sender writes the very bytes SMTP carried (apart from the Date of writing).
	dir := t.TempDir()
	fs := mail.NewFileSender(dir, log)
	fs.Env = envelope(t, "saferspaces <noreply@saferspaces.example.org>")
	var key string
	if err := db.R.QueryRow(`SELECT message_key FROM mail_outbox`).Scan(&key); err != nil || key == "" {
		t.Fatalf("message key %q, %v", key, err)
	}
	m := activation(t, "juergen@example.org", link)
	m.MessageKey = key
	if err := fs.Send(t.Context(), m, 1); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	file, _ := os.ReadFile(files[0])
	noDate := regexp.MustCompile(`(?m)^Date: .*\r\n`)
	if a, b := noDate.ReplaceAll(file, nil), noDate.ReplaceAll(r.data, nil); !bytes.Equal(a, b) {
		t.Errorf("the .eml file differs from what SMTP received:\n--- file\n%s\n--- smtp\n%s", a, b)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	plain := strings.ReplaceAll(string(text), "\r\n", "\n")
	if !strings.Contains(plain, "\n"+link+"\n") || !strings.Contains(plain, "72 Stunden gültig") {
		t.Errorf("body:\n%s", plain)
	}
}

func TestSMTPDownKeepsMailAndRetriesLater(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	log := testkit.Logger(io.Discard)
	addr := freeAddr(t)
	sender, err := mail.NewSMTPSender(smtpURL(addr), envelope(t, "noreply@saferspaces.example.org"))
	if err != nil {
		t.Fatal(err)
	}
	ob := mail.NewOutbox(db, sender, log, clk.Now)
	link := "https://saferspaces.example.org/activate/abc"
	id := enqueue(t, db, activation(t, "juergen@example.org", link), clk.Now())

	sent, err := ob.DeliverDue(t.Context())
	if err != nil || sent != 0 {
		t.Fatalf("DeliverDue with SMTP down = %d, %v", sent, err)
	}
	r := outboxRow(t, db, id)
	if r.status != mail.StatusPending || r.attempts != 1 || r.next <= clk.Now().Unix() || r.lastError == "" || r.body == "" {
		t.Fatalf("after failed attempt: %+v", r)
	}
	if strings.Contains(r.lastError, "s3cret") {
		t.Errorf("password in last_error: %s", r.lastError)
	}
	// Not due yet: nothing is tried.
	if sent, _ := ob.DeliverDue(t.Context()); sent != 0 || outboxRow(t, db, id).attempts != 1 {
		t.Error("retried before its backoff ran out")
	}

	srv := startSMTP(t, addr)
	clk.Advance(mail.Backoff(1))
	if sent, err := ob.DeliverDue(t.Context()); err != nil || sent != 1 {
		t.Fatalf("DeliverDue after SMTP came back = %d, %v", sent, err)
	}
	if got := srv.messages(); len(got) != 1 || !strings.Contains(string(got[0].data), link) {
		t.Errorf("server got %d messages", len(got))
	}
	if r := outboxRow(t, db, id); r.status != mail.StatusSent || r.attempts != 2 {
		t.Errorf("after delivery: %+v", r)
	}
}

func TestNewSMTPSenderValidates(t *testing.T) {
	env := envelope(t, "a@example.org")
	for _, u := range []string{
		"http://host:25",
		"smtp://",
		"smtp://host:99999",
		"smtp://host:25/path",
		"smtp://user:p@ss word@host:25",
		"smtp://host:25?tls=maybe",
		"smtp://host:25?other=1",
		"smtps://host:465?tls=none",
	} {
		_, err := mail.NewSMTPSender(u, env)
		if err == nil {
			t.Errorf("NewSMTPSender(%q) accepted", u)
		} else if strings.Contains(err.Error(), "ss word") {
			t.Errorf("error reveals the password: %v", err)
		}
	}
	for _, from := range []string{"", "not an address"} {
		if _, err := mail.NewEnvelope(from, ""); err == nil {
			t.Errorf("sender %q accepted", from)
		}
	}
	if _, err := mail.NewEnvelope("a@example.org", "Kontakt <k@example.org>"); err == nil {
		t.Error("Reply-To with a display name accepted")
	}
	for _, u := range []string{"smtp://relay.example.org", "smtps://u:p@relay.example.org:465", "smtp://127.0.0.1:" + strconv.Itoa(2525),
		"smtp://relay.example.org?tls=opportunistic", "smtp://127.0.0.1:25?tls=none"} {
		if _, err := mail.NewSMTPSender(u, env); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// Plain smtp:// requires STARTTLS: a server that does not offer it gets no mail (and no
// password); the mail waits in the outbox for the operator to fix the URL.
func TestSMTPWithoutSTARTTLSSendsNothingInClear(t *testing.T) {
	srv := startSMTP(t, "127.0.0.1:0")
	db := testkit.OpenDB(t)
	clk := newClock()
	sender, err := mail.NewSMTPSender("smtp://mailer:s3cret%3Apw@"+srv.addr, envelope(t, "noreply@saferspaces.example.org"))
	if err != nil {
		t.Fatal(err)
	}
	ob := mail.NewOutbox(db, sender, testkit.Logger(io.Discard), clk.Now)
	id := enqueue(t, db, activation(t, "juergen@example.org", "https://s.example/activate/x"), clk.Now())
	if sent, err := ob.DeliverDue(t.Context()); err != nil || sent != 0 {
		t.Fatalf("DeliverDue = %d, %v", sent, err)
	}
	if got := srv.messages(); len(got) != 0 {
		t.Errorf("the server received %d messages in clear", len(got))
	}
	if r := outboxRow(t, db, id); r.status != mail.StatusPending || !strings.Contains(strings.ToLower(r.lastError), "tls") {
		t.Errorf("outbox row %+v", r)
	}
}

// A retry is the same message: the Message-ID of every attempt is the one the mail got when it
// was queued.
func TestMessageIDKeptAcrossRetries(t *testing.T) {
	db := testkit.OpenDB(t)
	clk := newClock()
	env := envelope(t, "noreply@saferspaces.example.org")
	var ids []string
	fail := true
	sender := senderFunc(func(_ context.Context, m mail.Message, id int64) error {
		var b bytes.Buffer
		if err := env.Render(&b, m, id, clk.Now()); err != nil {
			return err
		}
		msg, err := netmail.ReadMessage(&b)
		if err != nil {
			return err
		}
		ids = append(ids, msg.Header.Get("Message-ID"))
		if fail {
			fail = false
			return errors.New("421 try again later")
		}
		return nil
	})
	ob := mail.NewOutbox(db, sender, testkit.Logger(io.Discard), clk.Now)
	enqueue(t, db, activation(t, "juergen@example.org", "https://s.example/activate/x"), clk.Now())
	enqueue(t, db, activation(t, "anna@example.org", "https://s.example/activate/y"), clk.Now())
	ob.DeliverDue(t.Context())
	clk.Advance(mail.Backoff(1))
	ob.DeliverDue(t.Context())
	if len(ids) != 3 || ids[0] != ids[1] || ids[1] == ids[2] || !strings.HasSuffix(ids[0], "@saferspaces.example.org>") {
		t.Errorf("Message-IDs of attempts: %q", ids)
	}
}

// Whatever a person typed as their name reaches them: quotes, commas, angle brackets and formula
// text are quoted in the To header, not pasted into it (which made such mail unsendable, retried
// for hours and, as waiting mail, turned /readyz red).
func TestRecipientNamesAreQuoted(t *testing.T) {
	srv := startSMTP(t, "127.0.0.1:0")
	db := testkit.OpenDB(t)
	clk := newClock()
	sender, err := mail.NewSMTPSender(smtpURL(srv.addr), envelope(t, "saferspaces <noreply@saferspaces.example.org>"))
	if err != nil {
		t.Fatal(err)
	}
	ob := mail.NewOutbox(db, sender, testkit.Logger(io.Discard), clk.Now)
	names := []string{`Anna Schmidt"`, `=HYPERLINK("http://evil.example","x")`, `Müller, Jörg <Amt 32>`, `"quoted" \ back`}
	for i, name := range names {
		m := activation(t, fmt.Sprintf("p%d@stadt.example", i), "https://saferspaces.example.org/activate/x")
		m.ToName = name
		enqueue(t, db, m, clk.Now())
	}
	if sent, err := ob.DeliverDue(t.Context()); err != nil || sent != len(names) {
		t.Fatalf("DeliverDue = %d, %v", sent, err)
	}
	got := map[string]string{}
	for _, r := range srv.messages() {
		msg, err := netmail.ReadMessage(strings.NewReader(string(r.data)))
		if err != nil {
			t.Fatal(err)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 {
			t.Fatalf("To %q: %v", msg.Header.Get("To"), err)
		}
		got[to[0].Address] = to[0].Name
	}
	for i, name := range names {
		if a := fmt.Sprintf("p%d@stadt.example", i); got[a] != name {
			t.Errorf("%s: name %q, want %q", a, got[a], name)
		}
	}
}
