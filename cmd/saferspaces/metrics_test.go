package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serve --metrics-addr exposes Prometheus metrics on a listener of its own: requests by route
// pattern and status with latency histograms, sign-ins by result, the mail queue, the database's
// size and the sessions. The scrape is parsed as Prometheus parses it.
func TestMetricsEndpoint(t *testing.T) {
	data := migratedData(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	base, done, _, out := startServeOut(t, ctx, noEnv, "--data", data, "--metrics-addr", "127.0.0.1:0", "--demo")
	defer func() { cancel(); <-done }()
	m := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve did not print the metrics address:\n%s", out)
	}
	password := regexp.MustCompile(`demo learner: (\S+) password: (\S+)`).FindStringSubmatch(out)
	if password == nil {
		t.Fatalf("no demo learner:\n%s", out)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signIn := func(pw string) int {
		resp, err := client.PostForm(base+"/login", url.Values{"email": {password[1]}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := signIn("falsch, aber lang genug"); s != http.StatusOK {
		t.Fatalf("wrong password: %d", s)
	}
	if s := signIn(password[2]); s != http.StatusSeeOther {
		t.Fatalf("right password: %d", s)
	}
	for _, p := range []string{"/", "/login", "/modules/does-not-exist/check", "/no/such/page", "/healthz"} {
		resp, err := client.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if strings.Contains(base, m[1]) {
		t.Fatal("metrics on the public address")
	}
	if resp, err := http.Get(base + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("/metrics is served on the public listener")
		}
	}

	// A request is counted when its handler returns, which may be just after the client has its
	// answer: scrape until every request above is in (or give up after a while and report).
	var failures []string
	for try := 0; try < 50; try++ {
		if try > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		failures = scrapeFailures(t, m[1])
		if len(failures) == 0 {
			break
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// scrapeFailures scrapes the metrics endpoint and returns what is missing from it.
func scrapeFailures(t *testing.T, metricsURL string) []string {
	t.Helper()
	var failures []string
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %s", resp.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the scrape does not parse: %v", err)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		f := families[name]
		if f == nil {
			return 0, false
		}
	next:
		for _, mt := range f.Metric {
			for k, v := range labels {
				found := false
				for _, lp := range mt.Label {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return mt.Counter.GetValue(), true
			case dto.MetricType_GAUGE:
				return mt.Gauge.GetValue(), true
			case dto.MetricType_HISTOGRAM:
				return float64(mt.Histogram.GetSampleCount()), true
			}
		}
		return 0, false
	}
	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"saferspaces_http_requests_total", map[string]string{"route": "/login", "method": "POST", "status": "303"}, 1},
		{"saferspaces_http_requests_total", map[string]string{"route": "/login", "method": "POST", "status": "200"}, 1},
		{"saferspaces_http_requests_total", map[string]string{"route": "/modules/{module}/check", "method": "GET", "status": "404"}, 1},
		{"saferspaces_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1},
		{"saferspaces_http_request_duration_seconds", map[string]string{"route": "/{$}", "method": "GET"}, 1},
		{"saferspaces_signins_total", map[string]string{"result": "ok"}, 1},
		{"saferspaces_signins_total", map[string]string{"result": "failed"}, 1},
		{"saferspaces_signins_total", map[string]string{"result": "throttled"}, 0},
		{"saferspaces_queue_depth", map[string]string{"queue": "mail"}, 0},
		{"saferspaces_queue_oldest_age_seconds", map[string]string{"queue": "mail"}, 0},
		{"saferspaces_database_bytes", map[string]string{"file": "db"}, 4096},
		{"saferspaces_sessions", map[string]string{"kind": "signed_in"}, 1},
		{"go_goroutines", nil, 1},
	}
	for _, c := range checks {
		v, ok := value(c.name, c.labels)
		if !ok || v < c.min {
			failures = append(failures, fmt.Sprintf("%s%v = %v (found %v), want at least %v", c.name, c.labels, v, ok, c.min))
		}
	}
	if v, _ := value("saferspaces_scrape_errors", nil); v != 0 {
		failures = append(failures, fmt.Sprintf("%v sources could not be read", v))
	}
	return failures
}
