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

// NewSMTPSender configures delivery from an URL:
//
//	smtp://[user:pass@]host[:port]                    STARTTLS required (default port 587)
//	smtp://[user:pass@]host[:port]?tls=opportunistic  STARTTLS when the server offers it, else in clear
//	smtp://[user:pass@]host[:port]?tls=none           never TLS (a relay on the same host)
//	smtps://[user:pass@]host[:port]                   implicit TLS (default port 465)
//
// Mail is never sent in clear to a server that does not offer STARTTLS unless the URL says so
// explicitly. Credentials are used (AUTH PLAIN or LOGIN) only when the URL has user info, and
// go-mail refuses to send them unencrypted to anything but localhost. env carries the sender,
// e.g. "saferspaces <noreply@example.org>", and the Reply-To.
func NewSMTPSender(rawURL string, env Envelope) (*SMTPSender, error) {
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
	q := u.Query()
	tlsMode := q.Get("tls")
	delete(q, "tls")
	switch u.Scheme {
	case "smtp":
		port = 587
		policy := gomail.TLSMandatory
		switch tlsMode {
		case "", "starttls":
		case "opportunistic":
			policy = gomail.TLSOpportunistic
		case "none":
			policy = gomail.NoTLS
		default:
			return nil, fmt.Errorf("invalid SMTP URL: tls=%q; want tls=opportunistic or tls=none (without it STARTTLS is required)", tlsMode)
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		if tlsMode != "" {
			return nil, errors.New("invalid SMTP URL: smtps:// always uses TLS; tls= is for smtp://")
		}
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("invalid SMTP URL: scheme must be smtp:// or smtps://, not %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("invalid SMTP URL: no host (want smtp://user:pass@host:port)")
	}
	if (u.Path != "" && u.Path != "/") || len(q) > 0 || u.Fragment != "" {
		return nil, errors.New("invalid SMTP URL: no path, and no query but tls= (want smtp://user:pass@host:port)")
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
	if env.From == nil {
		return nil, errors.New("SMTP sender: no sender address")
	}
	// Build a client once now, so that an option go-mail rejects is reported at start-up.
	if _, err := gomail.NewClient(u.Hostname(), opts...); err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	return &SMTPSender{host: u.Hostname(), opts: opts, env: env}, nil
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
