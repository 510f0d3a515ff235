package main

// The metrics listener (--metrics-listen) and the series only ledgerd's wiring can
// export. Kept apart from main.go, which registers the flag and calls openMetrics.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/spf13/pflag"
)

// metricsConfig is the metrics part of the command line.
type metricsConfig struct {
	listen string // --metrics-listen
}

func (m *metricsConfig) register(fs *pflag.FlagSet) {
	fs.StringVar(&m.listen, "metrics-listen", "", "serve /metrics on this separate address (e.g. 127.0.0.1:9464, reachable by Prometheus only); the public listener's /metrics then carries no per-institution series. Default: /metrics on --listen with every series; see docs/monitoring.md")
}

// metricsServer is the separate metrics listener while it runs; nil without
// --metrics-listen.
type metricsServer struct {
	srv  *http.Server
	done chan struct{}
}

// openMetrics registers the series of ledgerd's own wiring on reg and, with
// --metrics-listen, binds that address and serves every series of reg there. It returns
// what the public listener's /metrics serves: everything without --metrics-listen (one
// listener, as before), else the series without an institution label, so that who is
// overdue or under a finding is not published to whoever can reach the API.
func (d *daemon) openMetrics(reg *prometheus.Registry) (prometheus.Gatherer, error) {
	if err := reg.Register(readAuditCounter(d.access)); err != nil {
		return nil, fmt.Errorf("registering the read-audit metric: %w", err)
	}
	if d.c.metrics.listen == "" {
		return reg, nil
	}
	ln, err := net.Listen("tcp", d.c.metrics.listen)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen %s: %w", d.c.metrics.listen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelError)}))
	m := &metricsServer{done: make(chan struct{}), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelWarn)}}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("metrics listener failed", "err", err)
		}
	}()
	d.metrics = m
	d.log.Info("metrics serving", "metrics_listen", ln.Addr().String())
	return withoutLabel(reg, "institution"), nil
}

// close stops the metrics listener; Prometheus then sees the process go as it goes.
func (m *metricsServer) close() {
	if m == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(ctx); err != nil {
		m.srv.Close()
	}
	<-m.done
}

// withoutLabel is g without the samples that carry label: the public view of the series.
func withoutLabel(g prometheus.Gatherer, label string) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		out := mfs[:0]
		for _, mf := range mfs {
			kept := mf.Metric[:0]
			for _, m := range mf.Metric {
				if !hasLabel(m, label) {
					kept = append(kept, m)
				}
			}
			if len(kept) > 0 {
				mf.Metric = kept
				out = append(out, mf)
			}
		}
		return out, err
	})
}

func hasLabel(m *dto.Metric, name string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return true
		}
	}
	return false
}

// readAuditCounter is ledger_read_audit_records_total: the records of the read-audit
// log (every read of event data, allowed or refused, docs/access.md), 0 without one. The
// log persists, so the counter continues across restarts; its rate is the read volume
// the security dashboard shows.
func readAuditCounter(a *accessRuntime) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "ledger_read_audit_records_total",
		Help: "Records in the read-audit log: every read of event data, allowed or refused (Art. 36 security duties; docs/access.md). 读取审计日志记录数。",
	}, func() float64 {
		if a == nil || a.audit == nil {
			return 0
		}
		n, _ := a.audit.Head()
		return float64(n)
	})
}
