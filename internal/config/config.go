// Package config turns command-line flags, with SAFERSPACES_<FLAG> environment variables as
// fallback, into one Config. There are no globals: cmd builds a Config per run.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	smtpmail "saferspaces/internal/mail"
)

// Config is everything the platform can be told at start-up.
type Config struct {
	Data     string // folder with the database, session keys and (without SMTP) the mail folder
	Addr     string // listen address of serve
	BaseURL  string // public URL, used for links in e-mails and the Secure cookie flag
	Modules  string // folder that replaces the embedded modules; empty: embedded
	SMTPURL  string // smtp://user:pass@host:port; empty: mail goes to DATA/mail
	MailFrom string
	Demo     bool   // create demo accounts and cohort
	TimeZone string // IANA zone in which dates are shown (pages, PDFs, CSV)
	// TrustedProxies lists reverse proxies (addresses or CIDR prefixes, comma-separated) whose
	// X-Forwarded-For header names the client; empty: the TCP peer is the client.
	TrustedProxies string
	// MetricsAddr is where serve exposes Prometheus metrics on a listener of its own; empty: off.
	MetricsAddr string
	LogLevel    string // debug, info, warn or error

	// A learning record store that receives every statement (xAPI Statement API); empty: none.
	XAPIEndpoint, XAPIUsername, XAPIPassword string
	// An OpenID Connect provider for single sign-on; empty issuer: none. The redirect URI to
	// register with the provider is BaseURL + /login/sso/callback.
	OIDCIssuer, OIDCClientID, OIDCClientSecret string
	Operator                                   Operator  // who runs the platform (legal pages, footer, Reply-To, certificates)
	Legal                                      string    // folder of Markdown files that replace the built-in legal pages
	Brand                                      Brand     // the operator's colour and logo (--brand-color, --logo)
	Retention                                  Retention // periods of the retention rules
	// MailHourlyCap is how many e-mails per hour the public forms (registration, reset, new
	// activation link, accessibility feedback) may cause in all; above it they answer 429.
	MailHourlyCap int
}

// Default returns the documented defaults.
func Default() Config {
	return Config{
		Data:     "./data",
		Addr:     "127.0.0.1:8080",
		MailFrom: "saferspaces <noreply@saferspaces.invalid>",
		TimeZone: "Europe/Berlin",

		Retention:     DefaultRetention(),
		MailHourlyCap: 200,
		LogLevel:      "info",
	}
}

// DataFlag registers --data, which every command takes.
func (c *Config) DataFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", c.Data, "data `folder` (database, session keys, mail folder)")
}

// ServeFlags registers the flags of serve.
func (c *Config) ServeFlags(fs *flag.FlagSet) {
	c.DataFlag(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen `address`")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public `URL` of the platform, used in e-mail links (https enables Secure cookies); default: http://ADDR")
	fs.StringVar(&c.Modules, "modules", c.Modules, "`folder` of module content that replaces the embedded modules")
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "SMTP server as smtp://user:pass@host:port; empty writes e-mails to DATA/mail")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "sender `address` of e-mails")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "create demo admin, trainer and learner accounts and a demo cohort")
	fs.StringVar(&c.TimeZone, "timezone", c.TimeZone, "IANA time `zone` in which dates are shown, e.g. Europe/Berlin")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "reverse `proxies` (IPs or CIDRs, comma-separated) whose X-Forwarded-For names the client")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "listen `address` of the Prometheus metrics endpoint /metrics, e.g. 127.0.0.1:9090; empty: no metrics")
	fs.StringVar(&c.XAPIEndpoint, "xapi-endpoint", c.XAPIEndpoint, "xAPI `URL` of a learning record store that receives every statement, e.g. https://lrs.example.org/xapi")
	fs.StringVar(&c.XAPIUsername, "xapi-username", c.XAPIUsername, "`user` (key) for Basic auth at the LRS")
	fs.StringVar(&c.XAPIPassword, "xapi-password", c.XAPIPassword, "`password` (secret) for Basic auth at the LRS; better given as SAFERSPACES_XAPI_PASSWORD")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", c.OIDCIssuer, "issuer `URL` of an OpenID Connect provider for single sign-on, e.g. https://id.example.org/realms/city")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", c.OIDCClientID, "client `id` registered at the provider (redirect URI: BASE-URL/login/sso/callback)")
	fs.StringVar(&c.OIDCClientSecret, "oidc-client-secret", c.OIDCClientSecret, "client `secret` at the provider; better given as SAFERSPACES_OIDC_CLIENT_SECRET")
	c.Operator.OperatorFlags(fs)
	c.Brand.BrandFlags(fs)
	fs.StringVar(&c.Legal, "legal", c.Legal, "`folder` of Markdown files (imprint.de.md, privacy.en.md, accessibility.fr.md, …) that replace the built-in legal pages")
	fs.IntVar(&c.MailHourlyCap, "mail-hourly-cap", c.MailHourlyCap, "`number` of e-mails per hour above which the public forms answer 429")
	c.Retention.RetentionFlags(fs)
	c.LogLevelFlag(fs)
}

