package mail

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Envelope is what every message of one platform carries besides its own content.
type Envelope struct {
	From    *mail.Address
	ReplyTo string // the operator's contact address (--contact-email); "" for none
}

// NewEnvelope parses from ("Name <addr>" or a bare address) and takes replyTo as it is.
func NewEnvelope(from, replyTo string) (Envelope, error) {
	addr, err := parseFrom(from)
	if err != nil {
		return Envelope{}, err
	}
	if replyTo != "" {
		if a, err := mail.ParseAddress(replyTo); err != nil || a.Address != replyTo {
			return Envelope{}, fmt.Errorf("invalid Reply-To address %q", replyTo)
		}
	}
	return Envelope{From: addr, ReplyTo: replyTo}, nil
}

// build makes the go-mail message for an outbox mail. The SMTP sender sends it and the file
// sender writes it, both with go-mail's own WriteTo, so an .eml file is byte for byte what SMTP
// would have sent (with the Date of its writing).
//
// Every message is marked Auto-Submitted: auto-generated (RFC 3834), so that vacation responders
// and other automatic replies stay quiet, and carries the Message-ID of its outbox row, the same
// on every attempt.
func (env Envelope) build(m Message, id int64, date time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(env.From)
	// The name goes through net/mail's formatting, which quotes and encodes whatever a person
	// typed as their name (quotes, commas, "=HYPERLINK(…)"); go-mail's AddToFormat pastes it
	// between quotes unescaped, and such a mail could never be sent.
	if a, err := mail.ParseAddress(m.To); err != nil || a.Address != m.To {
		return nil, fmt.Errorf("recipient %q is not an e-mail address", m.To)
	}
	msg.ToMailAddress(&mail.Address{Name: m.ToName, Address: m.To})
	if env.ReplyTo != "" {
		if err := msg.ReplyTo(env.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject) // go-mail Q-encodes non-ASCII (umlauts) per RFC 2047
	msg.SetDateWithValue(date)
	msg.SetMessageIDWithValue(messageID(id, m.MessageKey, env.From))
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	// Quoted-printable keeps the message 7-bit clean for any relay; mail clients decode it, so links
	// stay clickable even where a long line gets a soft break on the wire.
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}

// unsendable marks an error in the message itself (not in its delivery): trying again cannot
// help, so the outbox gives up at once instead of retrying for hours.
type unsendable struct{ err error }

func (e unsendable) Error() string { return "message cannot be built: " + e.err.Error() }
func (e unsendable) Unwrap() error { return e.err }

// Render writes the message exactly as the senders do, for tests and tools.
func (env Envelope) Render(w io.Writer, m Message, id int64, date time.Time) error {
	msg, err := env.build(m, id, date)
	if err != nil {
		return unsendable{err}
	}
	_, err = msg.WriteTo(w)
	return err
}

// newMessageKey is the random part of a Message-ID, made once when the mail is queued.
func newMessageKey() string { return rand.Text()[:16] }

// messageID is unique per outbox mail and the same for every attempt to send it, in the sender's
// domain as RFC 5322 recommends. Mail queued before keys were stored uses its id alone.
func messageID(id int64, key string, from *mail.Address) string {
	domain := "localhost"
	if _, d, ok := strings.Cut(from.Address, "@"); ok && d != "" {
		domain = d
	}
	local := "saferspaces." + strconv.FormatInt(id, 10)
	if key != "" {
		local += "." + key
	}
	return local + "@" + domain
}

// parseFrom accepts "Name <addr>" or a bare address.
func parseFrom(from string) (*mail.Address, error) {
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("invalid sender address %q: %w", from, err)
	}
	return addr, nil
}
