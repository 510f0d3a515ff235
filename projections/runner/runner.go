package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aba-prefecture/dataledger/bus"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Consumer is a read model fed by a Runner.
type Consumer interface {
	// Name is stable: it keys the stored position.
	Name() string
	// Position returns how many entries the consumer has folded: the next seq it needs.
	Position(ctx context.Context) (uint64, error)
	// Apply folds consecutive entries starting at the stored position and stores the new
	// position, atomically. If the stored position is not entries[0].Seq it must change
	// nothing and return an error wrapping ErrPositionMoved.
	Apply(ctx context.Context, entries []*ledger.Entry) error
}

// ErrPositionMoved: another runner of the same consumer applied first.
var ErrPositionMoved = errors.New("consumer position moved")

// Watcher is the optional store power to announce appends (pgstore.Store.Watch).
type Watcher interface {
	Watch(ctx context.Context, fn func(size uint64)) error
}

// Options configure a Runner.
type Options struct {
	Store ledger.Store // required: the record, read for catch-up
	// Subscriber, if set, delivers bus messages on Topic (default bus.Topic).
	Subscriber message.Subscriber
	Topic      string
	// PollEvery is how often Run looks at the store's head regardless (default 2 s):
	// the bound on how late a lost last message makes a consumer.
	PollEvery time.Duration
	// Chunk is how many entries one Apply gets during catch-up (default 512).
	Chunk  int
	Logger *slog.Logger
}

// Stats says where the entries a runner applied came from.
type Stats struct {
	FromBus, FromStore uint64 // entries applied from bus messages / read from the store
	Ignored            uint64 // bus messages behind the position (duplicates) or not extending the chain
	Position           uint64
}

// Runner runs one consumer. Run and RunToEnd must not be called concurrently on one Runner.
type Runner struct {
	c    Consumer
	o    Options
	log  *slog.Logger
	pos  uint64
	last ledger.Hash // hash of entry pos-1; ZeroHash at 0

	fromBus, fromStore, ignored atomic.Uint64
	position                    atomic.Uint64
	wake                        chan struct{}
}

// New makes a runner for c.
func New(c Consumer, o Options) *Runner {
	if o.Topic == "" {
		o.Topic = bus.Topic
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 2 * time.Second
	}
	if o.Chunk <= 0 {
		o.Chunk = 512
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Runner{c: c, o: o, log: o.Logger.With("consumer", c.Name()), wake: make(chan struct{}, 1)}
}

// Wake tells a running Run that the store has grown, so that it catches up now rather
// than at its next poll: an in-process ledger's OnCommit calls it. It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Stats returns the counters so far (safe to call while Run runs).
func (r *Runner) Stats() Stats {
	return Stats{FromBus: r.fromBus.Load(), FromStore: r.fromStore.Load(), Ignored: r.ignored.Load(), Position: r.position.Load()}
}

// sync re-reads the consumer's position and the hash of the entry before it.
func (r *Runner) sync(ctx context.Context) error {
	pos, err := r.c.Position(ctx)
	if err != nil {
		return fmt.Errorf("reading %s's position: %w", r.c.Name(), err)
	}
	last := ledger.ZeroHash
	if pos > 0 {
		found := false
		err := r.o.Store.Entries(ctx, pos-1, pos, func(e ledger.RawEntry) error { last, found = e.Hash, true; return nil })
		if err != nil {
			return fmt.Errorf("reading entry %d: %w", pos-1, err)
		}
		if !found {
			return fmt.Errorf("%s is at position %d but the store holds fewer entries", r.c.Name(), pos)
		}
	}
	r.pos, r.last = pos, last
	r.position.Store(pos)
	return nil
}

// apply hands consecutive entries starting at r.pos to the consumer.
func (r *Runner) apply(ctx context.Context, es []*ledger.Entry) error {
	if err := r.c.Apply(ctx, es); err != nil {
		if errors.Is(err, ErrPositionMoved) {
			return r.sync(ctx)
		}
		return fmt.Errorf("%s applying %d..%d: %w", r.c.Name(), es[0].Seq, es[len(es)-1].Seq, err)
	}
	r.pos, r.last = es[len(es)-1].Seq+1, es[len(es)-1].Hash
	r.position.Store(r.pos)
	return nil
}

// catchUp reads the store from the position to its head, in chunks.
func (r *Runner) catchUp(ctx context.Context) error {
	h, err := r.o.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading the store's head: %w", err)
	}
	for r.pos < h.Size {
		to := min(h.Size, r.pos+uint64(r.o.Chunk))
		es := make([]*ledger.Entry, 0, to-r.pos)
		prev := r.last
		err := r.o.Store.Entries(ctx, r.pos, to, func(raw ledger.RawEntry) error {
			e, err := ledger.ParseEntry(append([]byte(nil), raw.Bytes...))
			if err != nil {
				return &ledger.ChainError{Seq: raw.Seq, Reason: "malformed_entry", Detail: err.Error()}
			}
			if want := r.pos + uint64(len(es)); e.Seq != want || raw.Seq != want || e.PrevHash != prev || e.Hash != raw.Hash {
				return &ledger.ChainError{Seq: raw.Seq, Reason: "bad_prev_hash", Detail: "the store's entry does not extend the chain the consumer holds"}
			}
			prev = e.Hash
			es = append(es, e)
			return nil
		})
		if err != nil {
			return fmt.Errorf("catching up %s from the store: %w", r.c.Name(), err)
		}
		if len(es) == 0 {
			return fmt.Errorf("catching up %s: the store's head is %d but no entry follows %d", r.c.Name(), h.Size, r.pos)
		}
		if err := r.apply(ctx, es); err != nil {
			return err
		}
		r.fromStore.Add(uint64(len(es)))
	}
	return nil
}

