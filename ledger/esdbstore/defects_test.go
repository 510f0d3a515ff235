package esdbstore

// Tests of issue 15's EventStoreDB defects, each against the fault-injection harness.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/esdbstore/internal/harness"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"google.golang.org/grpc/codes"
)

// openStore opens a Store on url under prefix; it is closed when the test ends.
func openStore(t *testing.T, url, prefix string, o Options) *Store {
	t.Helper()
	o.Prefix = prefix
	st, err := Open(context.Background(), url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSameSubmissionSealedTwice: two front-ends seal the same submission at the same
// seq (their bytes differ: recorded_at), and the second one's append reaches the
// server after the first one's committed. The server compares event ids only, so
// if the event id were the submission id the second would be told "success" for
// bytes the log does not hold, and its next entry would chain from a hash nobody
// stored. The receipt must name the stored entry, and both must go on writing one
// verifiable chain.
func TestSameSubmissionSealedTwice(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	prefix := freshPrefix()
	ctx := context.Background()
	f := ledgertest.New(t)
	stA := openStore(t, c.URL(0), prefix, Options{})
	f.Init(t, stA)
	a := f.Open(t, stA, ledger.Options{})
	f.Register(t, a, "county-00")
	b := f.Open(t, openStore(t, c.URL(0), prefix, Options{}), ledger.Options{})

	s := f.Event(t, "county-00", "resource/r", 1)
	var armed atomic.Bool
	armed.Store(true)
	var rA ledger.Receipt
	var errA error
	c.Inject(func(call harness.Call) harness.Fault {
		if call.Method == harness.Append && call.Stream == prefix+"-entries" && armed.CompareAndSwap(true, false) {
			// B's append is on its way; A seals and stores the same submission first.
			return harness.Fault{Hook: func() { rA, errA = a.Append(ctx, s) }}
		}
		return harness.Fault{}
	})
	rB, err := b.Append(ctx, s)
	if err != nil || errA != nil {
		t.Fatalf("B: %+v, %v; A: %+v, %v", rB, err, rA, errA)
	}
	if rB.Seq != rA.Seq || rB.Hash != rA.Hash {
		t.Fatalf("B's receipt (seq %d, hash %s) is not the stored entry (seq %d, hash %s)", rB.Seq, rB.Hash, rA.Seq, rA.Hash)
	}
	var stored ledger.Hash
	if err := stA.Entries(ctx, rA.Seq, rA.Seq+1, func(r ledger.RawEntry) error { stored = ledger.SumEntry(r.Bytes); return nil }); err != nil {
		t.Fatal(err)
	}
	if stored != rA.Hash {
		t.Fatalf("the stored entry hashes to %s, A's receipt says %s", stored, rA.Hash)
	}
	if _, err := b.Append(ctx, f.Event(t, "county-00", "resource/r", 2)); err != nil {
		t.Fatalf("B's next append: %v", err)
	}
	if _, err := a.Append(ctx, f.Event(t, "county-00", "resource/r", 3)); err != nil {
		t.Fatalf("A's next append: %v", err)
	}
	ledgertest.MustVerify(t, stA)
}

// fast are the options of stores that meet faults in these tests: short per-call
// deadlines and retry budgets, so that a hang shows as a failure within seconds.
var fast = Options{CallTimeout: 500 * time.Millisecond, RetryFor: 300 * time.Millisecond}

// within fails the test if fn has not returned after d: a hang is a failure, not a
// test binary that never ends.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// TestRecoversAfterOutage: the only node goes away for longer than the client's
// discovery attempts last, then comes back. The client library gives up for good
// when discovery fails (every later call: ConnectionClosed); the store must rebuild it
// and work again once the server is back.
func TestRecoversAfterOutage(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	url := c.URL(0) + "&maxDiscoverAttempts=3&discoveryInterval=50"
	st := openStore(t, url, freshPrefix(), fast)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "county-00")
	ctx := context.Background()

	c.Node(0).Stop()
	stop := time.Now().Add(time.Second)
	for time.Now().Before(stop) {
		within(t, 5*time.Second, "Head during the outage", func() { st.Head(ctx) })
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.Node(0).Start(); err != nil {
		t.Fatal(err)
	}
	var err error
	within(t, 10*time.Second, "Head after the outage", func() {
		for range 40 {
			if _, err = st.Head(ctx); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err != nil {
		t.Fatalf("the store never recovered after the server came back: %v", err)
	}
	within(t, 10*time.Second, "Append after the outage", func() {
		_, err = l.Append(ctx, f.Event(t, "county-00", "resource/r", 1))
	})
	if err != nil {
		t.Fatalf("append after the outage: %v", err)
	}
	ledgertest.MustVerify(t, st)
}

// TestNoHangWhileDiscoveryFails: many calls of every kind during an outage. The client
// library makes callers wait on an unbuffered channel for a connection while it runs
// discovery, and leaves them there for ever when discovery fails; a store that then
// holds its refresh lock hangs the sequencer. Every call must return.
func TestNoHangWhileDiscoveryFails(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	url := c.URL(0) + "&maxDiscoverAttempts=3&discoveryInterval=50"
	st := openStore(t, url, freshPrefix(), fast)
	f := ledgertest.New(t)
	f.Init(t, st)
	ctx := context.Background()
	c.Node(0).Stop()
	var wg sync.WaitGroup
	deadline := time.Now().Add(2 * time.Second)
	calls := []func(){
		func() { st.Head(ctx) },
		func() { st.Entries(ctx, 0, 1, func(ledger.RawEntry) error { return nil }) },
		func() { st.LatestCheckpoint(ctx) },
		func() { st.Lookup(ctx, []string{"x"}) },
		func() { st.Nodes(ctx, []ledger.NodeID{{Level: 0, Index: 0}}) },
	}
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				calls[g%len(calls)]()
			}
		}()
	}
	within(t, 15*time.Second, "calls during the outage", wg.Wait)
	if err := c.Node(0).Start(); err != nil {
		t.Fatal(err)
	}
	within(t, 10*time.Second, "Head after the outage", func() {
		var err error
		for range 40 {
			if _, err = st.Head(ctx); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("Head after the outage: %v", err)
	})
}

// TestReadsHaveDeadlines: a read the server never answers (a stalled stream) must not
// hold the caller for ever; it is abandoned at the call deadline and tried again.
func TestReadsHaveDeadlines(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	prefix := freshPrefix()
	st := openStore(t, c.URL(0), prefix, fast)
	f := ledgertest.New(t)
	f.Init(t, st)
	var stalled atomic.Int32
	c.Inject(func(call harness.Call) harness.Fault {
		if call.Method == harness.Read && call.Stream == prefix+"-entries" && stalled.Add(1) == 1 {
			return harness.Fault{Stall: true}
		}
		return harness.Fault{}
	})
	var err error
	var h ledger.Head
	within(t, 5*time.Second, "Head over a stalled read", func() { h, err = st.Head(context.Background()) })
	if err != nil || h.Size != 1 {
		t.Fatalf("Head = %+v, %v", h, err)
	}
	if stalled.Load() < 2 {
		t.Fatal("the stalled read was not tried again")
	}
}

// TestAppendOutlastsElection: the leader goes down in the middle of an append and a new
// one is elected 2.5 s later. The store must keep trying for longer than an election
// takes (here 8 s), find the new leader, and write the batch once.
func TestAppendOutlastsElection(t *testing.T) {
	c := newCluster(t, 3, harness.Options{})
	prefix := freshPrefix()
	o := Options{CallTimeout: time.Second, RetryFor: 8 * time.Second}
	st := openStore(t, c.GossipURL(), prefix, o)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "county-00")
	ctx := context.Background()
	var once atomic.Bool
	c.Inject(func(call harness.Call) harness.Fault {
		if call.Method == harness.Append && call.Stream == prefix+"-entries" && once.CompareAndSwap(false, true) {
			c.SetLeader(-1)
			go c.Node(0).Stop()
			time.AfterFunc(2500*time.Millisecond, func() { c.SetLeader(1) })
			return harness.Fault{Fail: codes.Unavailable}
		}
		return harness.Fault{}
	})
	n := len(c.Stream(prefix + "-entries"))
	var r ledger.Receipt
	var err error
	within(t, 15*time.Second, "Append across the election", func() { r, err = l.Append(ctx, f.Event(t, "county-00", "resource/r", 1)) })
	if err != nil {
		t.Fatalf("append across a 2.5 s election: %v", err)
	}
	if got := len(c.Stream(prefix + "-entries")); got != n+1 || r.Seq != uint64(n) {
		t.Fatalf("%d events after one append to %d (receipt %+v)", got, n, r)
	}
	ledgertest.MustVerify(t, st)
}

// TestAppendUnknownOutcome: the append reaches the server and its answer is lost: an
// Unknown status after the commit, or the connection cut before or after it. The
// store cannot know whether the batch is stored; it must find out (read it back and
// compare) and answer accordingly, never fail a batch the log holds, never write one
// twice.
func TestAppendUnknownOutcome(t *testing.T) {
	cases := []struct {
		name  string
		fault harness.Fault
	}{
		{"unknown after commit", harness.Fault{After: true, Fail: codes.Unknown}},
		{"internal after commit", harness.Fault{After: true, Fail: codes.Internal}},
		{"dropped after commit", harness.Fault{After: true, Drop: true}},
		{"dropped before commit", harness.Fault{Drop: true}},
		{"unknown before commit", harness.Fault{Fail: codes.Unknown}},
	}
	c := newCluster(t, 1, harness.Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prefix := freshPrefix()
			st := openStore(t, c.URL(0), prefix, Options{CallTimeout: time.Second, RetryFor: 3 * time.Second})
			f := ledgertest.New(t)
			f.Init(t, st)
			l := f.Open(t, st, ledger.Options{})
			f.Register(t, l, "county-00")
			ctx := context.Background()
			var once atomic.Bool
			c.Inject(func(call harness.Call) harness.Fault {
				if call.Method == harness.Append && call.Stream == prefix+"-entries" && once.CompareAndSwap(false, true) {
					return tc.fault
				}
				return harness.Fault{}
			})
			defer c.Inject(nil)
			n := len(c.Stream(prefix + "-entries"))
			var r ledger.Receipt
			var err error
			within(t, 10*time.Second, "Append", func() { r, err = l.Append(ctx, f.Event(t, "county-00", "resource/r", 1)) })
			if err != nil {
				t.Fatalf("append whose answer was lost: %v", err)
			}
			if got := len(c.Stream(prefix + "-entries")); got != n+1 || r.Seq != uint64(n) || r.Duplicate {
				t.Fatalf("%d events after one append to %d (receipt %+v)", got, n, r)
			}
			if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", 2)); err != nil {
				t.Fatalf("next append: %v", err)
			}
			ledgertest.MustVerify(t, st)
		})
	}
}

