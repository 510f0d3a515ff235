package follow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/bus"
)

// Model is a read model kept level with the log by a Follower.
type Model interface {
	// Name is stable: it keys the stored position (and the snapshot, where there is one).
	Name() string
	// Position is how many entries the model has folded: the next seq it needs.
	Position(ctx context.Context) (uint64, error)
	// Apply folds consecutive entries starting at the position and moves the position
	// past them, atomically with the state. If the stored position is not
	// entries[0].Seq it must change nothing and return an error wrapping
	// ErrPositionMoved (another process applied first).
	Apply(ctx context.Context, entries []*ledger.Entry) error
}

// ErrPositionMoved says another follower of the same model applied first.
var ErrPositionMoved = errors.New("read model position moved")

// Source is the part of ledger.Store a follower reads.
type Source interface {
	Head(ctx context.Context) (ledger.Head, error)
	Entries(ctx context.Context, from, to uint64, fn func(ledger.RawEntry) error) error
}

// Watcher is the optional store power to announce appends (pgstore's LISTEN/NOTIFY):
// without a bus, a follower of another process's writes hears of them at once.
type Watcher interface {
	Watch(ctx context.Context, fn func(size uint64)) error
}

// Options configure a Follower.
type Options struct {
	Store Source // required: the record, read for catch-up
	// Subscriber, if set, delivers bus messages on Topic (default bus.Topic).
	Subscriber message.Subscriber
	Topic      string
	// PollEvery is how often Run looks at the store's head regardless (default 2 s):
	// the bound on how late a lost last message makes a model.
	PollEvery time.Duration
	// Chunk is how many entries one Apply gets during catch-up (default 4096, about
	// 5 MiB of a bbolt file: one read transaction each, so a long catch-up never holds
	// the whole file mapped at once).
	Chunk int
	// Workers parse a chunk's entries in parallel (default GOMAXPROCS): over a long log
	// parsing, not folding, is the cost.
	Workers int
	// AfterChunk, if set, runs after each catch-up chunk is applied (ledgerd drops the
	// mapped pages it read from the resident set there).
	AfterChunk func()
	// Progress, if set, is told after each catch-up chunk how far the model is and where
	// the head was when the catch-up began (a rebuild's progress bar).
	Progress func(position, head uint64)
	// Gather, if set, is the least time between two Applies of delivered commits: under
	// load the commits that arrive in it are applied together. A model that pays for each
	// Apply (a transaction, a save, a hash of its state) then pays once per Gather instead
	// of once per group commit, and more front-ends — smaller commits — do not make it
	// dearer. It delays the model by at most Gather; an idle model applies at once.
	Gather time.Duration
	// Applied, if set, is told the last entry of every batch the model applied, from
	// whatever path (ledgerd measures a model's lag behind the commits with it).
	Applied func(last *ledger.Entry)
	Logger  *slog.Logger
}

// Stats say where the entries a follower applied came from.
type Stats struct {
	FromBus    uint64 `json:"from_bus"`    // applied from bus messages
	FromStore  uint64 `json:"from_store"`  // read from the store (catch-up)
	FromCommit uint64 `json:"from_commit"` // handed over by the ledger's commit hook (Offer)
	Ignored    uint64 `json:"ignored"`     // messages behind the position, or not extending the chain
	Position   uint64 `json:"position"`
}

// Follower keeps one model level with the log. Its methods may be called from several
// goroutines: Run, CatchUp and Offer take turns on one lock.
type Follower struct {
	m   Model
	o   Options
	log *slog.Logger

	mu     sync.Mutex
	synced bool
	pos    uint64
	last   ledger.Hash // hash of entry pos-1; ZeroHash at 0

	fromBus, fromStore, fromCommit, ignored atomic.Uint64
	position                                atomic.Uint64
	wake                                    chan struct{}
	delivered                               chan []*ledger.Entry
	fed                                     atomic.Bool   // Deliver has been called: announcements wait for deliveries
	announced                               atomic.Uint64 // the largest log size the store announced (fed followers)
}

