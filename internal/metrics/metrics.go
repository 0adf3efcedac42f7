// Package metrics holds the platform's Prometheus metrics: what the web layer counts per request
// and per sign-in, and what is read from the features when Prometheus scrapes (the mail queue,
// the database's size, the sessions). serve exposes them with --metrics-addr on a listener of its
// own, never on the public one. The package knows no HTTP; internal/web serves the registry.
package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one platform's set of metrics, in a registry of its own.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	signIns  *prometheus.CounterVec
}

// Sign-in outcomes, the values of the label "result".
const (
	SignInOK        = "ok"
	SignInFailed    = "failed"
	SignInThrottled = "throttled"
)

// New registers the request and sign-in metrics and the Go runtime's and process's own.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saferspaces_http_requests_total",
			Help: "HTTP requests answered, by route pattern (as in routes.go), method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "saferspaces_http_request_duration_seconds",
			Help:    "Time from the request's arrival to the end of the answer, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "saferspaces_signins_total",
			Help: "Sign-in attempts by result: ok, failed (wrong address or password, inactive account) or throttled.",
		}, []string{"result"}),
	}
	for _, r := range []string{SignInOK, SignInFailed, SignInThrottled} {
		m.signIns.WithLabelValues(r) // present from the start, at 0
	}
	reg.MustRegister(m.requests, m.latency, m.signIns,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Request counts one answered request. route is the pattern that matched ("" for none).
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched" // 404s of unknown paths: one series, whatever the paths
	}
	m.requests.WithLabelValues(route, method, statusLabel(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// SignIn counts one sign-in attempt.
func (m *Metrics) SignIn(result string) {
	if m == nil {
		return
	}
	m.signIns.WithLabelValues(result).Inc()
}

func statusLabel(code int) string {
	if code == 0 {
		code = 200
	}
	// Three digits without fmt: this runs on every request.
	return string([]byte{byte('0' + code/100%10), byte('0' + code/10%10), byte('0' + code%10)})
}

// Sources are the features read at each scrape; a nil one is left out.
type Sources struct {
	// MailBacklog is mail.Outbox.Backlog: mails waiting and the age of the oldest.
	MailBacklog func(context.Context) (int, time.Duration, error)
	// DatabaseSize is sqlite.DB.Size: the database file and its write-ahead log, in bytes.
	DatabaseSize func() (db, wal int64)
	// Sessions is account.Service.ActiveSessions: live sessions and how many are signed in.
	Sessions func(context.Context) (all, signedIn int, err error)
	// Queues are further queues by name (the xAPI queue), each with its backlog like MailBacklog.
	Queues map[string]func(context.Context) (int, time.Duration, error)
	Log    *slog.Logger
}

// Watch registers the gauges read from the features at each scrape.
func (m *Metrics) Watch(src Sources) {
	m.Registry.MustRegister(&scraped{src: src,
		queueDepth: prometheus.NewDesc("saferspaces_queue_depth", "Messages waiting in a queue (mail: the outbox), by queue.", []string{"queue"}, nil),
		queueAge:   prometheus.NewDesc("saferspaces_queue_oldest_age_seconds", "Age of the oldest message waiting in a queue; 0 when it is empty.", []string{"queue"}, nil),
		dbBytes:    prometheus.NewDesc("saferspaces_database_bytes", "Size of the SQLite database, by file (db, wal).", []string{"file"}, nil),
		sessions:   prometheus.NewDesc("saferspaces_sessions", "Live server-side sessions, by kind (all, signed_in).", []string{"kind"}, nil),
		errors:     prometheus.NewDesc("saferspaces_scrape_errors", "Sources that could not be read at this scrape.", nil, nil),
	})
}

// scraped reads its values when Prometheus asks, so that a scrape sees the state of that moment
// and an idle platform does no work for its metrics.
type scraped struct {
	src                                             Sources
	queueDepth, queueAge, dbBytes, sessions, errors *prometheus.Desc
}

func (c *scraped) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queueDepth
	ch <- c.queueAge
	ch <- c.dbBytes
	ch <- c.sessions
	ch <- c.errors
}

func (c *scraped) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	failed := 0
	fail := func(what string, err error) {
		failed++
		if c.src.Log != nil {
			c.src.Log.Warn("metrics: cannot read "+what, "err", err)
		}
	}
	queues := map[string]func(context.Context) (int, time.Duration, error){}
	for name, f := range c.src.Queues {
		queues[name] = f
	}
	if c.src.MailBacklog != nil {
		queues["mail"] = c.src.MailBacklog
	}
	for name, backlog := range queues {
		n, age, err := backlog(ctx)
		if err != nil {
			fail(name+" queue", err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.queueDepth, prometheus.GaugeValue, float64(n), name)
		ch <- prometheus.MustNewConstMetric(c.queueAge, prometheus.GaugeValue, age.Seconds(), name)
	}
	if c.src.DatabaseSize != nil {
		db, wal := c.src.DatabaseSize()
		ch <- prometheus.MustNewConstMetric(c.dbBytes, prometheus.GaugeValue, float64(db), "db")
		ch <- prometheus.MustNewConstMetric(c.dbBytes, prometheus.GaugeValue, float64(wal), "wal")
	}
	if c.src.Sessions != nil {
		if all, signedIn, err := c.src.Sessions(ctx); err != nil {
			fail("sessions", err)
		} else {
			ch <- prometheus.MustNewConstMetric(c.sessions, prometheus.GaugeValue, float64(all), "all")
			ch <- prometheus.MustNewConstMetric(c.sessions, prometheus.GaugeValue, float64(signedIn), "signed_in")
		}
	}
	ch <- prometheus.MustNewConstMetric(c.errors, prometheus.GaugeValue, float64(failed))
}
