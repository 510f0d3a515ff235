package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/projections/search"
	"github.com/prometheus/client_golang/prometheus"
)

// readModels are the models this ledgerd keeps level with the log, each with its own
// follower: caught up from the store at start (in the background: serving does not wait
// for a large log to be folded), then fed the entries this process commits (Deliver),
// with a poll and the store's announcements for other writers' entries.
type readModels struct {
	st        ledger.Store
	log       *slog.Logger
	followers []*follow.Follower
	closers   []func()
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	search *search.Index // nil with --search=off
}

// add follows m, polling every poll (0: the follower's default).
func (r *readModels) add(m follow.Model, poll time.Duration, afterChunk func()) *follow.Follower {
	f := follow.New(m, follow.Options{Store: r.st, PollEvery: poll, AfterChunk: afterChunk, Logger: r.log})
	r.followers = append(r.followers, f)
	return f
}

// openReadModels opens the models ledgerd runs: the investigation index (--search),
// the compliance metrics (--compliance-interval) and the shredder (--keystore).
func openReadModels(c *config, st ledger.Store, d *daemon, reg prometheus.Registerer) (*readModels, error) {
	r := &readModels{st: st, log: d.log}
	if c.search == "on" {
		idx, err := search.Open(filepath.Join(c.data, "search.db"))
		if err != nil {
			return nil, fmt.Errorf("--search: %w", err)
		}
		r.search = idx
		r.closers = append(r.closers, func() { idx.Close() })
		r.add(idx, 0, nil)
	}
	if d.comp != nil {
		r.add(complianceFeed{d.comp}, c.complianceEvery, d.trim.Now)
	}
	if d.access != nil && d.access.shredder != nil {
		r.add(d.access.shredder, 0, nil)
	}
	if err := reg.Register(r); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// deliver is an OnCommit hook: it hands the committed batch to every follower and never
// blocks.
func (r *readModels) deliver(es []*ledger.Entry) {
	if r == nil {
		return
	}
	for _, f := range r.followers {
		f.Deliver(es)
	}
}

// start runs every follower until close.
func (r *readModels) start() {
	if r == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for _, f := range r.followers {
		r.wg.Go(func() {
			if err := f.Run(ctx); err != nil {
				r.log.Error("read model stopped: its log does not extend the chain it holds", "read_model", f.Name(), "err", err)
			}
		})
	}
}

// close stops the followers after one last catch-up (what was committed while
// draining: a destruction act then still shreds before the process ends), and closes
// what the models hold. It runs after the ledger has drained, before the store closes.
func (r *readModels) close() {
	if r == nil {
		return
	}
	if r.cancel != nil {
		r.cancel()
		r.wg.Wait()
		for _, f := range r.followers {
			if _, err := f.CatchUp(context.Background()); err != nil {
				r.log.Error("final catch-up of a read model", "read_model", f.Name(), "err", err)
			}
		}
	}
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

var (
	descPosition = prometheus.NewDesc("ledger_readmodel_position", "Entries a read model has folded (its position). 读模型已处理的条目数。", []string{"model"}, nil)
	descApplied  = prometheus.NewDesc("ledger_readmodel_applied_total", "Entries a read model applied, by where they came from: commit (this process), bus, store (catch-up). 读模型按来源统计的已应用条目数。", []string{"model", "from"}, nil)
)

// Describe implements prometheus.Collector.
func (r *readModels) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPosition
	ch <- descApplied
}

// Collect implements prometheus.Collector: the lag of a model is ledger_entries minus
// its position.
func (r *readModels) Collect(ch chan<- prometheus.Metric) {
	for _, f := range r.followers {
		s := f.Stats()
		ch <- prometheus.MustNewConstMetric(descPosition, prometheus.GaugeValue, float64(s.Position), f.Name())
		for from, n := range map[string]uint64{"commit": s.FromCommit, "bus": s.FromBus, "store": s.FromStore} {
			ch <- prometheus.MustNewConstMetric(descApplied, prometheus.CounterValue, float64(n), f.Name(), from)
		}
	}
}
