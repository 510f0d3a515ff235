package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

// Where derived work runs (--derived). Derived work is what every front-end could do
// from the log alone and what the deployment needs done once: the report kinds' read
// models and the compliance metrics over them (readmodels.go). Done by every front-end
// of a shared store, it costs each of them the whole log again and, for the metrics,
// reports every series once per front-end.
const (
	derivedLease = "lease" // on a store that offers leases, only in the holder of the work's lease
	derivedHere  = "here"  // in this process, whatever the others do
	derivedOff   = "off"   // not in this process
)

func checkDerived(mode string) error {
	switch mode {
	case derivedLease, derivedHere, derivedOff:
		return nil
	}
	return fmt.Errorf("--derived must be lease, here or off, not %q", mode)
}

// derivedLeaseFor returns the lease that guards the named derived work under mode, or
// nil when the work runs here unguarded: mode "here", or a store that offers no leases
// (the embedded store, which one process owns).
func derivedLeaseFor(mode string, st ledger.Store, name string, log *slog.Logger) ledger.Lease {
	if mode != derivedLease {
		return nil
	}
	ls, ok := st.(ledger.Leaser)
	if !ok {
		return nil
	}
	log.Info("derived work runs in the front-end that holds its lease", "lease", name)
	return ls.Lease(name)
}

// leaseEvery is how often guarded work looks at its lease.
const leaseEvery = 250 * time.Millisecond

// whileHeld runs run, with a context that ends when the lease is lost, each time the
// lease is taken, until ctx ends or run returns by itself (it gave up). With a nil lease
// it runs run once with ctx.
func whileHeld(ctx context.Context, l ledger.Lease, run func(context.Context)) {
	if l == nil {
		run(ctx)
		return
	}
	t := time.NewTicker(leaseEvery)
	defer t.Stop()
	for {
		for !l.Held() {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); run(rctx) }()
		lost := false
		for !lost {
			select {
			case <-done:
				cancel()
				return // run returned by itself, or ctx ended
			case <-t.C:
				lost = !l.Held()
			}
		}
		cancel()
		<-done
	}
}

// every runs fn each d, the first time after d, until ctx ends: the background chores
// of a front-end (saving read models, keeping a forwarder's domain state level).
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// leaseCollector reports a collector's metrics only while its lease is held, so that of
// several front-ends only the one doing the work exports its series, and dashboards
// summing over instances count them once.
type leaseCollector struct {
	prometheus.Collector
	ready func() bool // the lease is held and the work has produced its first answer
}

// Collect implements prometheus.Collector.
func (c leaseCollector) Collect(ch chan<- prometheus.Metric) {
	if c.ready() {
		c.Collector.Collect(ch)
	}
}
