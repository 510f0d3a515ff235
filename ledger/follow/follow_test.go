package follow_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/bus"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// faulty loses, duplicates and reorders messages on their way to the real pub/sub.
type faulty struct {
	message.Publisher
	mu   sync.Mutex
	n    int
	held []*message.Message
}

func (f *faulty) Publish(topic string, ms ...*message.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range ms {
		f.n++
		var out []*message.Message
		switch {
		case f.n%4 == 0: // lost
		case f.n%5 == 0: // held back, sent after the next one
			f.held = append(f.held, m)
			continue
		case f.n%3 == 0: // duplicated
			out = []*message.Message{m, m.Copy()}
		default:
			out = []*message.Message{m}
		}
		out = append(out, f.held...)
		f.held = nil
		for _, o := range out {
			if err := f.Publisher.Publish(topic, o.Copy()); err != nil {
				return err
			}
		}
	}
	return nil
}

func bolted(t *testing.T) ledger.Store { return bolttest.Store(t) }

// key is what the test model counts entries by.
type key struct{ Type, Institution string }

// tally is the test's read model: entries counted by type and institution, with the
// position kept beside them in memory (so, atomically).
type tally struct {
	name string
	mu   sync.Mutex
	pos  uint64
	n    map[key]uint64
	// moved, when set, makes the next Apply find the position moved (another process).
	moved bool
}

func newTally(name string) *tally { return &tally{name: name, n: map[key]uint64{}} }

func (c *tally) Name() string { return c.name }

func (c *tally) Position(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pos, nil
}

func (c *tally) Apply(_ context.Context, es []*ledger.Entry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.moved || es[0].Seq != c.pos {
		c.moved = false
		return fmt.Errorf("tally at %d, offered %d: %w", c.pos, es[0].Seq, follow.ErrPositionMoved)
	}
	for _, e := range es {
		c.n[key{e.Submission.Type, e.Submission.Actor.Institution}]++
	}
	c.pos += uint64(len(es))
	return nil
}

func (c *tally) snapshot() (uint64, map[key]uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pos, maps.Clone(c.n)
}

