package mail

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpTimeout bounds dialing and every SMTP command, so one hung server cannot stall the outbox.
const smtpTimeout = 10 * time.Second

// SMTPSender delivers mail through an SMTP server with go-mail.
type SMTPSender struct {
	host string
	opts []gomail.Option
	env  Envelope
}

// SMTPSettings is an SMTP URL taken apart: where to connect, how, and as whom.
type SMTPSettings struct {
	Host     string
	Port     int
	TLS      SMTPTLS
	Username string // empty: no AUTH
	Password string
}

// SMTPTLS is how a connection is encrypted.
type SMTPTLS string

const (
	TLSStartTLS      SMTPTLS = "starttls"      // smtp://, STARTTLS required
	TLSOpportunistic SMTPTLS = "opportunistic" // smtp://…?tls=opportunistic
	TLSNone          SMTPTLS = "none"          // smtp://…?tls=none
	TLSImplicit      SMTPTLS = "implicit"      // smtps://
)

// ParseSMTPURL checks an SMTP URL completely and takes it apart:
//
//	smtp://[user:pass@]host[:port]                    STARTTLS required (default port 587)
//	smtp://[user:pass@]host[:port]?tls=opportunistic  STARTTLS when the server offers it, else in clear
//	smtp://[user:pass@]host[:port]?tls=none           never TLS (a relay on the same host)
//	smtps://[user:pass@]host[:port]                   implicit TLS (default port 465)
//
// It is the one place of these rules: config.Validate calls it at start-up, before anything is
// written, and NewSMTPSender builds on it. Its errors never repeat the URL (nor its password).
func ParseSMTPURL(rawURL string) (SMTPSettings, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Only the inner error: the url.Error would repeat the URL, and with it the password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return SMTPSettings{}, fmt.Errorf("want smtp://user:pass@host:port, special characters percent-encoded: %w", err)
	}
	var s SMTPSettings
	q := u.Query()
	tlsMode := q.Get("tls")
	delete(q, "tls")
	switch u.Scheme {
	case "smtp":
		s.Port = 587
		switch tlsMode {
		case "", "starttls":
			s.TLS = TLSStartTLS
		case "opportunistic":
			s.TLS = TLSOpportunistic
		case "none":
			s.TLS = TLSNone
		default:
			return SMTPSettings{}, fmt.Errorf("tls=%q; want tls=opportunistic or tls=none (without it STARTTLS is required)", tlsMode)
		}
	case "smtps":
		if tlsMode != "" {
			return SMTPSettings{}, errors.New("smtps:// always uses TLS; tls= is for smtp://")
		}
		s.Port = 465
		s.TLS = TLSImplicit
	default:
		return SMTPSettings{}, fmt.Errorf("scheme must be smtp:// or smtps://, not %q", u.Scheme)
	}
	if s.Host = u.Hostname(); s.Host == "" {
		return SMTPSettings{}, errors.New("no host (want smtp://user:pass@host:port)")
	}
	if (u.Path != "" && u.Path != "/") || len(q) > 0 || u.Fragment != "" {
		return SMTPSettings{}, errors.New("no path, and no query but tls= (want smtp://user:pass@host:port)")
	}
	if p := u.Port(); p != "" {
		s.Port, err = strconv.Atoi(p)
		if err != nil || s.Port < 1 || s.Port > 65535 {
			return SMTPSettings{}, fmt.Errorf("bad port %q, want 1 to 65535", p)
		}
	}
	s.Username = u.User.Username()
	s.Password, _ = u.User.Password()
	return s, nil
}

// NewSMTPSender configures delivery from an URL (see ParseSMTPURL).
//
// Mail is never sent in clear to a server that does not offer STARTTLS unless the URL says so
// explicitly. Credentials are used (AUTH PLAIN or LOGIN) only when the URL has user info, and
// go-mail refuses to send them unencrypted to anything but localhost. env carries the sender,
// e.g. "saferspaces <noreply@example.org>", and the Reply-To.
func NewSMTPSender(rawURL string, env Envelope) (*SMTPSender, error) {
	s, err := ParseSMTPURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid SMTP URL: %w", err)
	}
	var opts []gomail.Option
	switch s.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	opts = append(opts, gomail.WithPort(s.Port), gomail.WithTimeout(smtpTimeout))
	if s.Username != "" {
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	if env.From == nil {
		return nil, errors.New("SMTP sender: no sender address")
	}
	// Build a client once now, so that an option go-mail rejects is reported at start-up.
	if _, err := gomail.NewClient(s.Host, opts...); err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	return &SMTPSender{host: s.Host, opts: opts, env: env}, nil
}

// Send delivers m over a fresh connection. A client per message keeps no state between sends
// (go-mail's client is not meant for concurrent use), and mail is rare enough not to need reuse.
func (s *SMTPSender) Send(ctx context.Context, m Message, id int64) error {
	// The wall clock, not the outbox's injected one: Date says when the mail actually left.
	msg, err := s.env.build(m, id, time.Now())
	if err != nil {
		return unsendable{err}
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("SMTP client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("SMTP %s: %w", c.ServerAddr(), err)
	}
	return nil
}