// New makes a follower for m.
func New(m Model, o Options) *Follower {
	if o.Topic == "" {
		o.Topic = bus.Topic
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 2 * time.Second
	}
	if o.Chunk <= 0 {
		o.Chunk = 4096
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Follower{m: m, o: o, log: o.Logger.With("read_model", m.Name()), wake: make(chan struct{}, 1),
		delivered: make(chan []*ledger.Entry, 64)}
}

// Name is the model's name.
func (f *Follower) Name() string { return f.m.Name() }

// Wake tells a running Run that the store has grown, so that it catches up now rather
// than at its next poll: the ledger's commit hook calls it. It never blocks.
func (f *Follower) Wake() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Deliver hands a running Run entries this process just committed, already parsed, so
// that a live model never reads back what the ledger has in hand. It never blocks: when
// Run is behind and its queue is full the batch is dropped and Run catches up from the
// store instead. Models must treat delivered entries as read-only: every model of the
// process gets the same ones.
func (f *Follower) Deliver(es []*ledger.Entry) {
	f.fed.Store(true)
	select {
	case f.delivered <- es:
	default:
		f.Wake()
	}
}

// drain takes, after es, the batches already waiting in the delivery queue, and joins
// consecutive ones (up to Chunk entries) into runs: a model that fell behind catches up
// with one Apply (one transaction, one fsync) per run instead of one per commit. The
// delivered slices are shared with other followers and are never appended to.
func (f *Follower) drain(es []*ledger.Entry) [][]*ledger.Entry {
	runs := [][]*ledger.Entry{es}
	if len(es) == 0 {
		runs = runs[:0]
	}
	for {
		var next []*ledger.Entry
		select {
		case next = <-f.delivered:
		default:
			return runs
		}
		if len(next) == 0 {
			continue
		}
		if len(runs) == 0 {
			runs = append(runs, next)
			continue
		}
		last := runs[len(runs)-1]
		if len(last)+len(next) > f.o.Chunk || next[0].Seq != last[len(last)-1].Seq+1 {
			runs = append(runs, next)
			continue
		}
		joined := make([]*ledger.Entry, 0, len(last)+len(next))
		runs[len(runs)-1] = append(append(joined, last...), next...)
	}
}

// Stats returns the counters so far (safe to call at any time).
func (f *Follower) Stats() Stats {
	return Stats{FromBus: f.fromBus.Load(), FromStore: f.fromStore.Load(), FromCommit: f.fromCommit.Load(),
		Ignored: f.ignored.Load(), Position: f.position.Load()}
}

// sync re-reads the model's position and the hash of the entry before it.
func (f *Follower) sync(ctx context.Context) error {
	pos, err := f.m.Position(ctx)
	if err != nil {
		return fmt.Errorf("reading %s's position: %w", f.m.Name(), err)
	}
	last := ledger.ZeroHash
	if pos > 0 {
		found := false
		err := f.o.Store.Entries(ctx, pos-1, pos, func(e ledger.RawEntry) error { last, found = e.Hash, true; return nil })
		if err != nil {
			return fmt.Errorf("reading entry %d: %w", pos-1, err)
		}
		if !found {
			return fmt.Errorf("%s is at position %d but the store holds fewer entries: was it restored from another ledger? (ledgerctl rebuild %s)", f.m.Name(), pos, f.m.Name())
		}
	}
	f.pos, f.last, f.synced = pos, last, true
	f.position.Store(pos)
	return nil
}

// extends is the rule every delivery passes, whatever brought it: the entries start at
// the position and each one links to the one before. Anything else is not applied.
func (f *Follower) extends(es []*ledger.Entry) bool {
	prev := f.last
	for i, e := range es {
		if e.Seq != f.pos+uint64(i) || e.PrevHash != prev {
			return false
		}
		prev = e.Hash
	}
	return true
}

// apply hands entries that extend the position to the model.
func (f *Follower) apply(ctx context.Context, es []*ledger.Entry) error {
	if err := f.m.Apply(ctx, es); err != nil {
		if errors.Is(err, ErrPositionMoved) {
			return f.sync(ctx)
		}
		return fmt.Errorf("%s applying %d..%d: %w", f.m.Name(), es[0].Seq, es[len(es)-1].Seq, err)
	}
	f.pos, f.last = es[len(es)-1].Seq+1, es[len(es)-1].Hash
	f.position.Store(f.pos)
	if f.o.Applied != nil {
		f.o.Applied(es[len(es)-1])
	}
	return nil
}

// read parses entries [from, to) of the store, on every worker, checking that they form
// the chain that continues prev.
func (f *Follower) read(ctx context.Context, from, to uint64, prev ledger.Hash) ([]*ledger.Entry, error) {
	raws := make([]ledger.RawEntry, 0, to-from)
	err := f.o.Store.Entries(ctx, from, to, func(r ledger.RawEntry) error {
		r.Bytes = bytes.Clone(r.Bytes) // parsed after the read transaction ends
		raws = append(raws, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	es := make([]*ledger.Entry, len(raws))
	errs := make([]error, len(raws))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(f.o.Workers, len(raws)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(raws); i = int(next.Add(1) - 1) {
				es[i], errs[i] = ledger.ParseEntry(raws[i].Bytes)
			}
		})
	}
	wg.Wait()
	for i, e := range es {
		r := raws[i]
		if errs[i] != nil {
			return nil, &ledger.ChainError{Seq: r.Seq, Reason: "malformed_entry", Detail: errs[i].Error()}
		}
		if want := from + uint64(i); e.Seq != want || r.Seq != want || e.PrevHash != prev || e.Hash != r.Hash {
			return nil, &ledger.ChainError{Seq: r.Seq, Reason: "bad_prev_hash", Detail: "the store's entry does not extend the chain the read model holds"}
		}
		prev = e.Hash
	}
	return es, nil
}

// catchUp reads the store from the position to its head, in chunks.
func (f *Follower) catchUp(ctx context.Context) error {
	h, err := f.o.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading the store's head: %w", err)
	}
	for f.pos < h.Size {
		to := min(h.Size, f.pos+uint64(f.o.Chunk))
		es, err := f.read(ctx, f.pos, to, f.last)
		if err != nil {
			return fmt.Errorf("catching up %s from the store: %w", f.m.Name(), err)
		}
		if len(es) == 0 {
			return fmt.Errorf("catching up %s: the store's head is %d but no entry follows %d", f.m.Name(), h.Size, f.pos)
		}
		if err := f.apply(ctx, es); err != nil {
			return err
		}
		f.fromStore.Add(uint64(len(es)))
		if f.o.AfterChunk != nil {
			f.o.AfterChunk()
		}
		if f.o.Progress != nil {
			f.o.Progress(f.pos, h.Size)
		}
	}
	return nil
}

// CatchUp brings the model level with the store's head as it is now and returns: what
// start-up, tests, rebuilds and a report that must see the latest entries use.
func (f *Follower) CatchUp(ctx context.Context) (Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.sync(ctx)
	if err == nil {
		err = f.catchUp(ctx)
	}
	if err != nil {
		f.synced = false
	}
	return f.Stats(), err
}

// Offer hands the model entries the ledger has just committed (or learnt another
// writer committed), synchronously: entries that continue the position are applied
// before Offer returns, entries already applied are ignored, and a gap is filled from
// the store first. The write model (the registry the checker judges by) is kept current
// this way, inside the sequencer; read models use Wake instead, which never waits.
func (f *Follower) Offer(ctx context.Context, es []*ledger.Entry) error {
	if len(es) == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.synced {
		if err := f.sync(ctx); err != nil {
			return err
		}
	}
	if last := es[len(es)-1].Seq; last < f.pos {
		return nil
	}
	if es[0].Seq < f.pos {
		es = es[f.pos-es[0].Seq:]
	}
	if !f.extends(es) {
		f.synced = false
		if err := f.sync(ctx); err != nil {
			return err
		}
		return f.catchUp(ctx)
	}
	if err := f.apply(ctx, es); err != nil {
		f.synced = false
		return err
	}
	f.fromCommit.Add(uint64(len(es)))
	return nil
}

// onMessage applies a bus message if it starts at or before the position and extends
// the chain; it reports whether the store must be read (the message is ahead).
func (f *Follower) onMessage(ctx context.Context, m *message.Message) (behind bool, err error) {
	es, err := bus.Decode(m)
	if err != nil {
		f.ignored.Add(1)
		f.log.Warn("follower: undecodable bus message ignored", "err", err)
		return true, nil
	}
	return f.onEntries(ctx, es, &f.fromBus)
}

// onEntries applies entries that came from the bus or the commit hook when they
// continue the position, and counts them in from; it reports whether the store must be
// read (they are ahead, or do not extend the chain).
func (f *Follower) onEntries(ctx context.Context, es []*ledger.Entry, from *atomic.Uint64) (behind bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.synced {
		return true, nil
	}
	first, last := es[0].Seq, es[len(es)-1].Seq
	switch {
	case last < f.pos:
		f.ignored.Add(1) // already applied: a duplicate or a late message
		return false, nil
	case first > f.pos:
		return true, nil // a gap: lost or out-of-order messages, or another writer's
	}
	es = es[f.pos-first:]
	if !f.extends(es) {
		f.ignored.Add(1)
		f.log.Warn("follower: delivered entries do not extend the chain; reading the store", "seq", es[0].Seq)
		return true, nil
	}
	if err := f.apply(ctx, es); err != nil {
		f.synced = false
		return false, err
	}
	from.Add(uint64(len(es)))
	return false, nil
}

// step syncs if needed and catches up, under the lock.
func (f *Follower) step(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	if !f.synced {
		err = f.sync(ctx)
	}
	if err == nil {
		err = f.catchUp(ctx)
	}
	if err != nil {
		f.synced = false
	}
	return err
}

// watch forwards a store's append announcements to wake until ctx ends.
func (f *Follower) watch(ctx context.Context, w Watcher) {
	for ctx.Err() == nil {
		_ = w.Watch(ctx, f.announce)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// announceGrace is how long a follower fed by its process's commits gives the entries a
// store announced to arrive by Deliver before it reads them from the store: between one
// and two of these.
const announceGrace = 100 * time.Millisecond

// announce is the store's word that the log has reached size. A follower that is fed
// its process's commits (Deliver) does not read the store for it at once — the entries
// are nearly always on their way, and reading them back would parse and hash every one
// again, once per model — but only if they have not arrived within announceGrace; other
// followers catch up now.
func (f *Follower) announce(size uint64) {
	if !f.fed.Load() {
		f.Wake()
		return
	}
	for {
		cur := f.announced.Load()
		if size <= cur || f.announced.CompareAndSwap(cur, size) {
			return
		}
	}
}

// Run keeps the model live until ctx ends (then it returns nil): it catches up from the
// store, then applies bus messages as they come, and catches up again when a message is
// ahead of it, when woken (a commit in this process, or the store's announcement), and
// on a timer. Errors from the model or the store are retried with backoff; a broken
// chain is returned.
func (f *Follower) Run(ctx context.Context) error {
	var msgs <-chan *message.Message
	if f.o.Subscriber != nil {
		var err error
		if msgs, err = f.o.Subscriber.Subscribe(ctx, f.o.Topic); err != nil {
			return fmt.Errorf("subscribing %s to %s: %w", f.m.Name(), f.o.Topic, err)
		}
	}
	if w, ok := f.o.Store.(Watcher); ok && msgs == nil {
		go f.watch(ctx, w)
	}
	tick := time.NewTicker(f.o.PollEvery)
	defer tick.Stop()
	grace := time.NewTicker(announceGrace)
	defer grace.Stop()
	var seen uint64         // announced as of the last grace tick
	var delivered time.Time // when the last delivery was applied
	backoff := time.Duration(0)
	needCatchUp := true
	for {
		if ctx.Err() != nil {
			return nil
		}
		if needCatchUp {
			if err := f.step(ctx); err != nil {
				if errors.As(err, new(*ledger.ChainError)) {
					return err
				}
				if ctx.Err() != nil {
					return nil
				}
				backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
				f.log.Warn("follower: retrying", "err", err, "in", backoff)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(backoff):
				}
				continue
			}
			needCatchUp, backoff = false, 0
		}
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-msgs:
			if !ok {
				msgs = nil // the subscriber closed: poll only
				continue
			}
			behind, err := f.onMessage(ctx, m)
			if err != nil {
				m.Nack()
				needCatchUp = true
				continue
			}
			m.Ack()
			needCatchUp = behind
		case es := <-f.delivered:
			if wait := f.o.Gather - time.Since(delivered); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			}
			delivered = time.Now()
			needCatchUp = false
			for _, run := range f.drain(es) {
				behind, err := f.onEntries(ctx, run, &f.fromCommit)
				needCatchUp = needCatchUp || behind || err != nil
			}
		case <-f.wake:
			needCatchUp = true
		case <-tick.C:
			needCatchUp = true
		case <-grace.C:
			// An announcement a grace ago whose entries were not delivered since.
			needCatchUp = seen > f.position.Load()
			seen = f.announced.Load()
		}
	}
}