// PurgeFlags registers the flags of purge: the data folder, the periods, and the public URL for
// the links in warning e-mails.
func (c *Config) PurgeFlags(fs *flag.FlagSet) {
	c.DataFlag(fs)
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public `URL` of the platform, for the sign-in link in warning e-mails")
	c.Retention.RetentionFlags(fs)
}

// LogLevelFlag registers --log-level.
func (c *Config) LogLevelFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "`level` of the log on stderr: debug, info, warn or error")
}

// Level is --log-level as a slog level (info when it is not valid; Validate reports that).
func (c *Config) Level() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// EnvName is the environment variable that backs a flag: --base-url → SAFERSPACES_BASE_URL.
func EnvName(flagName string) string {
	return "SAFERSPACES_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ApplyEnv sets every flag that was not given on the command line from its environment variable.
// Call it after fs.Parse.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		if v := getenv(EnvName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", EnvName(f.Name), v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// CheckData refuses an empty --data: "" is no folder, and every command would fail on it with a
// message about something else (a database "saferspaces.db" in the working directory, "mkdir :").
func CheckData(dir string) error {
	if strings.TrimSpace(dir) == "" {
		return errors.New("--data must not be empty")
	}
	return nil
}

// Validate checks the values that would otherwise fail late or silently.
func (c *Config) Validate() error {
	var errs []error
	if err := CheckData(c.Data); err != nil {
		errs = append(errs, err)
	}
	if c.Addr != "" {
		if err := CheckListenAddr("--addr", c.Addr, "127.0.0.1:8080"); err != nil {
			errs = append(errs, err)
		}
	}
	if c.MetricsAddr != "" {
		if err := CheckListenAddr("--metrics-addr", c.MetricsAddr, "127.0.0.1:9090"); err != nil {
			errs = append(errs, err)
		} else if _, port, _ := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr == c.Addr && port != "0" {
			errs = append(errs, fmt.Errorf("--metrics-addr %q: must differ from --addr, metrics have a listener of their own", c.MetricsAddr))
		}
	}
	if c.Modules != "" {
		if st, err := os.Stat(c.Modules); err != nil {
			errs = append(errs, fmt.Errorf("--modules %q: %v", c.Modules, reason(err)))
		} else if !st.IsDir() {
			errs = append(errs, fmt.Errorf("--modules %q: not a folder", c.Modules))
		}
	}
	if err := CheckMailbox("--mail-from", c.MailFrom); err != nil {
		errs = append(errs, err)
	}
	if c.LogLevel != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
			errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
		}
	}
	if c.BaseURL != "" {
		if err := CheckBaseURL("--base-url", c.BaseURL); err != nil {
			errs = append(errs, err)
		}
	}
	if c.SMTPURL != "" {
		// The sender's own rules, so that a URL serve accepts is one the sender accepts.
		if _, err := smtpmail.ParseSMTPURL(c.SMTPURL); err != nil {
			errs = append(errs, fmt.Errorf("--smtp-url %q: %v", redactURL(c.SMTPURL), err))
		}
	}
	for _, u := range []struct{ flag, value string }{{"--xapi-endpoint", c.XAPIEndpoint}, {"--oidc-issuer", c.OIDCIssuer}} {
		if p, err := url.Parse(u.value); u.value != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil) {
			errs = append(errs, fmt.Errorf("%s %q: want an absolute http(s) URL without credentials in it", u.flag, u.value))
		}
	}
	if c.XAPIEndpoint == "" && (c.XAPIUsername != "" || c.XAPIPassword != "") {
		errs = append(errs, errors.New("--xapi-username and --xapi-password need --xapi-endpoint"))
	}
	if c.OIDCIssuer != "" && c.OIDCClientID == "" {
		errs = append(errs, errors.New("--oidc-issuer needs --oidc-client-id"))
	}
	if c.OIDCIssuer == "" && (c.OIDCClientID != "" || c.OIDCClientSecret != "") {
		errs = append(errs, errors.New("--oidc-client-id and --oidc-client-secret need --oidc-issuer"))
	}
	if err := c.Operator.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Retention.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Brand.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.MailHourlyCap < 1 {
		errs = append(errs, fmt.Errorf("--mail-hourly-cap %d: must be at least 1", c.MailHourlyCap))
	}
	if c.Legal != "" {
		if st, err := os.Stat(c.Legal); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("--legal %q: not a folder", c.Legal))
		}
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, err)
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			errs = append(errs, fmt.Errorf("--timezone %q: not an IANA time zone such as Europe/Berlin", c.TimeZone))
		}
	}
	return errors.Join(errs...)
}

