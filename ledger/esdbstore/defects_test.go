package esdbstore

// Tests of issue 15's EventStoreDB defects, each against the fault-injection harness.

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/esdbstore/internal/harness"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
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