// TestReadsGoToTheLeader: a store connected to a follower that lags behind the leader
// must still see every acknowledged entry. Reads ask for the leader (the
// requires-leader header); the follower answers NotLeader and the client moves to the
// leader.
func TestReadsGoToTheLeader(t *testing.T) {
	c := newCluster(t, 2, harness.Options{})
	prefix := freshPrefix()
	ctx := context.Background()
	w := openStore(t, c.URL(0), prefix, Options{})
	f := ledgertest.New(t)
	f.Init(t, w)
	l := f.Open(t, w, ledger.Options{})
	f.Register(t, l, "county-00")
	c.Node(1).Lag(true)
	var last ledger.Receipt
	for i := range 3 {
		r, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", i))
		if err != nil {
			t.Fatal(err)
		}
		last = r
	}
	want, err := w.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := openStore(t, c.URL(1), prefix, Options{})
	if h, err := r.Head(ctx); err != nil || h != want {
		t.Fatalf("head through the follower = %+v, %v; the leader has %+v", h, err, want)
	}
	n := 0
	if err := r.Entries(ctx, last.Seq, last.Seq+1, func(e ledger.RawEntry) error {
		if e.Hash != last.Hash {
			t.Errorf("entry %d: hash %s, acknowledged %s", e.Seq, e.Hash, last.Hash)
		}
		n++
		return nil
	}); err != nil || n != 1 {
		t.Fatalf("reading the last acknowledged entry through the follower: %d entries, %v", n, err)
	}
	if ids, err := r.Lookup(ctx, []string{}); err != nil || len(ids) != 0 {
		t.Fatalf("Lookup: %v %v", ids, err)
	}
	lr := f.Open(t, r, ledger.Options{})
	if _, err := lr.Append(ctx, f.Event(t, "county-00", "resource/r", 9)); err != nil {
		t.Fatalf("append through the follower: %v", err)
	}
	ledgertest.MustVerify(t, w)
}

