package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultFrom is the sender used when none is configured.
const DefaultFrom = "saferspaces <noreply@localhost>"

// FileSender writes every message as an .eml file into a folder instead of sending it: the platform
// works without an SMTP server (development, demos, air-gapped installations), and an operator can
// forward or open the files with any mail client. The files are what SMTP would send: go-mail
// writes them.
type FileSender struct {
	Dir string
	Env Envelope // From and Reply-To; a zero Env means DefaultFrom and no Reply-To
	log *slog.Logger
	now func() time.Time // the Date header and file name; the wall clock unless a test sets it
}

// NewFileSender writes into dir, which is created on first use.
func NewFileSender(dir string, log *slog.Logger) *FileSender {
	env, _ := NewEnvelope(DefaultFrom, "")
	return &FileSender{Dir: dir, Env: env, log: log, now: time.Now}
}

// SetClock makes the sender date its files by now (tests that compare files byte for byte).
func (f *FileSender) SetClock(now func() time.Time) { f.now = now }

// fileMode: mail bodies hold activation links and what applicants declared.
const fileMode = 0o600

// Send writes DIR/<UTC time>-<id>.eml atomically (temp file, fsync, rename), so a reader never
// sees half a message and a message recorded as sent survives a crash.
func (f *FileSender) Send(ctx context.Context, m Message, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	env := f.Env
	if env.From == nil {
		env, _ = NewEnvelope(DefaultFrom, "")
	}
	now := f.now()
	var buf bytes.Buffer
	if err := env.Render(&buf, m, id, now); err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("mail folder: %w", err)
	}
	name := filepath.Join(f.Dir, now.UTC().Format("20060102T150405Z")+"-"+strconv.FormatInt(id, 10)+".eml")
	if err := writeAtomic(name, buf.Bytes(), fileMode); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	// Neither the body (it contains activation and reset tokens) nor the recipient or subject
	// (which may name people): the server log holds no addresses but clients'.
	f.log.Info("mail written", "kind", m.Kind, "file", name)
	return nil
}

// Forget deletes every file sent to email or naming email or name (in a header or the decoded
// body), when that person's data is erased. The name counts only as whole words ("Ali" is not in
// "Alice" or "Qualität"), so another person's mail is not taken along. It reports how many files
// it deleted.
func (f *FileSender) Forget(ctx context.Context, email, name string) (int, error) {
	names := mentions(email, name)
	return f.remove(ctx, func(path string, _ time.Time) (bool, error) {
		text, err := decodedText(path)
		if err != nil {
			return false, err
		}
		return names(text), nil
	}, false)
}

// mentions returns a test of whether a text names a person: their address anywhere, or their
// name as whole words (any case; "Ali" is not in "Alice" or "Qualität"), so that erasing one
// person does not take another's mail along.
func mentions(email, name string) func(text string) bool {
	addr := strings.ToLower(email)
	var byName *regexp.Regexp
	if n := strings.Join(strings.Fields(name), " "); len([]rune(n)) >= 3 {
		words := strings.Split(regexp.QuoteMeta(strings.ToLower(n)), " ")
		byName = regexp.MustCompile(`(^|[^\p{L}\p{N}])` + strings.Join(words, `\s+`) + `($|[^\p{L}\p{N}])`)
	}
	return func(text string) bool {
		text = strings.ToLower(text)
		return (addr != "" && strings.Contains(text, addr)) || (byName != nil && byName.MatchString(text))
	}
}

// Purge deletes the files written before before (by the time in their name, or their
// modification time), or with dryRun only counts them.
func (f *FileSender) Purge(ctx context.Context, before time.Time, dryRun bool) (int, error) {
	return f.remove(ctx, func(_ string, written time.Time) (bool, error) { return written.Before(before), nil }, dryRun)
}

// remove walks the folder's .eml files and deletes those match selects.
func (f *FileSender) remove(ctx context.Context, match func(path string, written time.Time) (bool, error), dryRun bool) (int, error) {
	entries, err := os.ReadDir(f.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("mail folder: %w", err)
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		path := filepath.Join(f.Dir, e.Name())
		written, err := time.Parse("20060102T150405Z", strings.SplitN(e.Name(), "-", 2)[0])
		if err != nil {
			info, err := e.Info()
			if err != nil {
				continue
			}
			written = info.ModTime()
		}
		ok, err := match(path, written)
		if err != nil {
			return n, fmt.Errorf("%s: %w", path, err)
		}
		if !ok {
			continue
		}
		if !dryRun {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return n, err
			}
		}
		n++
	}
	return n, nil
}

// decodedText is an .eml file's headers (encoded words decoded) and body (transfer encoding
// decoded), for matching what a person would read. A file that does not parse as a message is
// matched as it is.
func decodedText(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return string(raw), nil
	}
	var sb strings.Builder
	dec := new(mime.WordDecoder)
	for k, vs := range msg.Header {
		for _, v := range vs {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			sb.WriteString(k + ": " + v + "\n")
		}
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		b = raw
	}
	sb.Write(b)
	// The raw bytes too: whatever is in the file counts, decoded or not.
	sb.WriteString("\n")
	sb.Write(raw)
	return sb.String(), nil
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
