package config_test

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"saferspaces/internal/config"
)

func TestEnvFallbackAndPrecedence(t *testing.T) {
	env := map[string]string{
		"SAFERSPACES_ADDR":     "0.0.0.0:9000",
		"SAFERSPACES_BASE_URL": "https://training.stadt.example",
		"SAFERSPACES_DATA":     "/from/env",
		"SAFERSPACES_DEMO":     "true",
	}
	c := config.Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.ServeFlags(fs)
	if err := fs.Parse([]string{"--data", "/from/flag"}); err != nil {
		t.Fatal(err)
	}
	if err := config.ApplyEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Data != "/from/flag" {
		t.Errorf("flag lost to the environment: data = %q", c.Data)
	}
	if c.Addr != "0.0.0.0:9000" || c.BaseURL != "https://training.stadt.example" || !c.Demo {
		t.Errorf("environment not applied: %+v", c)
	}
	if !c.Secure() {
		t.Error("https base URL does not make cookies Secure")
	}
	if got := c.Link("/activate/x"); got != "https://training.stadt.example/activate/x" {
		t.Errorf("Link = %q", got)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config.Config)
		want string // "" means valid
	}{
		{"defaults", func(*config.Config) {}, ""},
		{"empty data", func(c *config.Config) { c.Data = " " }, "--data"},
		{"addr without port", func(c *config.Config) { c.Addr = "localhost" }, "--addr"},
		{"relative base url", func(c *config.Config) { c.BaseURL = "training.example" }, "--base-url"},
		{"base url with query", func(c *config.Config) { c.BaseURL = "https://example.org/path?x=1" }, "--base-url must not have a query (?…) or fragment (#…)"},
		{"base url with fragment", func(c *config.Config) { c.BaseURL = "https://example.org/path#frag" }, "--base-url must not have a query (?…) or fragment (#…)"},
		{"base url with empty query", func(c *config.Config) { c.BaseURL = "https://example.org/?" }, "--base-url must not have a query"},
		{"base url with userinfo", func(c *config.Config) { c.BaseURL = "https://user:secret@example.org" }, "--base-url must not have a user name or password"},
		{"base url with a path", func(c *config.Config) { c.BaseURL = "https://example.org/training/" }, ""},
		{"smtp scheme", func(c *config.Config) { c.SMTPURL = "http://mail.example" }, "--smtp-url"},
		{"smtps ok", func(c *config.Config) { c.SMTPURL = "smtps://u:p@mail.example:465" }, ""},
		{"smtp tls ok", func(c *config.Config) { c.SMTPURL = "smtp://mail.example:25?tls=opportunistic" }, ""},
		{"smtp tls unknown", func(c *config.Config) { c.SMTPURL = "smtp://h:25?tls=maybe" }, `--smtp-url "smtp://h:25?tls=maybe": tls="maybe"`},
		{"smtps with tls", func(c *config.Config) { c.SMTPURL = "smtps://h?tls=none" }, "--smtp-url"},
		{"smtp other query", func(c *config.Config) { c.SMTPURL = "smtp://h?auth=plain" }, "--smtp-url"},
		{"smtp port", func(c *config.Config) { c.SMTPURL = "smtp://h:99999" }, "--smtp-url"},
		{"smtp path", func(c *config.Config) { c.SMTPURL = "smtp://h:25/x" }, "--smtp-url"},
		{"smtp password hidden", func(c *config.Config) { c.SMTPURL = "smtp://u:s3cret@h:25?tls=maybe" }, `--smtp-url "smtp://u:xxxxx@h:25?tls=maybe"`},
		{"addr port too big", func(c *config.Config) { c.Addr = "127.0.0.1:99999" }, `--addr "127.0.0.1:99999": port "99999"`},
		{"addr named port", func(c *config.Config) { c.Addr = "127.0.0.1:http" }, "--addr"},
		{"addr any port", func(c *config.Config) { c.Addr = "127.0.0.1:0" }, ""},
		{"metrics port too big", func(c *config.Config) { c.MetricsAddr = "127.0.0.1:70000" }, "--metrics-addr"},
		{"metrics port negative", func(c *config.Config) { c.MetricsAddr = "127.0.0.1:-1" }, "--metrics-addr"},
		{"modules missing", func(c *config.Config) { c.Modules = "/nonexistent" }, `--modules "/nonexistent"`},
		{"modules a file", func(c *config.Config) { c.Modules = "config_test.go" }, "--modules"},
		{"modules a folder", func(c *config.Config) { c.Modules = "." }, ""},
		{"unknown zone", func(c *config.Config) { c.TimeZone = "Mars/Olympus" }, "--timezone"},
		{"proxies ok", func(c *config.Config) { c.TrustedProxies = "127.0.0.1, 10.0.0.0/8,::1" }, ""},
		{"bad proxy", func(c *config.Config) { c.TrustedProxies = "127.0.0.1,proxy.local" }, "--trusted-proxies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	if got := config.EnvName("base-url"); got != "SAFERSPACES_BASE_URL" {
		t.Errorf("EnvName(base-url) = %q", got)
	}
}