// waitFor polls until the runner's position reaches size.
func waitFor(t *testing.T, r *follow.Follower, size uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for r.Stats().Position < size {
		if time.Now().After(deadline) {
			t.Fatalf("consumer stuck at %d of %d: %+v", r.Stats().Position, size, r.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLossyBus: a live consumer fed through a bus that loses, duplicates and reorders
// messages ends with exactly the counts of a rebuild from zero, and of the events sent.
func TestLossyBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 64}, watermill.NopLogger{})
	defer g.Close()
	pub := bus.NewPublisher(&faulty{Publisher: g}, bus.PublisherOptions{Topic: "t"})
	defer pub.Close(context.Background())

	st := bolted(t)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{OnCommit: pub.OnCommit})

	live := newTally("live")
	r := follow.New(live, follow.Options{Store: st, Subscriber: g, Topic: "t", PollEvery: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // subscribed (GoChannel drops messages published before)

	want := map[key]uint64{{Type: ledger.TypeKeyRegistered, Institution: ledgertest.Authority}: 3, {Type: ledger.TypeInitialized, Institution: ledgertest.Authority}: 1}
	for i := range 3 {
		f.Register(t, l, fmt.Sprintf("county-%02d", i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst := fmt.Sprintf("county-%02d", w)
			for i := range 100 {
				if _, err := l.Append(ctx, f.Event(t, inst, fmt.Sprintf("resource/r%d", i%7), i)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[key{Type: "data.collected.v1", Institution: inst}]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	size := l.Size()
	waitFor(t, r, size)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	rebuilt := newTally("rebuilt")
	if _, err := follow.New(rebuilt, follow.Options{Store: st}).CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	ap, a := live.snapshot()
	bp, b := rebuilt.snapshot()
	if ap != size || bp != size || !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, want) {
		t.Fatalf("live %d %v\nrebuilt %d %v\nwant %v", ap, a, bp, b, want)
	}
	s := r.Stats()
	if s.FromBus == 0 || s.FromStore == 0 || s.Ignored == 0 {
		t.Errorf("expected entries from both paths and ignored duplicates: %+v", s)
	}
	t.Logf("live consumer: %+v; publisher: %+v", s, pub.Stats())
}

// TestOffer: commits handed over synchronously are applied before Offer returns; a
// repeated batch changes nothing; a batch after a gap (a commit hook that missed one)
// is preceded by what the store holds; a batch that does not extend the chain is never
// applied as given.
func TestOffer(t *testing.T) {
	ctx := context.Background()
	st := bolted(t)
	f := ledgertest.New(t)
	f.Init(t, st)
	var batches [][]*ledger.Entry
	l := f.Open(t, st, ledger.Options{OnCommit: func(es []*ledger.Entry) { batches = append(batches, es) }})
	f.Register(t, l, "county-00")
	for i := range 5 {
		if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", i)); err != nil {
			t.Fatal(err)
		}
	}
	m := newTally("offered")
	fl := follow.New(m, follow.Options{Store: st})
	if _, err := fl.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	start := l.Size()
	batches = nil
	for i := range 6 {
		if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", 10+i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(batches) != 6 {
		t.Fatalf("%d batches", len(batches))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fl.Offer(ctx, batches[0]))
	must(fl.Offer(ctx, batches[0])) // again: ignored
	if p, _ := m.snapshot(); p != start+1 {
		t.Fatalf("after one batch offered twice: position %d, want %d", p, start+1)
	}
	// batches[1] is never offered: the next offer finds a gap and reads the store.
	must(fl.Offer(ctx, batches[2]))
	if p, _ := m.snapshot(); p != l.Size() {
		t.Fatalf("after a gap: position %d, want the head %d", p, l.Size())
	}
	// A forged batch at the position (right seq, wrong prev_hash) is not applied; the
	// store's entries are.
	forged := *batches[5][0]
	forged.Seq = l.Size()
	if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", 99)); err != nil {
		t.Fatal(err)
	}
	forged.Submission.Type = "forged.type.v1"
	must(fl.Offer(ctx, []*ledger.Entry{&forged}))
	p, n := m.snapshot()
	if p != l.Size() || n[key{"forged.type.v1", "county-00"}] != 0 {
		t.Fatalf("forged batch: position %d (head %d), counts %v", p, l.Size(), n)
	}
	if s := fl.Stats(); s.FromCommit != 1 || s.FromStore == 0 {
		t.Errorf("stats %+v: want one entry from the commit hook, the rest from the store", s)
	}
}

// TestPositionMoved: when another process moved the model's position, the follower
// re-reads it and goes on from there instead of applying twice.
func TestPositionMoved(t *testing.T) {
	ctx := context.Background()
	st := bolted(t)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "county-00")
	m := newTally("moved")
	fl := follow.New(m, follow.Options{Store: st, Chunk: 2})
	m.moved = true
	if _, err := fl.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.snapshot(); p != l.Size() {
		t.Fatalf("position %d, want %d", p, l.Size())
	}
}

// TestCatchUpRefusesABrokenChain: a store whose entry does not link to the one before
// stops the follower with a ChainError naming the position, and nothing past it is
// applied.
func TestCatchUpRefusesABrokenChain(t *testing.T) {
	ctx := context.Background()
	st := bolted(t)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "county-00")
	for i := range 4 {
		if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", i)); err != nil {
			t.Fatal(err)
		}
	}
	m := newTally("broken")
	fl := follow.New(m, follow.Options{Store: swapped{st, 2}})
	_, err := fl.CatchUp(ctx)
	var ce *ledger.ChainError
	if !errors.As(err, &ce) || ce.Seq != 2 {
		t.Fatalf("got %v, want a chain error at 2", err)
	}
	if p, _ := m.snapshot(); p != 0 {
		t.Fatalf("applied up to %d past a broken chain", p)
	}
}

// swapped serves the store's entries with entry at and the one after it exchanged.
type swapped struct {
	ledger.Store
	at uint64
}

func (s swapped) Entries(ctx context.Context, from, to uint64, fn func(ledger.RawEntry) error) error {
	var rs []ledger.RawEntry
	if err := s.Store.Entries(ctx, from, to, func(r ledger.RawEntry) error {
		r.Bytes = append([]byte(nil), r.Bytes...)
		rs = append(rs, r)
		return nil
	}); err != nil {
		return err
	}
	for i := range rs {
		if rs[i].Seq == s.at && i+1 < len(rs) {
			rs[i].Bytes, rs[i+1].Bytes = rs[i+1].Bytes, rs[i].Bytes
			rs[i].Hash, rs[i+1].Hash = rs[i+1].Hash, rs[i].Hash
		}
	}
	for _, r := range rs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// applyCounter is a tally that also counts its Apply calls.
type applyCounter struct {
	*tally
	calls int
}

func (c *applyCounter) Apply(ctx context.Context, es []*ledger.Entry) error {
	c.calls++
	return c.tally.Apply(ctx, es)
}

// TestDeliveriesQueuedAreJoined: commits delivered while the model was busy are applied
// as one run (one Apply, so one transaction for a stored model), in order, and the
// delivered slices are left as they were (other followers read them too).
func TestDeliveriesQueuedAreJoined(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCommitting(t)
	f, l := c.f, c.l
	m := &applyCounter{tally: newTally("joined")}
	fl := c.deliveredOnly(t, m, follow.Options{})
	c.batches = nil
	for i := range 8 {
		if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", i)); err != nil {
			t.Fatal(err)
		}
	}
	lens := make([]int, len(c.batches))
	for i, b := range c.batches {
		lens[i] = len(b)
		fl.Deliver(b) // queued: Run is not running yet
	}
	calls := m.calls
	done := make(chan error, 1)
	go func() { done <- fl.Run(ctx) }()
	waitFor(t, fl, l.Size())
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := m.calls - calls; got != 1 || len(c.batches) < 2 || fl.Stats().FromCommit != 8 {
		t.Errorf("%d Apply calls for %d queued batches (%+v), want one", got, len(c.batches), fl.Stats())
	}
	if p, n := m.snapshot(); p != l.Size() || n[key{"data.collected.v1", "county-00"}] != 8 {
		t.Errorf("position %d (head %d), counts %v", p, l.Size(), n)
	}
	for i, b := range c.batches {
		if len(b) != lens[i] || cap(b) < len(b) {
			t.Errorf("delivered batch %d changed", i)
		}
	}
}

// TestDeliveriesGather: with Gather, a model that has just applied lets the commits
// delivered in the next Gather collect and applies them with one Apply; an idle model
// applies a delivery at once. Without Gather each of the five would be its own Apply.
func TestDeliveriesGather(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCommitting(t)
	f, l := c.f, c.l
	m := &applyCounter{tally: newTally("gathered")}
	fl := c.deliveredOnly(t, m, follow.Options{Gather: time.Second})
	calls := m.calls
	done := make(chan error, 1)
	go func() { done <- fl.Run(ctx) }()
	deliver := func(i int) {
		c.batches = nil
		if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", i)); err != nil {
			t.Fatal(err)
		}
		for _, b := range c.batches {
			fl.Deliver(b)
		}
	}
	deliver(0)
	waitFor(t, fl, l.Size()) // idle: applied without waiting for more
	for i := 1; i <= 5; i++ {
		deliver(i)
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, fl, l.Size())
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := m.calls - calls; got != 2 || fl.Stats().FromCommit != 6 {
		t.Errorf("%d Apply calls for one delivery then five within Gather (%+v), want 2", got, fl.Stats())
	}
	if p, n := m.snapshot(); p != l.Size() || n[key{"data.collected.v1", "county-00"}] != 6 {
		t.Errorf("position %d (head %d), counts %v", p, l.Size(), n)
	}
}

