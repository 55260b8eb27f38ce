package command

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orderform/orderform/provider"
)

// watchMetrics are what watch serves at /metrics, in its own registry (no
// process-wide globals).
type watchMetrics struct {
	reg           *prometheus.Registry
	reconciles    *prometheus.CounterVec
	changes       *prometheus.CounterVec
	notifications *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	requests      *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	remaining     *prometheus.GaugeVec
	drift         prometheus.Counter
	deferred      prometheus.Gauge
	blocked       prometheus.Gauge
	pending       prometheus.Gauge
	lastSuccess   prometheus.Gauge
}

func newWatchMetrics() *watchMetrics {
	const ns = "orderform_watch"
	m := &watchMetrics{
		reg: prometheus.NewRegistry(),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "reconciles_total",
			Help: "Reconciles by trigger (start, interval, notification, retry, reload) and result (ok, error)."}, []string{"trigger", "result"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "changes_total",
			Help: "Changes written, by outcome (confirmed, applied, failed, stale, pending, unchanged, skipped, unknown)."}, []string{"outcome"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "notifications_total",
			Help: "The Market's notifications by type and what became of them (queued, ignored)."}, []string{"type", "result"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "config_reloads_total",
			Help: "Configuration reloads by result (ok, invalid: the last good one stays)."}, []string{"result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_requests_total",
			Help: "Market API answers by endpoint and HTTP status."}, []string{"endpoint", "code"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_rate_limited_total",
			Help: "HTTP 420 answers by endpoint."}, []string{"endpoint"}),
		remaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "api_quota_remaining",
			Help: "Requests left in the endpoint's quota, as the last answer's X-RateLimit-Resource-Remaining said."}, []string{"endpoint"}),
		drift: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "drift_total",
			Help: "Orders found differing from the configuration, counted at each reconcile that found them."}),
		deferred: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "deferred",
			Help: "Deferred changes (waiting for a status) in the last reconcile."}),
		blocked: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "blocked",
			Help: "Blocked changes in the last reconcile."}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "pending",
			Help: "Earlier writes still in flight in the last reconcile."}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "last_success_timestamp_seconds",
			Help: "When a reconcile last ended without an error (Unix time)."}),
	}
	m.reg.MustRegister(m.reconciles, m.changes, m.notifications, m.reloads, m.requests, m.rateLimited, m.remaining,
		m.drift, m.deferred, m.blocked, m.pending, m.lastSuccess)
	return m
}

// answered counts one API answer.
func (m *watchMetrics) answered(a provider.Answer) {
	m.requests.WithLabelValues(a.Endpoint, strconv.Itoa(a.Status)).Inc()
	if a.Status == 420 {
		m.rateLimited.WithLabelValues(a.Endpoint).Inc()
	}
	if a.Remaining >= 0 {
		m.remaining.WithLabelValues(a.Endpoint).Set(float64(a.Remaining))
	}
}

func (m *watchMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
