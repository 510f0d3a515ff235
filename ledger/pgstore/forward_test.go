package pgstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// toSequencer is a Forwarder that hands what it is given to another ledger's
// AppendVerified, as the relay does, and counts it.
type toSequencer struct {
	seq        *ledger.Ledger
	sequencing atomic.Bool
	forwarded  atomic.Int64
}

func (f *toSequencer) Sequencing() bool { return f.sequencing.Load() }

func (f *toSequencer) Forward(ctx context.Context, ss []*ledger.Signed) ([]ledger.Receipt, []error) {
	f.forwarded.Add(int64(len(ss)))
	return f.seq.AppendVerified(ctx, ss)
}

// rowCounter counts the entries a store hands out in full.
type rowCounter struct {
	*pgstore.Store
	rows atomic.Int64
}

func (s *rowCounter) Entries(ctx context.Context, from, to uint64, fn func(ledger.RawEntry) error) error {
	return s.Store.Entries(ctx, from, to, func(r ledger.RawEntry) error { s.rows.Add(1); return fn(r) })
}

func (s *rowCounter) EntriesWithLeaves(ctx context.Context, from, to uint64, fn func(ledger.RawEntry, ledger.Hash) error) error {
	return s.Store.EntriesWithLeaves(ctx, from, to, func(r ledger.RawEntry, h ledger.Hash) error { s.rows.Add(1); return fn(r, h) })
}

// TestForwardingFrontEnd: a ledger whose submissions go to another process's sequencer
// (Options.Forward) verifies each one itself — an unknown key, a key of another
// institution and a bad signature are refused here and never forwarded — and runs no
// domain rule (the sequencing point does); it learns keys the sequencing point
// registered from the registry stream alone; and it skims the log instead of folding it:
// the head, the root and the registry level with the store, without reading the
// entries between.
func TestForwardingFrontEnd(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	f := ledgertest.New(t)
	stA := open(t, url)
	f.Init(t, stA)
	var seqChecks atomic.Int64
	a := f.Open(t, stA, ledger.Options{Check: func(*ledger.Signed) error { seqChecks.Add(1); return nil }})
	f.Register(t, a, "county-00")

	fw := &toSequencer{seq: a}
	stB := &rowCounter{Store: open(t, url)}
	var fwdChecks atomic.Int64
	b := f.Open(t, stB, ledger.Options{Forward: fw, FollowEvery: 20 * time.Millisecond,
		Check: func(*ledger.Signed) error { fwdChecks.Add(1); return nil }})

	// Acts recorded through the forwarding ledger are sealed by the sequencer.
	for i := range 20 {
		rc, err := b.Append(ctx, f.Event(t, "county-00", "resource/r", i))
		if err != nil {
			t.Fatal(err)
		}
		if rc.Seq >= a.Size() {
			t.Fatalf("receipt at %d beyond the sequencer's log (%d)", rc.Seq, a.Size())
		}
	}
	if fw.forwarded.Load() != 20 || fwdChecks.Load() != 0 || seqChecks.Load() < 20 {
		t.Fatalf("forwarded %d, domain rule run %d times here and %d at the sequencing point", fw.forwarded.Load(), fwdChecks.Load(), seqChecks.Load())
	}

	// Refusals of who signed happen here, before anything is forwarded.
	stranger := ledgertest.New(t).RootKey
	bad := f.Event(t, "county-00", "resource/r", 99)
	bad.Signature = f.Event(t, "county-00", "resource/r", 98).Signature
	other := f.Register(t, a, "county-01")
	forged := ledgertest.Sign(t, other, ledgertest.Submission("county-00", other.Public().ID(), "resource/r", ledgertest.TypeDataCollected, map[string]any{"resource": "r"}))
	for name, s := range map[string]*ledger.Signed{
		"an unknown key":            ledgertest.Sign(t, stranger, ledgertest.Submission("county-00", stranger.Public().ID(), "resource/r", ledgertest.TypeDataCollected, map[string]any{})),
		"a bad signature":           bad,
		"another institution's key": forged,
	} {
		before := fw.forwarded.Load()
		if _, err := b.Append(ctx, s); !errors.Is(err, ledger.ErrUnauthorized) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
		if fw.forwarded.Load() != before {
			t.Errorf("%s was forwarded", name)
		}
	}

	// A key the sequencing point registered is known here from the registry stream.
	k := f.Register(t, a, "county-02")
	s := ledgertest.Sign(t, k, ledgertest.Submission("county-02", k.Public().ID(), "resource/r2", ledgertest.TypeDataCollected, map[string]any{"resource": "r2"}))
	if _, err := b.Append(ctx, s); err != nil {
		t.Fatalf("an act signed with a key registered through the sequencing point: %v", err)
	}

	// Skimming: after the sequencing point commits many more, the head, root and
	// registry come level without reading those entries in full.
	for i := range 200 {
		if _, err := a.Append(ctx, f.Event(t, "county-00", "resource/r", 100+i)); err != nil {
			t.Fatal(err)
		}
	}
	rows := stB.rows.Load()
	deadline := time.Now().Add(5 * time.Second)
	for b.Size() != a.Size() {
		if time.Now().After(deadline) {
			t.Fatalf("the forwarding ledger is at %d, the log at %d", b.Size(), a.Size())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, wantRoot := stB.rows.Load()-rows, must(a.Root); n > 10 || must(b.Root) != wantRoot {
		t.Fatalf("skimming 200 entries read %d in full; root %x, want %x", n, must(b.Root), wantRoot)
	}

	// When this process becomes the sequencing point it seals on top of what it skimmed.
	fw.sequencing.Store(true)
	rc, err := b.Append(ctx, f.Event(t, "county-00", "resource/r", 999))
	if err != nil || rc.Seq != a.Size() {
		t.Fatalf("sealing after taking over: seq %d (log %d), %v", rc.Seq, a.Size(), err)
	}
	ledgertest.MustVerify(t, stA)
}

func must(root func() (uint64, ledger.Hash)) ledger.Hash { _, h := root(); return h }

// TestAdvertise: the address last advertised for a lease is the one read back; none
// advertised is ErrNotFound.
func TestAdvertise(t *testing.T) {
	st := open(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	if _, err := st.Advertised(ctx, "ledgerd/sequencer"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("nothing advertised: %v, want ErrNotFound", err)
	}
	for _, addr := range []string{"10.0.0.1:9090", "10.0.0.2:9090"} {
		if err := st.Advertise(ctx, "ledgerd/sequencer", addr); err != nil {
			t.Fatal(err)
		}
		if got, err := st.Advertised(ctx, "ledgerd/sequencer"); err != nil || got != addr {
			t.Fatalf("advertised %s, read %q (%v)", addr, got, err)
		}
	}
	if _, err := st.Advertised(ctx, "another"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("another lease: %v", err)
	}
}
