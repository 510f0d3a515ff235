package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/projections/readmodel"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
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

	search  *search.Index  // nil with --search=off
	reports *readmodel.Set // the report kinds' read models
	snaps   readmodel.Store
}

// add follows m, polling every poll (0: the follower's default).
func (r *readModels) add(m follow.Model, poll time.Duration, afterChunk func()) *follow.Follower {
	f := follow.New(m, follow.Options{Store: r.st, PollEvery: poll, AfterChunk: afterChunk, Logger: r.log})
	r.followers = append(r.followers, f)
	return f
}

// openReadModels opens the models ledgerd runs: the report kinds' read models (saved
// in the PostgreSQL database with --store postgres://…, else in DATA/readmodels), the
// investigation index (--search) and the shredder (--keystore).
func openReadModels(ctx context.Context, c *config, st ledger.Store, d *daemon, reg prometheus.Registerer, ro report.Options) (*readModels, error) {
	r := &readModels{st: st, log: d.log}
	snaps, err := openSnapshots(ctx, c, st)
	if err != nil {
		return nil, err
	}
	r.snaps = snaps
	r.closers = append(r.closers, func() { snaps.Close() })
	if r.reports, err = readmodel.OpenSet(ctx, kinds.Default(), nil, ro, st, readmodel.Options{Store: snaps, Logger: d.log}); err != nil {
		r.close()
		return nil, err
	}
	for _, m := range r.reports.Models() {
		r.add(m, 0, d.trim.Now)
		d.log.Info("read model", "read_model", m.Name(), "from", m.Restored())
	}
	if c.search == "on" {
		idx, err := search.Open(filepath.Join(c.data, "search.db"))
		if err != nil {
			return nil, fmt.Errorf("--search: %w", err)
		}
		r.search = idx
		r.closers = append(r.closers, func() { idx.Close() })
		r.add(idx, 0, nil)
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

// openSnapshots is where the report read models are saved: the ledger's PostgreSQL
// database (tables Grafana can read), or DATA/readmodels beside the embedded store.
func openSnapshots(ctx context.Context, c *config, st ledger.Store) (readmodel.Store, error) {
	if pg, ok := st.(*pgstore.Store); ok {
		s, err := readmodel.OpenPG(ctx, pg.Pool())
		if err != nil {
			return nil, fmt.Errorf("read models: %w", err)
		}
		return s, nil
	}
	return readmodel.OpenDir(filepath.Join(c.data, "readmodels"))
}

// report is api.Reports.Read: the report from its read model once the model has folded
// the entries the request saw.
func (r *readModels) report(ctx context.Context, kind string, size uint64, o report.Options) (*report.Report, error) {
	rep, err := r.reports.Report(ctx, kind, size, o)
	if errors.Is(err, readmodel.ErrCatchingUp) {
		return nil, fmt.Errorf("%w: %w", api.ErrReadModelBehind, err)
	}
	return rep, err
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
	r.wg.Go(func() { r.saveStale(ctx) })
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
	if r.reports != nil {
		if err := r.reports.Save(context.Background()); err != nil {
			r.log.Error("saving the read models", "err", err)
		}
	}
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// saveStale saves, every few seconds, the report models whose last entries have waited
// longer than their save interval: a quiet ledger's last acts reach the snapshot (and
// PostgreSQL's tables) without waiting for more.
func (r *readModels) saveStale(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.reports.SaveIfStale(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("saving the read models", "err", err)
			}
		}
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