// stale is a store whose head stays where it was.
type stale struct {
	ledger.Store
	h ledger.Head
}

func (s stale) Head(context.Context) (ledger.Head, error) { return s.h, nil }

// announcing is a store that announces sizes when the test says (follow.Watcher).
type announcing struct {
	ledger.Store
	sizes chan uint64
}

func (a announcing) Watch(ctx context.Context, fn func(uint64)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case n := <-a.sizes:
			fn(n)
		}
	}
}

// TestAnnouncedEntriesAreDelivered: a follower fed its process's commits does not read
// back from the store what the store announces and the commit hook delivers a moment
// later (each model would parse and hash it again); what is announced and never
// delivered it reads from the store within a grace.
func TestAnnouncedEntriesAreDelivered(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCommitting(t)
	st, f, l := c.st, c.f, c.l
	a := announcing{st, make(chan uint64)}
	fl := follow.New(newTally("announced"), follow.Options{Store: a, PollEvery: time.Hour})
	done := make(chan error, 1)
	go func() { done <- fl.Run(ctx) }()
	waitFor(t, fl, l.Size())
	for _, b := range c.batches { // what the registration committed: the hook feeds this follower
		fl.Deliver(b)
	}
	fromStore := fl.Stats().FromStore
	for i := range 6 {
		c.batches = nil
		if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", i)); err != nil {
			t.Fatal(err)
		}
		a.sizes <- l.Size() // the store's announcement comes first,
		time.Sleep(20 * time.Millisecond)
		for _, b := range c.batches { // the commit hook's delivery a moment later
			fl.Deliver(b)
		}
		waitFor(t, fl, l.Size())
	}
	if s := fl.Stats(); s.FromStore != fromStore || s.FromCommit != 6 {
		t.Fatalf("announced and delivered entries: %d read back from the store, %d delivered (%+v)", s.FromStore-fromStore, s.FromCommit, s)
	}
	// Another writer's entry: announced, never delivered here.
	c.batches = nil
	if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", 9)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	a.sizes <- l.Size()
	waitFor(t, fl, l.Size())
	if s := fl.Stats(); s.FromStore != fromStore+1 || time.Since(start) > 2*time.Second {
		t.Fatalf("an entry announced and not delivered: %+v after %v", s, time.Since(start))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// committing is a ledger on a bbolt store with a registered county-00 whose commit hook
// keeps each committed batch, for tests that hand them to a follower themselves.
type committing struct {
	st      ledger.Store
	f       *ledgertest.Fixture
	l       *ledger.Ledger
	batches [][]*ledger.Entry
}

func newCommitting(t *testing.T) *committing {
	c := &committing{st: bolted(t), f: ledgertest.New(t)}
	c.f.Init(t, c.st)
	c.l = c.f.Open(t, c.st, ledger.Options{OnCommit: func(es []*ledger.Entry) { c.batches = append(c.batches, es) }})
	c.f.Register(t, c.l, "county-00")
	return c
}

// deliveredOnly is a follower of m, caught up with the log as it is now, that sees the
// store stay at this head and never polls it: whatever reaches m afterwards came by
// Deliver. o's Store and PollEvery are set here.
func (c *committing) deliveredOnly(t *testing.T, m follow.Model, o follow.Options) *follow.Follower {
	t.Helper()
	h, err := c.st.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	o.Store, o.PollEvery = stale{c.st, h}, time.Hour
	fl := follow.New(m, o)
	if _, err := fl.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return fl
}
