package mail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultFrom is the sender used when none is configured.
const DefaultFrom = "saferspaces <noreply@localhost>"

// FileSender writes every message as an .eml file into a folder instead of sending it: the platform
// works without an SMTP server (development, demos, air-gapped installations), and an operator can
// forward or open the files with any mail client.
type FileSender struct {
	Dir  string
	From string // header From; empty means DefaultFrom
	log  *slog.Logger
}

// NewFileSender writes into dir, which is created on first use.
func NewFileSender(dir string, log *slog.Logger) *FileSender {
	return &FileSender{Dir: dir, From: DefaultFrom, log: log}
}

// Send writes DIR/<UTC time>-<id>.eml atomically (temp file, fsync, rename), so a reader never
// sees half a message and a message recorded as sent survives a crash.
func (f *FileSender) Send(ctx context.Context, m Message, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	from := f.From
	if from == "" {
		from = DefaultFrom
	}
	fromAddr, err := parseFrom(from)
	if err != nil {
		return err
	}
	// The wall clock, like SMTP's Date: the file records when the mail was actually written.
	now := time.Now()
	data := render(m, fromAddr, messageID(id, fromAddr), now)

	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	name := filepath.Join(f.Dir, now.UTC().Format("20060102T150405Z")+"-"+strconv.FormatInt(id, 10)+".eml")
	if err := writeAtomic(name, data, 0o640); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	// Never the body: it contains activation and reset tokens.
	f.log.Info("mail written", "to", m.To, "subject", m.Subject, "file", name)
	return nil
}

// render formats an RFC 5322 message. The body is sent as 8bit UTF-8 with Unix line endings, so
// every link stays on one line, unencoded, for grep and for tests; net/mail and mail clients
// accept LF-only files.
func render(m Message, from *mail.Address, msgID string, now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\n") }
	header("From", from.String())
	header("To", (&mail.Address{Name: m.ToName, Address: m.To}).String())
	header("Subject", encodeSubject(m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+msgID+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "8bit")
	b.WriteString("\n")
	body := strings.ReplaceAll(m.Body, "\r\n", "\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	return b.Bytes()
}

// encodeSubject RFC 2047-encodes a subject with non-ASCII characters and folds the encoded words
// onto continuation lines, so no header line grows past what mail software expects. Line breaks
// are flattened first: they would otherwise start a new header.
func encodeSubject(s string) string {
	s = oneLine(s)
	enc := mime.QEncoding.Encode("utf-8", s)
	if enc == s {
		return s
	}
	return strings.ReplaceAll(enc, "?= =?", "?=\n =?")
}

func writeAtomic(name string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	// The rename itself must reach the disk before the outbox records the mail as sent.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