// RunToEnd catches the consumer up to the store's head as it is now and returns.
func (r *Runner) RunToEnd(ctx context.Context) (Stats, error) {
	if err := r.sync(ctx); err != nil {
		return r.Stats(), err
	}
	err := r.catchUp(ctx)
	return r.Stats(), err
}

// onMessage applies a bus message if it starts at or before the position and extends
// the chain; reports whether the store must be read (the message is ahead).
func (r *Runner) onMessage(ctx context.Context, m *message.Message) (behind bool, err error) {
	es, err := bus.Decode(m)
	if err != nil {
		r.ignored.Add(1)
		r.log.Warn("runner: undecodable bus message ignored", "err", err)
		return true, nil
	}
	first, last := es[0].Seq, es[len(es)-1].Seq
	switch {
	case last < r.pos:
		r.ignored.Add(1) // already applied: a duplicate or a late message
		return false, nil
	case first > r.pos:
		return true, nil // a gap: lost or out-of-order messages, or another writer's
	}
	es = es[r.pos-first:]
	if es[0].PrevHash != r.last {
		r.ignored.Add(1)
		r.log.Warn("runner: bus message does not extend the chain; reading the store", "seq", es[0].Seq)
		return true, nil
	}
	if err := r.apply(ctx, es); err != nil {
		return false, err
	}
	r.fromBus.Add(uint64(len(es)))
	return false, nil
}

// Run keeps the consumer live until ctx ends (then it returns nil). Errors from the
// consumer or the store are retried with backoff; a broken chain is returned.
func (r *Runner) Run(ctx context.Context) error {
	var msgs <-chan *message.Message
	if r.o.Subscriber != nil {
		var err error
		if msgs, err = r.o.Subscriber.Subscribe(ctx, r.o.Topic); err != nil {
			return fmt.Errorf("subscribing %s to %s: %w", r.c.Name(), r.o.Topic, err)
		}
	}
	wake := r.wake
	// Without a bus, the store's own announcements (if it has them) wake the runner.
	if w, ok := r.o.Store.(Watcher); ok && msgs == nil {
		go func() {
			for ctx.Err() == nil {
				_ = w.Watch(ctx, func(uint64) {
					select {
					case wake <- struct{}{}:
					default:
					}
				})
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	tick := time.NewTicker(r.o.PollEvery)
	defer tick.Stop()
	backoff := time.Duration(0)
	needSync, needCatchUp := true, true
	for {
		if ctx.Err() != nil {
			return nil
		}
		var err error
		if needSync {
			err = r.sync(ctx)
			needSync = err != nil
		}
		if err == nil && needCatchUp {
			err = r.catchUp(ctx)
			needCatchUp = err != nil
		}
		if err != nil {
			var ce *ledger.ChainError
			if errors.As(err, &ce) {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
			r.log.Warn("runner: retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			needSync = true
			continue
		}
		backoff = 0
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-msgs:
			if !ok {
				msgs = nil // the subscriber closed: poll only
				continue
			}
			behind, err := r.onMessage(ctx, m)
			if err != nil {
				m.Nack()
				needSync, needCatchUp = true, true
				continue
			}
			m.Ack()
			needCatchUp = behind
		case <-wake:
			needCatchUp = true
		case <-tick.C:
			needCatchUp = true
		}
	}
}