func TestOperatorAndRetentionFlags(t *testing.T) {
	env := map[string]string{
		"SAFERSPACES_OPERATOR_NAME":   "Stadt Beispiel",
		"SAFERSPACES_CONTACT_EMAIL":   "kontakt@stadt.example",
		"SAFERSPACES_RETAIN_INACTIVE": "24mo",
	}
	c := config.Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.ServeFlags(fs)
	if err := fs.Parse([]string{"--retain-mail", "30d", "--dpo-email", "dsb@stadt.example"}); err != nil {
		t.Fatal(err)
	}
	if err := config.ApplyEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Operator.Name != "Stadt Beispiel" || c.Operator.Email != "kontakt@stadt.example" || c.Operator.DPOEmail != "dsb@stadt.example" {
		t.Errorf("operator = %+v", c.Operator)
	}
	if c.Retention.Inactive != config.Months(24) || c.Retention.Mail != config.Days(30) || c.Retention.Acceptances != config.Years(3) {
		t.Errorf("retention = %+v", c.Retention)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Operator.Complete() {
		t.Error("operator complete without address, DPO name, authority and conciliation body")
	}
	c.Operator.Demo()
	if !c.Operator.Complete() || c.Operator.Name != "Stadt Beispiel" {
		t.Errorf("demo values: %+v (missing %v)", c.Operator, c.Operator.Missing())
	}
	if err := fs.Parse([]string{"--retain-audit", "12 months"}); err == nil {
		t.Error("--retain-audit '12 months' accepted")
	}
}

func TestValidateOperator(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*config.Config)
		want string
	}{
		{"contact ok", func(c *config.Config) { c.Operator.Email = "kontakt@stadt.example" }, ""},
		{"contact with name", func(c *config.Config) { c.Operator.Email = "Stadt <kontakt@stadt.example>" }, "--contact-email"},
		{"contact not an address", func(c *config.Config) { c.Operator.Email = "kontakt" }, "--contact-email"},
		{"dpo e-mail", func(c *config.Config) { c.Operator.DPOEmail = "dsb at stadt" }, "--dpo-email"},
		{"authority url", func(c *config.Config) { c.Operator.AuthorityURL = "www.ldi.example" }, "--supervisory-authority-url"},
		{"conciliation url", func(c *config.Config) { c.Operator.ConciliationURL = "javascript:alert(1)" }, "--conciliation-body-url"},
		{"name with line break", func(c *config.Config) { c.Operator.Name = "Stadt\nBeispiel" }, "--operator-name"},
		{"address with bidi override", func(c *config.Config) { c.Operator.Address = "Markt 1\u202e" }, "--operator-address"},
		{"warning longer than inactivity", func(c *config.Config) { c.Retention.Warning = config.Months(13) }, "--retain-warning"},
		{"cap", func(c *config.Config) { c.MailHourlyCap = 0 }, "--mail-hourly-cap"},
		{"legal folder missing", func(c *config.Config) { c.Legal = "/does/not/exist" }, "--legal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestPeriod(t *testing.T) {
	at := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"30d":  time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		"12mo": time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC),
		"3y":   time.Date(2023, 3, 31, 12, 0, 0, 0, time.UTC),
		"0":    at,
	} {
		p, err := config.ParsePeriod(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := p.Before(at); !got.Equal(want) || p.String() != in {
			t.Errorf("%s: Before = %v, String = %q", in, got, p)
		}
	}
	for _, bad := range []string{"", "12", "12m", "-3d", "+3d", "1.5y", "3 y", "d"} {
		if _, err := config.ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", bad)
		}
	}
}

// A password never shows in the message, even in a URL that does not parse.
func TestValidateHidesSMTPPassword(t *testing.T) {
	for _, u := range []string{"smtp://mailer:s3cret@h:25?tls=maybe", "smtp://mailer:s3cret pw@h:25", "smtp://mailer:s3cret%zz@h:25"} {
		c := config.Default()
		c.SMTPURL = u
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "--smtp-url") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v, want an error naming --smtp-url without the password", u, err)
		}
	}
}
