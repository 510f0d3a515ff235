package api

import (
	"fmt"
	"github.com/aba-prefecture/dataledger/internal/version"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the ledger server's Prometheus series. They are registered on the
// Registerer given to NewMetrics, never in init, so that tests and several servers in one
// process each have their own. All methods are safe for concurrent use.
//
// Series (documented for dashboards and alert rules in docs/operations.md):
//
//	ledger_appends_total{outcome,code}           submissions answered; outcome created|duplicate|refused|failed
//	ledger_append_duration_seconds{outcome}      POST /v1/events from body read to answer (verify + durable commit)
//	ledger_batch_entries                         entries per group commit
//	ledger_entries                               committed log size
//	ledger_checkpoint_size                       tree size of the latest signed checkpoint
//	ledger_checkpoint_lag_entries                entries committed but not yet under a checkpoint
//	ledger_http_requests_total{route,method,code}
//	ledger_verify_failures_total{reason}         integrity failures found while running (page)
//
// The series of closed label sets exist at 0 from the start (metrics_zero.go), so that a
// dashboard never says "No data" for them and increase() counts their first event.
type Metrics struct {
	verify   *prometheus.CounterVec
	appends  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	batch    prometheus.Histogram
	requests *prometheus.CounterVec
	ledger   atomic.Pointer[ledger.Ledger]
}

// Outcomes of one submission, the values of the "outcome" label.
const (
	OutcomeCreated   = "created"
	OutcomeDuplicate = "duplicate"
	OutcomeRefused   = "refused" // 4xx: the client must change something
	OutcomeFailed    = "failed"  // 5xx: retrying the same submission is safe
)

// NewMetrics creates the series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		verify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ledger_verify_failures_total",
			Help: "Integrity failures found while running, by ChainError reason (rewritten, bad_prev_hash, …) or checkpoint_conflict (a presented checkpoint signed by the ledger key disagrees with the published one). Any increase means the log or its key must be investigated.",
		}, []string{"reason"}),
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ledger_appends_total",
			Help: "Submissions answered by POST /v1/events, by outcome and error code (ok for success).",
		}, []string{"outcome", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ledger_append_duration_seconds",
			Help:    "Time from reading a submission to answering it: decoding, signature verification and durable group commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms … 4 s
		}, []string{"outcome"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ledger_batch_entries",
			Help:    "Entries written per group commit (one durable store transaction).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13), // 1 … 4096
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ledger_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ledger_entries",
		Help: "Number of durably committed entries (the log size).",
	}, func() float64 {
		if l := m.ledger.Load(); l != nil {
			return float64(l.Size())
		}
		return 0
	})
	ckpt := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ledger_checkpoint_size",
		Help: "Tree size covered by the latest signed checkpoint.",
	}, func() float64 { return float64(m.checkpointSize()) })
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ledger_checkpoint_lag_entries",
		Help: "Committed entries not yet covered by a signed checkpoint; grows if checkpointing stalls.",
	}, func() float64 {
		if l := m.ledger.Load(); l != nil {
			return float64(l.Size() - min(l.Size(), m.checkpointSize()))
		}
		return 0
	})
	bi := version.Get()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ledger_build_info",
		Help:        "Always 1; its labels say which build runs (release, VCS revision, Go version), so dashboards and an assessor can tie what they see to the code that produced it.",
		ConstLabels: prometheus.Labels{"version": bi.Version, "revision": bi.Revision, "goversion": bi.GoVersion},
	})
	build.Set(1)
	for _, c := range []prometheus.Collector{m.verify, m.appends, m.latency, m.batch, m.requests, size, ckpt, lag, build} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering metrics: %w", err)
		}
	}
	m.initZero()
	return m, nil
}

func (m *Metrics) checkpointSize() uint64 {
	if l := m.ledger.Load(); l != nil {
		if c, ok := l.LatestCheckpoint(); ok {
			return c.Size
		}
	}
	return 0
}

// ObserveBatch records one group commit. It has the signature of ledger.Options.OnCommit
// so that ledgerd can hang it there; it does no I/O and returns at once.
func (m *Metrics) ObserveBatch(entries []*ledger.Entry) {
	if m == nil {
		return
	}
	m.batch.Observe(float64(len(entries)))
}

// VerifyFailure counts one integrity failure. It has the signature of
// ledger.Options.OnCorrupt so that ledgerd can hang it there.
func (m *Metrics) VerifyFailure(ce *ledger.ChainError) {
	if m == nil {
		return
	}
	m.verify.WithLabelValues(ce.Reason).Inc()
}

func (m *Metrics) observeAppend(outcome, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.appends.WithLabelValues(outcome, code).Inc()
	m.latency.WithLabelValues(outcome).Observe(d.Seconds())
}

func (m *Metrics) observeRequest(route, method string, status int) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
}

func (m *Metrics) watch(l *ledger.Ledger) {
	if m != nil {
		m.ledger.Store(l)
	}
}
