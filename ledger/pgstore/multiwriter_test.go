package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// soak returns how long load tests run: short by default, LEDGER_SOAK (a Go duration)
// for longer runs by hand.
func soak(t *testing.T, def time.Duration) time.Duration {
	if s := os.Getenv("LEDGER_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("LEDGER_SOAK: %v", err)
		}
		return d
	}
	return def
}

func open(t testing.TB, url string) *pgstore.Store {
	t.Helper()
	st, err := pgstore.Open(context.Background(), url, pgstore.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestFourWriters runs four ledgers, each on its own store and connection pool, against
// one database at full speed for a bounded time. The database alone keeps them on one
// chain: seqs contiguous from 0, no seq acknowledged twice, every acknowledged id stored
// at its seq, and full verification passes.
func TestFourWriters(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	f := ledgertest.New(t)
	st0 := open(t, url)
	f.Init(t, st0)
	const writers = 4
	ls := make([]*ledger.Ledger, writers)
	// What each ledger hands to in-process read models: its own batches (OnCommit) and the
	// others' (OnCatchUp). Together they must be the log, in order, without a gap.
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
		ls[w] = f.Open(t, open(t, url), hooks(w))
	}

	type ack struct {
		id  string
		seq uint64
		w   int
	}
	var (
		mu       sync.Mutex
		acks     []ack
		failed   atomic.Int64
		firstErr atomic.Value
	)
	deadline := time.Now().Add(soak(t, 3*time.Second))
	var wg sync.WaitGroup
	for w := range writers {
		for g := range 3 { // several clients per ledgerd, so batches form
			wg.Add(1)
			go func() {
				defer wg.Done()
				inst := fmt.Sprintf("county-%02d", w)
				for i := 0; time.Now().Before(deadline); i++ {
					s := f.Event(t, inst, fmt.Sprintf("resource/w%d-g%d-%d", w, g, i%5), i)
					r, err := ls[w].Append(ctx, s)
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
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
		t.Errorf("%d appends failed; first: %v", n, firstErr.Load())
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
	base := uint64(1 + writers) // genesis and the key registrations
	if h.Size != base+uint64(len(acks)) {
		t.Fatalf("head %d, want %d (%d acknowledged)", h.Size, base+uint64(len(acks)), len(acks))
	}
	for w, n := range perWriter {
		if n == 0 {
			t.Errorf("writer %d never committed: %v", w, perWriter)
		}
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
		if len(seqs) == 0 {
			t.Errorf("writer %d's hooks saw nothing", w)
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] != seqs[i-1]+1 {
				t.Fatalf("writer %d's hooks jump from %d to %d", w, seqs[i-1], seqs[i])
			}
		}
	}
	rep := ledgertest.MustVerify(t, st0)
	t.Logf("%d entries from 4 writers %v, one chain, verified in %v", rep.Entries, perWriter, rep.Elapsed)
}

// TestOtherWritersKeysAreKnown: a key registered through one ledgerd is usable through
// another on the same database at once (the second folds in the first's commits before
// refusing an unknown key), and an idle writer follows the others on its own.
func TestOtherWritersKeysAreKnown(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	f := ledgertest.New(t)
	stA := open(t, url)
	f.Init(t, stA)
	a := f.Open(t, stA, ledger.Options{})
	b := f.Open(t, open(t, url), ledger.Options{FollowEvery: 50 * time.Millisecond})

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
}
