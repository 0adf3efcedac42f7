package config_test

import (
	"flag"
	"io"
	"strings"
	"testing"

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
		{"smtp scheme", func(c *config.Config) { c.SMTPURL = "http://mail.example" }, "--smtp-url"},
		{"smtps ok", func(c *config.Config) { c.SMTPURL = "smtps://u:p@mail.example:465" }, ""},
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
