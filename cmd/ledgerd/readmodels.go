package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
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
//
// Two groups: what every front-end needs for itself (the shredder, over this front-end's
// key store; on the embedded store the investigation index, a file beside it), and the
// derived models (the report kinds and, over the findings model, the compliance
// metrics; on PostgreSQL the investigation index too, a table every front-end reads),
// which a deployment needs once. With --derived lease on a store several ledgerd share,
// only the holder of the derived lease keeps them; the others answer a report from the
// saved models (cold), a search from the shared index, and export no compliance series.
type readModels struct {
	st      ledger.Store
	log     *slog.Logger
	ro      report.Options
	snaps   readmodel.Store
	trim    func()
	core    []*follow.Follower
	closers []func()
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	search api.Searcher // nil with --search=off
	// shared are the models of the deployment kept with the derived ones, under their
	// lease: the investigation index in PostgreSQL.
	shared []follow.Model

	queue chan handed // batches for the followers, in log order (deliver, caughtUp)

	mode  string       // --derived
	lease ledger.Lease // nil: the derived models run here unguarded (or not at all, with off)
	own   *derived     // opened at start when unguarded
	live  atomic.Pointer[derived]
	lag   *prometheus.HistogramVec // ledger_readmodel_lag_seconds
}

// derived is the report models while this process keeps them, with their followers.
type derived struct {
	set *readmodel.Set
	fs  []*follow.Follower
}

// leaseDerived names the derived models' lease.
const leaseDerived = "ledgerd/readmodels"

// openReadModels opens the models ledgerd runs: the report kinds' read models (saved
// in the PostgreSQL database with --store postgres://…, else in DATA/readmodels), the
// investigation index (--search) and the shredder (--keystore).
func openReadModels(ctx context.Context, c *config, st ledger.Store, d *daemon, reg prometheus.Registerer, ro report.Options) (*readModels, error) {
	r := &readModels{st: st, log: d.log, ro: ro, trim: d.trim.Now, mode: c.derived, lag: newLagHistogram(), queue: make(chan handed, 1024)}
	snaps, err := openSnapshots(ctx, c, st)
	if err != nil {
		return nil, err
	}
	r.snaps = snaps
	r.closers = append(r.closers, func() { snaps.Close() })
	if c.search == "on" {
		if err := r.openSearch(ctx, c); err != nil {
			r.close()
			return nil, fmt.Errorf("--search: %w", err)
		}
	}
	if d.access != nil && d.access.shredder != nil {
		r.core = append(r.core, r.follower(d.access.shredder, nil))
	}
	if c.derived != derivedOff {
		if d.relay != nil && c.derived == derivedLease {
			r.lease = d.relay.lease // one sequencing point: the derived work goes with it (relay.go)
		} else {
			r.lease = derivedLeaseFor(c.derived, st, leaseDerived, d.log)
		}
		if r.lease == nil {
			if r.own, err = r.openDerived(ctx); err != nil {
				r.close()
				return nil, err
			}
		}
	}
	if err := reg.Register(r); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// openSearch opens the investigation index: in the PostgreSQL database several ledgerd
// share (one index, folded with the derived models), else a file beside the store.
func (r *readModels) openSearch(ctx context.Context, c *config) error {
	if pg, ok := r.st.(*pgstore.Store); ok {
		idx, err := search.OpenPG(ctx, pg.Pool())
		if err != nil {
			return err
		}
		r.search = idx
		r.shared = append(r.shared, idx)
		return nil
	}
	idx, err := search.Open(filepath.Join(c.data, "search.db"))
	if err != nil {
		return err
	}
	r.search = idx
	r.closers = append(r.closers, func() { idx.Close() })
	r.core = append(r.core, r.follower(idx, nil))
	return nil
}

// gatherDerived is how long a live read model lets commits gather before it applies
// them (follow.Options.Gather): each Apply costs a transaction or a save, and under load
// a group commit carries a few dozen entries. It is a fraction of how stale a report may
// be anyway (ledger_readmodel_lag_seconds).
const gatherDerived = 50 * time.Millisecond

// follower makes m's follower, its lag observed on every batch it applies.
func (r *readModels) follower(m follow.Model, afterChunk func()) *follow.Follower {
	lag := r.lag.WithLabelValues(m.Name())
	return follow.New(m, follow.Options{Store: r.st, AfterChunk: afterChunk, Logger: r.log, Gather: gatherDerived,
		Applied: func(last *ledger.Entry) {
			if at, err := time.Parse(time.RFC3339Nano, last.RecordedAt); err == nil {
				lag.Observe(time.Since(at).Seconds())
			}
		}})
}

// newLagHistogram is ledger_readmodel_lag_seconds: how long after an entry was sealed a
// read model had folded it (observed for the last entry of each batch applied). Its
// p99 under load is how stale a report or a search can be.
func newLagHistogram() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ledger_readmodel_lag_seconds",
		Help:    "Time from an entry's sealing (recorded_at) to a read model having folded it, per applied batch. 条目写入到读模型处理完成的时间。",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"model"})
}

