package mail

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpTimeout bounds dialing and every SMTP command, so one hung server cannot stall the outbox.
const smtpTimeout = 10 * time.Second

// SMTPSender delivers mail through an SMTP server with go-mail.
type SMTPSender struct {
	host string
	opts []gomail.Option
	from *mail.Address
}

// NewSMTPSender configures delivery from an URL:
//
//	smtp://[user:pass@]host[:port]   STARTTLS when the server offers it (default port 587)
//	smtps://[user:pass@]host[:port]  implicit TLS (default port 465)
//
// STARTTLS is opportunistic so that local relays and test servers without TLS work. Credentials are
// used (AUTH PLAIN or LOGIN) only when the URL has user info, and go-mail refuses to send them
// unencrypted to anything but localhost. from must parse as an address, e.g.
// "saferspaces <noreply@example.org>".
func NewSMTPSender(rawURL, from string) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Only the inner error: the url.Error would repeat the URL, and with it the password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid SMTP URL (want smtp://user:pass@host:port, special characters percent-encoded): %w", err)
	}
	var port int
	var opts []gomail.Option
	switch u.Scheme {
	case "smtp":
		port = 587
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("invalid SMTP URL: scheme must be smtp:// or smtps://, not %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("invalid SMTP URL: no host (want smtp://user:pass@host:port)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("invalid SMTP URL: no path or query allowed (want smtp://user:pass@host:port)")
	}
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("invalid SMTP URL: bad port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port), gomail.WithTimeout(smtpTimeout))
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	addr, err := parseFrom(from)
	if err != nil {
		return nil, err
	}
	// Build a client once now, so that an option go-mail rejects is reported at start-up.
	if _, err := gomail.NewClient(u.Hostname(), opts...); err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	return &SMTPSender{host: u.Hostname(), opts: opts, from: addr}, nil
}

// Send delivers m over a fresh connection. A client per message keeps no state between sends
// (go-mail's client is not meant for concurrent use), and mail is rare enough not to need reuse.
func (s *SMTPSender) Send(ctx context.Context, m Message, id int64) error {
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject) // go-mail Q-encodes non-ASCII (umlauts) per RFC 2047
	// The wall clock, not the outbox's injected one: Date says when the mail actually left.
	msg.SetDateWithValue(time.Now())
	msg.SetMessageIDWithValue(messageID(id, s.from))
	// Quoted-printable keeps the message 7-bit clean for any relay; mail clients decode it, so links
	// stay clickable even where a long line gets a soft break on the wire.
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)

	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("SMTP client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("SMTP %s: %w", c.ServerAddr(), err)
	}
	return nil
}

// parseFrom accepts "Name <addr>" or a bare address.
func parseFrom(from string) (*mail.Address, error) {
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("invalid sender address %q: %w", from, err)
	}
	return addr, nil
}

// messageID is unique per outbox mail (id) and per attempt (random part), in the sender's domain
// as RFC 5322 recommends.
func messageID(id int64, from *mail.Address) string {
	domain := "localhost"
	if _, d, ok := strings.Cut(from.Address, "@"); ok && d != "" {
		domain = d
	}
	return "saferspaces." + strconv.FormatInt(id, 10) + "." + rand.Text()[:16] + "@" + domain
}