// CheckListenAddr checks a listen address as host:port with a port from 1 to 65535, or 0 for
// one the system picks. net.Listen would refuse anything else only after the data folder was
// prepared; flag names the flag in the message, example shows a good value.
func CheckListenAddr(flag, value, example string) error {
	_, port, err := net.SplitHostPort(value)
	if err != nil {
		return fmt.Errorf("%s %q: want host:port, e.g. %s", flag, value, example)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s %q: port %q is not a number from 1 to 65535 (0: any free port)", flag, value, port)
	}
	return nil
}

// redactURL hides the password of a URL for a message. A URL that does not parse is cut at its
// last "@" by hand, since url.URL.Redacted needs a parsed one.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	at := strings.LastIndexByte(rest, '@')
	if !ok || at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return raw
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// CheckBaseURL checks a public URL of the platform: absolute http(s), and nothing that links
// built by appending a path (BaseURL + "/activate/…") would carry into the wrong place — a query
// or fragment would swallow the path, a user name or password would travel in every e-mail.
// name says where the value came from (a flag, or the stored setting) in the message.
func CheckBaseURL(name, value string) error {
	u, err := url.Parse(value)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%s %q: want an absolute http(s) URL such as https://training.example.org", name, value)
	case strings.ContainsAny(value, "?#"):
		return fmt.Errorf("%s must not have a query (?…) or fragment (#…): %q", name, value)
	case u.User != nil:
		return fmt.Errorf("%s must not have a user name or password (user:pass@): %q", name, u.Redacted())
	}
	return nil
}

// CheckMailbox checks the value of an address flag: one mailbox, a bare address or
// "Name <address>", on a single line. Mail servers refuse anything else only when the first
// mail is sent, long after start-up; flag names the flag in the message.
func CheckMailbox(flag, value string) error {
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("%s must not be empty", flag)
	}
	a, err := mail.ParseAddress(value)
	if err != nil || strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("%s %q: want one e-mail address such as noreply@example.org or \"Name <noreply@example.org>\"", flag, value)
	}
	if at := strings.LastIndexByte(a.Address, '@'); at <= 0 || !strings.Contains(a.Address[at+1:], ".") {
		return fmt.Errorf("%s %q: the address needs a domain with a dot, such as example.org", flag, value)
	}
	return nil
}

// Location is the time zone in which dates are shown.
func (c *Config) Location() *time.Location {
	if loc, err := time.LoadLocation(c.TimeZone); err == nil && c.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// Proxies parses --trusted-proxies: a comma-separated list of addresses or CIDR prefixes
// (e.g. "127.0.0.1,10.0.0.0/8").
func (c *Config) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is neither an IP address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Secure reports whether cookies must carry the Secure flag.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Link makes an absolute link from a path for e-mails.
func (c *Config) Link(path string) string { return strings.TrimRight(c.BaseURL, "/") + path }
