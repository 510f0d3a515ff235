package compliance

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Groups with a count of 0 are exported as 0: a Source reports every group that can
// occur for the institutions it knows (every deadline and rule with its article), so
// that a series exists before its first increment and increase() counts the first
// overdue obligation or finding of its kind.

// Overdue is one group of obligations past their deadline and not yet met.
type Overdue struct {
	Deadline    string // D1 … D12 (regulation/obligations.md, Deadlines)
	Institution string // the institution that owes the act
	Article     string // the article that sets the deadline, Arabic digits: "16"
	Count       int    // how many obligations of this group are overdue now
}

// Finding is one group of findings of the same rule against the same institution.
type Finding struct {
	Rule        string // F1 … F18 (regulation/obligations.md, Findings)
	Institution string // the institution the finding is against
	Article     string // the article breached, Arabic digits: "16"; "41" for F17, "42" for F18
	Open        int    // raised and not closed (remedied or dismissed) now
	Raised      int    // ever raised, open or closed: never decreases over the log
}

// Source is what the exporter reads at each scrape. Implementations must be safe for
// concurrent use and answer from memory: a scrape must not wait on the store.
type Source interface {
	// Overdue returns the overdue obligations grouped by deadline, institution and
	// article; groups with Count 0 may be left out.
	Overdue() []Overdue
	// Findings returns the findings grouped by rule, institution and article.
	Findings() []Finding
	// Position is the log size the answers reflect (entries folded), so that a stalled
	// fold shows as a gap to ledger_entries rather than as silence.
	Position() uint64
	// Standing returns the registered institutions, the access suspensions and the
	// emergency register's counts.
	Standing() Standing
}

// Metric names, exported so that the dashboards and their tests use the same strings.
const (
	MetricOverdue      = "ledger_obligations_overdue"
	MetricFindingsOpen = "ledger_findings_open"
	MetricFindingsSeen = "ledger_findings_raised_total"
	MetricPosition     = "ledger_compliance_position"
)

var (
	overdueDesc = prometheus.NewDesc(MetricOverdue,
		"Obligations past their deadline and not yet met, by deadline (D1–D12), owing institution and article of the Measures.",
		[]string{"deadline", "institution", "article"}, nil)
	openDesc = prometheus.NewDesc(MetricFindingsOpen,
		"Findings raised and not yet closed, by rule (F1–F18), institution and article breached.",
		[]string{"rule", "institution", "article"}, nil)
	raisedDesc = prometheus.NewDesc(MetricFindingsSeen,
		"Findings ever raised over the whole log, by rule, institution and article; an increase is a new finding.",
		[]string{"rule", "institution", "article"}, nil)
	positionDesc = prometheus.NewDesc(MetricPosition,
		"Log size (entries folded) that the compliance series reflect.", nil, nil)
)

// Collector is a prometheus.Collector over a Source. It is safe for concurrent use if
// the Source is.
type Collector struct{ src Source }

// NewCollector returns a collector reading src at each scrape.
func NewCollector(src Source) *Collector { return &Collector{src: src} }

// Register registers a collector over src on reg.
func Register(reg prometheus.Registerer, src Source) error {
	if err := reg.Register(NewCollector(src)); err != nil {
		return fmt.Errorf("registering compliance metrics: %w", err)
	}
	return nil
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{overdueDesc, openDesc, raisedDesc, positionDesc,
		institutionDesc, suspendedDesc, emergenciesDesc, emergencyDataDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Groups repeated by the Source are summed, so
// that a Source may report per obligation or per finding as well as per group.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	type key struct{ a, b, c string }
	overdue := map[key]int{}
	var order []key
	for _, o := range c.src.Overdue() {
		k := key{o.Deadline, o.Institution, o.Article}
		if _, ok := overdue[k]; !ok {
			order = append(order, k)
		}
		overdue[k] += o.Count
	}
	for _, k := range order {
		ch <- metric(overdueDesc, prometheus.GaugeValue, float64(overdue[k]), k.a, k.b, k.c)
	}
	type counts struct{ open, raised int }
	findings := map[key]counts{}
	order = order[:0]
	for _, f := range c.src.Findings() {
		k := key{f.Rule, f.Institution, f.Article}
		n, ok := findings[k]
		if !ok {
			order = append(order, k)
		}
		findings[k] = counts{n.open + f.Open, n.raised + f.Raised}
	}
	for _, k := range order {
		n := findings[k]
		ch <- metric(openDesc, prometheus.GaugeValue, float64(n.open), k.a, k.b, k.c)
		ch <- metric(raisedDesc, prometheus.CounterValue, float64(n.raised), k.a, k.b, k.c)
	}
	ch <- metric(positionDesc, prometheus.GaugeValue, float64(c.src.Position()))
	collectStanding(ch, c.src.Standing())
}

// metric builds one sample; a label value Prometheus cannot carry (invalid UTF-8) fails
// that scrape with an error naming it instead of panicking.
func metric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