// sealBig seals, on an embedded store, a log of genesis, one key registration and n
// entries of about kib KiB each, and returns it as one batch from seq 0: what a
// sequencer would hand the store if all of it were submitted at once.
func sealBig(t *testing.T, f *ledgertest.Fixture, n, kib int) (*ledger.Batch, []*ledger.Batch) {
	t.Helper()
	bs, err := boltstore.Open(filepath.Join(t.TempDir(), "seal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	rec := &recorder{Store: bs}
	f.Init(t, rec)
	l := f.Open(t, rec, ledger.Options{})
	k := f.Register(t, l, "county-00")
	pad := strings.Repeat("x", kib<<10)
	for i := range n {
		sub := ledgertest.Submission("county-00", k.Public().ID(), "resource/big", "data.collected.v1", map[string]any{"n": i, "pad": pad})
		if _, err := l.Append(context.Background(), ledgertest.Sign(t, k, sub)); err != nil {
			t.Fatal(err)
		}
	}
	all := &ledger.Batch{}
	for _, b := range rec.batches {
		all.Entries = append(all.Entries, b.Entries...)
		all.Nodes = append(all.Nodes, b.Nodes...)
	}
	return all, rec.batches
}

// TestBatchIsOneAppend: a batch is atomic (the Store contract). One that would need
// more than one append (here 40 entries of 30 KiB, 1.2 MiB) used to be split: a
// failure after the first part left a prefix in the log whose submitters were told
// the batch failed. A batch is now exactly one append, and one that does not fit is
// refused whole, before anything is sent.
func TestBatchIsOneAppend(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	prefix := freshPrefix()
	ctx := context.Background()
	f := ledgertest.New(t)
	big, batches := sealBig(t, f, 40, 30)
	st := openStore(t, c.URL(0), prefix, Options{RetryFor: time.Second})
	entries := prefix + "-entries"
	c.Inject(func(call harness.Call) harness.Fault {
		if call.Method == harness.Append && call.Stream == entries && call.N == 2 {
			return harness.Fault{Fail: codes.PermissionDenied} // a definite refusal of the second part
		}
		return harness.Fault{}
	})
	err := st.Append(ctx, big)
	if err == nil {
		t.Fatal("a batch larger than one append was acknowledged")
	}
	if h, herr := st.Head(ctx); herr != nil || h.Size != 0 || len(c.Stream(entries)) != 0 {
		t.Fatalf("a failed batch left %d entries behind (head %+v, %v): %v", len(c.Stream(entries)), h, herr, err)
	}
	if !errors.Is(err, ErrBatchTooLarge) || c.Calls(harness.Append, entries) != 0 {
		t.Fatalf("refusal %v after %d appends, want ErrBatchTooLarge before any", err, c.Calls(harness.Append, entries))
	}
	c.Inject(nil)

	// A store that may send bigger appends sends the whole batch as one.
	st2 := openStore(t, c.URL(0), prefix, Options{MaxAppendBytes: 2 << 20})
	if err := st2.Append(ctx, big); err == nil {
		t.Fatal("the server's maximum append size was not enforced")
	} else if calls := c.Calls(harness.Append, entries); calls != 1 {
		t.Fatalf("a batch went out in %d appends", calls)
	}
	if h, _ := st2.Head(ctx); h.Size != 0 {
		t.Fatalf("a refused append wrote %d entries", h.Size)
	}

	// The batches a sequencer formed, one append each, are the log.
	for _, b := range batches {
		if err := st.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Calls(harness.Append, entries); got != 1+len(batches) {
		t.Fatalf("%d batches took %d appends", len(batches), got-1)
	}
	ledgertest.MustVerify(t, st)
}

// TestOtherWritersAreFollowed: two ledgerd on one cluster. A key registered through
// one is usable through the other at once (the second folds in the first's commits
// before refusing an unknown key), and an idle writer follows the other on its own.
func TestOtherWritersAreFollowed(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	prefix := freshPrefix()
	ctx := context.Background()
	f := ledgertest.New(t)
	stA := openStore(t, c.URL(0), prefix, Options{})
	f.Init(t, stA)
	a := f.Open(t, stA, ledger.Options{})
	b := f.Open(t, openStore(t, c.URL(0), prefix, Options{}), ledger.Options{FollowEvery: 50 * time.Millisecond})

	f.Register(t, a, "county-01")
	if _, err := b.Append(ctx, f.Event(t, "county-01", "resource/r-1", 1)); err != nil {
		t.Fatalf("a key registered through another writer was refused: %v", err)
	}
	k := f.Register(t, a, "county-02")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := b.Registry().Key(k.Public().ID()); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an idle writer did not follow the other writer's registration")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.Size() != a.Size() {
		t.Fatalf("idle writer at %d entries, the log has %d", b.Size(), a.Size())
	}
	ledgertest.MustVerify(t, stA)
}

// TestSeveralWriters: four ledgers on one cluster, each with its own store, writing
// flat out. The server's expected revision alone keeps them on one chain: no seq
// acknowledged twice, every acknowledged id stored at its seq, each writer's hooks
// see the whole log in order, full verification passes. There is no lock to queue
// on (doc.go): a batch that loses the race eight times in a row fails with
// ErrHeadMoved, and nothing else may fail.
func TestSeveralWriters(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	prefix := freshPrefix()
	ctx := context.Background()
	f := ledgertest.New(t)
	st0 := openStore(t, c.URL(0), prefix, Options{})
	f.Init(t, st0)
	const writers = 4
	ls := make([]*ledger.Ledger, writers)
	seen := make([][]uint64, writers)
	hooks := func(w int) ledger.Options {
		rec := func(es []*ledger.Entry) {
			for _, e := range es {
				seen[w] = append(seen[w], e.Seq)
			}
		}
		return ledger.Options{OnCommit: rec, OnCatchUp: rec}
	}
	ls[0] = f.Open(t, st0, hooks(0))
	for w := range writers {
		f.Register(t, ls[0], fmt.Sprintf("county-%02d", w))
	}
	for w := 1; w < writers; w++ {
		ls[w] = f.Open(t, openStore(t, c.URL(0), prefix, Options{}), hooks(w))
	}
	type ack struct {
		id  string
		seq uint64
		w   int
	}
	var (
		mu     sync.Mutex
		acks   []ack
		failed atomic.Int64
		lost   atomic.Int64
		first  atomic.Value
	)
	deadline := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	for w := range writers {
		for g := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inst := fmt.Sprintf("county-%02d", w)
				for i := 0; time.Now().Before(deadline); i++ {
					s := f.Event(t, inst, fmt.Sprintf("resource/w%d-g%d-%d", w, g, i%5), i)
					r, err := ls[w].Append(ctx, s)
					if errors.Is(err, ledger.ErrHeadMoved) {
						lost.Add(1)
						continue
					}
					if err != nil {
						failed.Add(1)
						first.CompareAndSwap(nil, err)
						continue
					}
					mu.Lock()
					acks = append(acks, ack{s.Submission.ID, r.Seq, w})
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for _, l := range ls {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d appends failed; first: %v", n, int(n)+len(acks), first.Load())
	}
	h, err := st0.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perWriter := make([]int, writers)
	bySeq := map[uint64]string{}
	ids := make([]string, 0, len(acks))
	for _, a := range acks {
		if other, dup := bySeq[a.seq]; dup {
			t.Fatalf("seq %d acknowledged for %s and %s", a.seq, other, a.id)
		}
		bySeq[a.seq] = a.id
		perWriter[a.w]++
		ids = append(ids, a.id)
	}
	if base := uint64(1 + writers); h.Size != base+uint64(len(acks)) {
		t.Fatalf("head %d, want %d (%d acknowledged)", h.Size, base+uint64(len(acks)), len(acks))
	}
	if len(acks) == 0 {
		t.Fatal("no append succeeded")
	}
	stored, err := st0.Lookup(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acks {
		if seq, ok := stored[a.id]; !ok || seq != a.seq {
			t.Fatalf("acknowledged id %s at seq %d: stored %d, %v", a.id, a.seq, seq, ok)
		}
	}
	for w, seqs := range seen {
		for i := 1; i < len(seqs); i++ {
			if seqs[i] != seqs[i-1]+1 {
				t.Fatalf("writer %d's hooks jump from %d to %d", w, seqs[i-1], seqs[i])
			}
		}
	}
	rep := ledgertest.MustVerify(t, st0)
	t.Logf("%d entries from %d writers %v, one chain, verified in %v; %d appends lost the race eight times", rep.Entries, writers, perWriter, rep.Elapsed, lost.Load())
}

// TestReopenReadsOnlyTheTail: the index lives in a file, so a store reopened on it
// reads from the server only what was appended since (here by another writer), not
// the whole log, and answers lookups for all of it.
func TestReopenReadsOnlyTheTail(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	prefix := freshPrefix()
	entries := prefix + "-entries"
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	f := ledgertest.New(t)
	st1, err := Open(ctx, c.URL(0), Options{Prefix: prefix, IndexPath: path})
	if err != nil {
		t.Fatal(err)
	}
	f.Init(t, st1)
	l1, err := ledger.Open(ctx, st1, ledger.Options{Signer: f.LedgerKey, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	f.Register(t, l1, "county-00")
	var ids []string
	var seqs []uint64
	for i := range 50 {
		s := f.Event(t, "county-00", fmt.Sprintf("resource/r%d", i%3), i)
		r, err := l1.Append(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		ids, seqs = append(ids, s.Submission.ID), append(seqs, r.Seq)
	}
	l1.Close()
	st1.Close()

	// Another writer, with an index of its own, appends five more.
	w := openStore(t, c.URL(0), prefix, Options{})
	lw := f.Open(t, w, ledger.Options{})
	for i := range 5 {
		s := f.Event(t, "county-00", "resource/r0", 100+i)
		r, err := lw.Append(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		ids, seqs = append(ids, s.Submission.ID), append(seqs, r.Seq)
	}
	want, _ := w.Head(ctx)

	before := c.Served(entries)
	st2 := openStore(t, c.URL(0), prefix, Options{IndexPath: path})
	h, err := st2.Head(ctx)
	if err != nil || h != want {
		t.Fatalf("head after reopening = %+v, %v; want %+v", h, err, want)
	}
	if n := c.Served(entries) - before; n > 5+1 {
		t.Fatalf("reopening on an index of %d entries read %d of them from the server", want.Size-5, n)
	}
	got, err := st2.Lookup(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if got[id] != seqs[i] {
			t.Fatalf("Lookup(%s) = %d, want %d", id, got[id], seqs[i])
		}
	}
	v, err := st2.StreamVersions(ctx, []string{"resource/r0", "resource/r1", "resource/r2"})
	if err != nil || v["resource/r0"] != 17+5 || v["resource/r1"] != 17 || v["resource/r2"] != 16 {
		t.Fatalf("StreamVersions = %v, %v", v, err)
	}
	var r0 []uint64
	if err := st2.Stream(ctx, "resource/r0", 17, func(e ledger.RawEntry) error { r0 = append(r0, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r0) != fmt.Sprint(append([]uint64{seqs[48]}, seqs[50:]...)) {
		t.Fatalf("stream resource/r0 from version 17 = %v", r0)
	}
	ledgertest.MustVerify(t, st2)
}

// TestIndexOfAnotherLog: an index file that does not describe the log it is opened on
// (another prefix; the same prefix on another cluster, shorter or different) is
// rebuilt from the log, never trusted.
func TestIndexOfAnotherLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	build := func(c *harness.Cluster, prefix string, n int) (*ledgertest.Fixture, ledger.Head) {
		t.Helper()
		st, err := Open(ctx, c.URL(0), Options{Prefix: prefix, IndexPath: path})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		f := ledgertest.New(t)
		f.Init(t, st)
		l, err := ledger.Open(ctx, st, ledger.Options{Signer: f.LedgerKey, CheckpointEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		f.Register(t, l, "county-00")
		for i := range n {
			if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", i)); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
		h, err := st.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return f, h
	}
	check := func(url, prefix string, want ledger.Head) {
		t.Helper()
		st := openStore(t, url, prefix, Options{IndexPath: path})
		if h, err := st.Head(ctx); err != nil || h != want {
			t.Fatalf("head on a foreign index = %+v, %v; want %+v", h, err, want)
		}
		if v, err := st.StreamVersions(ctx, []string{"resource/r"}); err != nil || v["resource/r"] != want.Size-2 {
			t.Fatalf("StreamVersions on a foreign index = %v, %v", v, err)
		}
		ledgertest.MustVerify(t, st)
		st.Close()
	}
	c1 := newCluster(t, 1, harness.Options{})
	build(c1, "a", 10)
	_, hb := build(c1, "b", 3) // the same file, another prefix: rebuilt
	check(c1.URL(0), "b", hb)
	c2 := newCluster(t, 1, harness.Options{})
	_, h2 := build(c2, "b", 1) // the same prefix on another cluster, shorter
	check(c2.URL(0), "b", h2)
	c3 := newCluster(t, 1, harness.Options{})
	_, h3 := build(c3, "b", 1) // as long, but other entries
	check(c3.URL(0), "b", h3)
}

// TestUnexpectedAnswer: the client library panics on a read answer it does not expect;
// the store turns that into an error (and tries again), so that what a server sends
// cannot bring the process down.
func TestUnexpectedAnswer(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	prefix := freshPrefix()
	st := openStore(t, c.URL(0), prefix, fast)
	f := ledgertest.New(t)
	f.Init(t, st)
	var n atomic.Int32
	c.Inject(func(call harness.Call) harness.Fault {
		if call.Method == harness.Read && call.Stream == prefix+"-entries" && n.Add(1) == 1 {
			return harness.Fault{Unexpected: true}
		}
		return harness.Fault{}
	})
	if h, err := st.Head(context.Background()); err != nil || h.Size != 1 {
		t.Fatalf("Head after an unexpected answer = %+v, %v", h, err)
	}
	if n.Load() < 2 {
		t.Fatal("the unexpected answer was not met")
	}
}

// TestIndexLosesOnlyItsTail: entries are indexed in memory and written to the file
// later, so a crash loses the entries not yet written; the file is as of its last
// write, and reopening reads the rest from the log.
func TestIndexLosesOnlyItsTail(t *testing.T) {
	defer func(d time.Duration) { flushEvery = d }(flushEvery)
	flushEvery = time.Hour
	c := newCluster(t, 1, harness.Options{})
	prefix := freshPrefix()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "index.db")
	st, err := Open(ctx, c.URL(0), Options{Prefix: prefix, IndexPath: path})
	if err != nil {
		t.Fatal(err)
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	if err := st.idx.flush(); err != nil { // the file holds the genesis entry
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: f.LedgerKey, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	f.Register(t, l, "county-00")
	var ids []string
	for i := range 10 {
		s := f.Event(t, "county-00", "resource/r", i)
		if _, err := l.Append(ctx, s); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.Submission.ID)
	}
	// The crash: the file as it is now, without the pending tail.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(dir, "crashed.db")
	if err := os.WriteFile(crashed, b, 0o600); err != nil {
		t.Fatal(err)
	}
	want, _ := st.Head(ctx)
	l.Close()
	st.Close()

	before := c.Served(prefix + "-entries")
	st2 := openStore(t, c.URL(0), prefix, Options{IndexPath: crashed})
	if h, err := st2.Head(ctx); err != nil || h != want {
		t.Fatalf("head after the crash = %+v, %v; want %+v", h, err, want)
	}
	if n := c.Served(prefix+"-entries") - before; n != 1+11 {
		t.Fatalf("reopening read %d entries; want the file's last and the 11 it had not written", n)
	}
	got, err := st2.Lookup(ctx, ids)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("Lookup after the crash = %v, %v", got, err)
	}
	if v, err := st2.StreamVersions(ctx, []string{"resource/r"}); err != nil || v["resource/r"] != 10 {
		t.Fatalf("StreamVersions after the crash = %v, %v", v, err)
	}
	ledgertest.MustVerify(t, st2)
}