// openDerived opens the report kinds' read models from their snapshots.
func (r *readModels) openDerived(ctx context.Context) (*derived, error) {
	set, err := readmodel.OpenSet(ctx, kinds.Default(), nil, r.ro, r.st, readmodel.Options{Store: r.snaps, Logger: r.log})
	if err != nil {
		return nil, err
	}
	d := &derived{set: set}
	for _, m := range set.Models() {
		d.fs = append(d.fs, r.follower(m, r.trim))
		r.log.Info("read model", "read_model", m.Name(), "from", m.Restored())
	}
	for _, m := range r.shared {
		d.fs = append(d.fs, r.follower(m, nil))
	}
	return d, nil
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

// findings is the findings read model while this process keeps it, else nil.
func (r *readModels) findings() *readmodel.Model { return r.model("findings") }

// emergencies is the emergency register's read model while this process keeps it.
func (r *readModels) emergencies() *readmodel.Model { return r.model("emergencies") }

// model is the named derived read model while this process keeps it, else nil.
func (r *readModels) model(name string) *readmodel.Model {
	if d := r.live.Load(); d != nil {
		m, _ := d.set.Get(name)
		return m
	}
	return nil
}

// report is api.Reports.Read: the report from its read model once the model has folded
// the entries the request saw; on a front-end that does not keep the models, from the
// saved model brought level with the log for this request.
func (r *readModels) report(ctx context.Context, kind string, size uint64, o report.Options) (*report.Report, error) {
	d := r.live.Load()
	if d == nil {
		return r.cold(ctx, kind, o)
	}
	rep, err := d.set.Report(ctx, kind, size, o)
	if errors.Is(err, readmodel.ErrCatchingUp) {
		return nil, fmt.Errorf("%w: %w", api.ErrReadModelBehind, err)
	}
	return rep, err
}

// cold answers a report from the kind's saved model, caught up with the log: what a
// front-end that does not keep the models does (it saves nothing: the holder does).
func (r *readModels) cold(ctx context.Context, kind string, o report.Options) (*report.Report, error) {
	set, err := readmodel.OpenSet(ctx, kinds.Default(), []string{kind}, r.ro, r.st, readmodel.Options{Store: r.snaps, Logger: r.log})
	if err != nil {
		return nil, err
	}
	for _, m := range set.Models() {
		if _, err := follow.New(m, follow.Options{Store: r.st, Logger: r.log}).CatchUp(ctx); err != nil {
			return nil, err
		}
	}
	return set.Report(ctx, kind, 0, o)
}

// deliver is an OnCommit hook: this process's committed batch, queued for every
// follower in log order. It never blocks: if the queue is full the batch is dropped and
// the followers read those entries from the store.
func (r *readModels) deliver(es []*ledger.Entry) { r.enqueue(es, false) }

// caughtUp is an OnCatchUp hook: the entries other front-ends committed, which this
// process's sequencer has just read and linked to its chain, queued in log order with its
// own commits so that each follower need not read, parse and hash them again from the
// store. The sequencer takes their recorded hashes on trust (it checks the last), so the
// queue's goroutine hashes their bytes before any model sees them.
func (r *readModels) caughtUp(es []*ledger.Entry) { r.enqueue(es, true) }

// handed is a batch on its way to the followers; check says its bytes must be hashed.
type handed struct {
	es    []*ledger.Entry
	check bool
}

func (r *readModels) enqueue(es []*ledger.Entry, check bool) {
	if r == nil || len(r.core) == 0 && r.live.Load() == nil {
		return
	}
	select {
	case r.queue <- handed{es, check}:
	default:
	}
}

// hand passes queued batches to every follower, in order, until ctx ends. A caught-up
// batch whose bytes do not hash to their recorded hashes is not handed on: the followers
// then read the store, and fail there on the same entry, loudly.
func (r *readModels) hand(ctx context.Context) {
	for {
		var h handed
		select {
		case <-ctx.Done():
			return
		case h = <-r.queue:
		}
		if h.check && !intact(h.es) {
			r.log.Error("entries another writer committed do not hash to their recorded hashes; read models will read them from the store", "from", h.es[0].Seq)
			continue
		}
		for _, f := range r.core {
			f.Deliver(h.es)
		}
		if d := r.live.Load(); d != nil {
			for _, f := range d.fs {
				f.Deliver(h.es)
			}
		}
	}
}

// intact says every entry's bytes hash to its recorded hash.
func intact(es []*ledger.Entry) bool {
	for _, e := range es {
		if ledger.SumEntry(e.Bytes) != e.Hash {
			return false
		}
	}
	return true
}

// start runs every follower until close: the derived ones here, or while this process
// holds their lease.
func (r *readModels) start() {
	if r == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Go(func() { r.hand(ctx) })
	for _, f := range r.core {
		r.run(ctx, f)
	}
	switch {
	case r.own != nil:
		r.live.Store(r.own)
		r.runDerived(ctx, r.own)
	case r.lease != nil:
		r.wg.Go(func() { whileHeld(ctx, r.lease, r.holdDerived) })
	}
}

// run keeps f's model live until ctx ends.
func (r *readModels) run(ctx context.Context, f *follow.Follower) {
	r.wg.Go(func() {
		if err := f.Run(ctx); err != nil {
			r.log.Error("read model stopped: its log does not extend the chain it holds", "read_model", f.Name(), "err", err)
		}
	})
}

// runDerived runs the derived followers and the saver until ctx ends.
func (r *readModels) runDerived(ctx context.Context, d *derived) {
	for _, f := range d.fs {
		r.run(ctx, f)
	}
	r.wg.Go(func() { r.saveStale(ctx, d.set) })
}

// holdDerived keeps the derived models while this process holds their lease (ctx ends
// when it is lost): reopened from the snapshots the last holder saved.
func (r *readModels) holdDerived(ctx context.Context) {
	d, err := r.openDerived(ctx)
	if err != nil {
		r.log.Error("opening the read models", "err", err)
		return
	}
	var wg sync.WaitGroup
	for _, f := range d.fs {
		wg.Go(func() { _ = f.Run(ctx) })
	}
	r.live.Store(d)
	r.saveStale(ctx, d.set)
	wg.Wait()
	r.live.Store(nil)
	if err := d.set.Save(context.Background()); err != nil {
		r.log.Error("saving the read models", "err", err)
	}
}

// close stops the followers after one last catch-up (what was committed while
// draining: a destruction act then still shreds before the process ends), saves the
// derived models, and closes what the models hold. It runs after the ledger has
// drained, before the store closes.
func (r *readModels) close() {
	if r == nil {
		return
	}
	if r.cancel != nil {
		r.cancel()
		r.wg.Wait()
		for _, f := range r.core {
			if _, err := f.CatchUp(context.Background()); err != nil {
				r.log.Error("final catch-up of a read model", "read_model", f.Name(), "err", err)
			}
		}
	}
	if r.own != nil {
		if err := r.own.set.Save(context.Background()); err != nil {
			r.log.Error("saving the read models", "err", err)
		}
	}
	if r.lease != nil {
		r.lease.Close()
	}
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// saveStale saves, every few seconds, the report models whose last entries have waited
// longer than their save interval: a quiet ledger's last acts reach the snapshot (and
// PostgreSQL's tables) without waiting for more.
func (r *readModels) saveStale(ctx context.Context, set *readmodel.Set) {
	every(ctx, 5*time.Second, func() {
		if err := set.SaveIfStale(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("saving the read models", "err", err)
		}
	})
}

var (
	descPosition = prometheus.NewDesc("ledger_readmodel_position", "Entries a read model has folded (its position). 读模型已处理的条目数。", []string{"model"}, nil)
	descApplied  = prometheus.NewDesc("ledger_readmodel_applied_total", "Entries a read model applied, by where they came from: commit (this process), bus, store (catch-up). 读模型按来源统计的已应用条目数。", []string{"model", "from"}, nil)
)

// Describe implements prometheus.Collector.
func (r *readModels) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPosition
	ch <- descApplied
	r.lag.Describe(ch)
}

// Collect implements prometheus.Collector: the lag of a model is ledger_entries minus
// its position. The derived models are reported by the process that keeps them.
func (r *readModels) Collect(ch chan<- prometheus.Metric) {
	r.lag.Collect(ch)
	fs := r.core
	if d := r.live.Load(); d != nil {
		fs = append(fs[:len(fs):len(fs)], d.fs...)
	}
	for _, f := range fs {
		s := f.Stats()
		ch <- prometheus.MustNewConstMetric(descPosition, prometheus.GaugeValue, float64(s.Position), f.Name())
		for from, n := range map[string]uint64{"commit": s.FromCommit, "bus": s.FromBus, "store": s.FromStore} {
			ch <- prometheus.MustNewConstMetric(descApplied, prometheus.CounterValue, float64(n), f.Name(), from)
		}
	}
}
