package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// Opener opens the same store location each time it is called; the location is fresh
// and empty the first time. Stores it returns are closed by the suite.
type Opener func() (ledger.Store, error)

// NewLocation makes a fresh, empty store location for one test case.
type NewLocation func(t *testing.T) Opener

// Run runs the contract suite.
func Run(t *testing.T, newLoc NewLocation) {
	cases := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"empty", testEmpty},
		{"append_and_read", testAppendAndRead},
		{"streams", testStreams},
		{"idempotency", testIdempotency},
		{"expected_version", testExpectedVersion},
		{"refusals_write_nothing", testRefusals},
		{"head_moved", testHeadMoved},
		{"batch_atomic", testBatchAtomic},
		{"concurrency", testConcurrency},
		{"reopen", testReopen},
		{"checkpoints", testCheckpoints},
		{"nodes", testNodes},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			open := newLoc(t)
			// Registered first, so it runs last: after the case's ledgers and stores close.
			t.Cleanup(func() {
				st, err := open()
				if err != nil {
					t.Fatalf("reopening for verification: %v", err)
				}
				defer st.Close()
				if h, _ := st.Head(context.Background()); h.Size > 0 {
					ledgertest.MustVerify(t, st)
				}
			})
			c.fn(t, open)
		})
	}
}

func mustOpen(t *testing.T, open Opener) ledger.Store {
	t.Helper()
	st, err := open()
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// setup opens a store, writes genesis and registers keys for n institutions.
func setup(t *testing.T, open Opener, n int) (*ledgertest.Fixture, ledger.Store, *ledger.Ledger) {
	t.Helper()
	st := mustOpen(t, open)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	for i := range n {
		f.Register(t, l, inst(i))
	}
	return f, st, l
}

func inst(i int) string { return fmt.Sprintf("county-%02d", i) }

var ctx = context.Background()

func size(t *testing.T, st ledger.Store) uint64 {
	t.Helper()
	h, err := st.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h.Size
}

func testEmpty(t *testing.T, open Opener) {
	st := mustOpen(t, open)
	if h, err := st.Head(ctx); err != nil || h.Size != 0 || h.LastHash != ledger.ZeroHash {
		t.Fatalf("empty head = %+v, %v", h, err)
	}
	if _, err := st.LatestCheckpoint(ctx); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("LatestCheckpoint on empty store: %v, want ErrNotFound", err)
	}
	n := 0
	if err := st.Entries(ctx, 0, 10, func(ledger.RawEntry) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("Entries on empty store: %d, %v", n, err)
	}
	if _, err := ledger.Open(ctx, st, ledger.Options{Signer: ledgertest.New(t).LedgerKey}); !errors.Is(err, ledger.ErrNotInitialized) {
		t.Fatalf("Open on empty store: %v, want ErrNotInitialized", err)
	}
}

func testAppendAndRead(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 2)
	base := size(t, st)
	var rs []ledger.Receipt
	var ids []string
	for i := range 50 {
		s := f.Event(t, inst(i%2), fmt.Sprintf("resource/r-%d", i%5), i)
		r, err := l.Append(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq != base+uint64(i) || r.Duplicate {
			t.Fatalf("receipt %d = %+v, want seq %d", i, r, base+uint64(i))
		}
		rs = append(rs, r)
		ids = append(ids, s.Submission.ID)
	}
	if got := size(t, st); got != base+50 {
		t.Fatalf("size %d, want %d", got, base+50)
	}
	i := 0
	err := st.Entries(ctx, base, base+50, func(r ledger.RawEntry) error {
		if r.Seq != rs[i].Seq || r.Hash != rs[i].Hash || ledger.SumEntry(r.Bytes) != r.Hash {
			return fmt.Errorf("entry %d: seq %d hash %s, receipt %+v", i, r.Seq, r.Hash, rs[i])
		}
		i++
		return nil
	})
	if err != nil || i != 50 {
		t.Fatalf("read %d entries: %v", i, err)
	}
	// A range read past the end stops at the end.
	n := 0
	if err := st.Entries(ctx, base+45, base+1000, func(ledger.RawEntry) error { n++; return nil }); err != nil || n != 5 {
		t.Fatalf("read past end: %d entries, %v", n, err)
	}
	got, err := st.Lookup(ctx, append(ids[:3:3], "0190c0de-0000-7000-8000-000000000000"))
	if err != nil || len(got) != 3 || got[ids[1]] != rs[1].Seq {
		t.Fatalf("Lookup = %v, %v", got, err)
	}
}

func testStreams(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 1)
	want := map[string][]uint64{}
	for i := range 30 {
		stream := fmt.Sprintf("resource/s%d", i%3)
		r, err := l.Append(ctx, f.Event(t, inst(0), stream, i))
		if err != nil {
			t.Fatal(err)
		}
		want[stream] = append(want[stream], r.Seq)
		if r.StreamVersion != uint64(len(want[stream])) {
			t.Fatalf("stream version %d, want %d", r.StreamVersion, len(want[stream]))
		}
	}
	// A stream whose name is a prefix of another must not see the other's entries.
	if _, err := l.Append(ctx, f.Event(t, inst(0), "resource/s1x", 99)); err != nil {
		t.Fatal(err)
	}
	for stream, seqs := range want {
		var got []uint64
		if err := st.Stream(ctx, stream, 4, func(r ledger.RawEntry) error { got = append(got, r.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(seqs[3:]) {
			t.Fatalf("stream %s from version 4 = %v, want %v", stream, got, seqs[3:])
		}
	}
	v, err := st.StreamVersions(ctx, []string{"resource/s0", "resource/s1x", "resource/none"})
	if err != nil || v["resource/s0"] != 10 || v["resource/s1x"] != 1 {
		t.Fatalf("StreamVersions = %v, %v", v, err)
	}
	if _, ok := v["resource/none"]; ok {
		t.Fatalf("absent stream reported: %v", v)
	}
}

func testIdempotency(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 1)
	s := f.Event(t, inst(0), "resource/a", 1)
	r1, err := l.Append(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	n := size(t, st)
	// The same body again, even re-signed (SM2 signatures are randomised): same seq.
	again := ledgertest.Sign(t, f.Key(inst(0)), s.Submission)
	r2, err := l.Append(ctx, again)
	if err != nil || !r2.Duplicate || r2.Seq != r1.Seq || r2.Hash != r1.Hash {
		t.Fatalf("re-send = %+v, %v; want duplicate of %+v", r2, err, r1)
	}
	// The same id with another body: conflict.
	other := s.Submission
	other.Payload = []byte(`{"resource":"R-9999"}`)
	_, err = l.Append(ctx, ledgertest.Sign(t, f.Key(inst(0)), other))
	if !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("same id, other body: %v, want ErrConflict", err)
	}
	// Both at once in one batch: the duplicate resolves to the first.
	s2 := f.Event(t, inst(0), "resource/a", 2)
	var wg sync.WaitGroup
	res := make([]ledger.Receipt, 4)
	errs := make([]error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); res[i], errs[i] = l.Append(ctx, s2) }()
	}
	wg.Wait()
	for i := range 4 {
		if errs[i] != nil || res[i].Seq != res[0].Seq {
			t.Fatalf("concurrent re-sends: %+v %v", res, errs)
		}
	}
	if got := size(t, st); got != n+1 {
		t.Fatalf("size %d after duplicates, want %d", got, n+1)
	}
}

func testExpectedVersion(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 1)
	k := f.Key(inst(0))
	ev := func(v uint64, stream string) *ledger.Signed {
		sub := ledgertest.Submission(inst(0), k.Public().ID(), stream, ledgertest.TypeDataCollected, map[string]int{"n": int(v)})
		sub.ExpectedVersion = &v
		return ledgertest.Sign(t, k, sub)
	}
	if _, err := l.Append(ctx, ev(0, "resource/v")); err != nil {
		t.Fatalf("expected 0 on a new stream: %v", err)
	}
	if _, err := l.Append(ctx, ev(1, "resource/v")); err != nil {
		t.Fatalf("expected 1: %v", err)
	}
	n := size(t, st)
	for _, bad := range []uint64{0, 1, 3} {
		if _, err := l.Append(ctx, ev(bad, "resource/v")); !errors.Is(err, ledger.ErrConflict) {
			t.Fatalf("expected %d at version 2: %v, want ErrConflict", bad, err)
		}
	}
	if got := size(t, st); got != n {
		t.Fatalf("refused appends wrote: size %d, want %d", got, n)
	}
}

func testRefusals(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 2)
	n := size(t, st)
	stranger := ledgertest.New(t).RootKey // never registered
	cases := map[string]*ledger.Signed{
		"unknown key": ledgertest.Sign(t, stranger, ledgertest.Submission(inst(0), stranger.Public().ID(), "resource/x", ledgertest.TypeDataCollected, map[string]int{"a": 1})),
		"key of another institution": ledgertest.Sign(t, f.Key(inst(1)),
			ledgertest.Submission(inst(0), f.Key(inst(1)).Public().ID(), "resource/x", ledgertest.TypeDataCollected, map[string]int{"a": 1})),
		"institution key registering keys": ledgertest.Sign(t, f.Key(inst(0)),
			ledgertest.Submission(inst(0), f.Key(inst(0)).Public().ID(), ledger.RegistryStream, ledger.TypeKeyRevoked, ledger.KeyRevokedPayload{KeyID: f.Key(inst(1)).Public().ID(), Reason: "x"})),
		"data act on the registry stream": ledgertest.Sign(t, f.Key(inst(0)),
			ledgertest.Submission(inst(0), f.Key(inst(0)).Public().ID(), ledger.RegistryStream, ledgertest.TypeDataCollected, map[string]int{"a": 1})),
	}
	bad := f.Event(t, inst(0), "resource/x", 1)
	bad.Signature = f.Event(t, inst(0), "resource/x", 2).Signature
	cases["signature over another submission"] = bad
	for name, s := range cases {
		if _, err := l.Append(ctx, s); !errors.Is(err, ledger.ErrUnauthorized) && !errors.Is(err, ledger.ErrInvalid) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	// Revocation takes effect from the next entry on.
	k := f.Key(inst(0))
	rev := ledgertest.Submission(ledgertest.Authority, f.RootKey.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRevoked,
		ledger.KeyRevokedPayload{KeyID: k.Public().ID(), Reason: "staff left"})
	if _, err := l.Append(ctx, ledgertest.Sign(t, f.RootKey, rev)); err != nil {
		t.Fatalf("revoking: %v", err)
	}
	n++
	if _, err := l.Append(ctx, f.Event(t, inst(0), "resource/x", 3)); !errors.Is(err, ledger.ErrUnauthorized) {
		t.Fatalf("revoked key: %v, want ErrUnauthorized", err)
	}
	if got := size(t, st); got != n {
		t.Fatalf("refusals wrote entries: size %d, want %d", got, n)
	}
}

func testHeadMoved(t *testing.T, open Opener) {
	_, st, _ := setup(t, open, 0)
	h, _ := st.Head(ctx)
	err := st.Append(ctx, &ledger.Batch{Entries: []ledger.SealedEntry{{Seq: h.Size + 5, ID: "x", Stream: "s", StreamVersion: 1, Bytes: []byte("{}")}}})
	if !errors.Is(err, ledger.ErrHeadMoved) {
		t.Fatalf("append past the head: %v, want ErrHeadMoved", err)
	}
	err = st.Append(ctx, &ledger.Batch{Entries: []ledger.SealedEntry{{Seq: h.Size - 1, ID: "y", Stream: "s", StreamVersion: 1, Bytes: []byte("{}")}}})
	if !errors.Is(err, ledger.ErrHeadMoved) {
		t.Fatalf("append behind the head: %v, want ErrHeadMoved", err)
	}
	if got := size(t, st); got != h.Size {
		t.Fatalf("size %d after refused appends, want %d", got, h.Size)
	}
}

func testBatchAtomic(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 1)
	s := f.Event(t, inst(0), "resource/a", 1)
	if _, err := l.Append(ctx, s); err != nil {
		t.Fatal(err)
	}
	h, _ := st.Head(ctx)
	// A batch whose second entry reuses a stored id must leave nothing behind.
	err := st.Append(ctx, &ledger.Batch{Entries: []ledger.SealedEntry{
		{Seq: h.Size, ID: "0190c0de-0000-7000-8000-00000000abcd", Stream: "resource/z", StreamVersion: 1, Bytes: []byte(`{"a":1}`)},
		{Seq: h.Size + 1, ID: s.Submission.ID, Stream: "resource/z", StreamVersion: 2, Bytes: []byte(`{"a":2}`)},
	}})
	if err == nil {
		t.Fatal("a batch reusing a stored id was accepted")
	}
	if got := size(t, st); got != h.Size {
		t.Fatalf("partial batch written: size %d, want %d", got, h.Size)
	}
	if m, _ := st.Lookup(ctx, []string{"0190c0de-0000-7000-8000-00000000abcd"}); len(m) != 0 {
		t.Fatalf("partial batch left an id behind: %v", m)
	}
	if v, _ := st.StreamVersions(ctx, []string{"resource/z"}); len(v) != 0 {
		t.Fatalf("partial batch left a stream behind: %v", v)
	}
}

func testConcurrency(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 4)
	base := size(t, st)
	const workers, each = 8, 60
	seqs := make(chan uint64, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r, err := l.Append(ctx, f.Event(t, inst(w%4), fmt.Sprintf("resource/c%d", i%7), i))
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- r.Seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("seq %d acknowledged twice", s)
		}
		seen[s] = true
	}
	if got := size(t, st); got != base+workers*each || len(seen) != workers*each {
		t.Fatalf("size %d with %d receipts, want %d", got, len(seen), base+workers*each)
	}
}

func testReopen(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 1)
	for i := range 20 {
		if _, err := l.Append(ctx, f.Event(t, inst(0), "resource/r", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	h1, _ := st.Head(ctx)
	size1, root1 := l.Root()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2 := mustOpen(t, open)
	h2, err := st2.Head(ctx)
	if err != nil || h2 != h1 {
		t.Fatalf("head after reopen = %+v, %v; want %+v", h2, err, h1)
	}
	l2 := f.Open(t, st2, ledger.Options{})
	if s, r := l2.Root(); s != size1 || r != root1 {
		t.Fatalf("root after reopen = %d %s, want %d %s", s, r, size1, root1)
	}
	r, err := l2.Append(ctx, f.Event(t, inst(0), "resource/r", 99))
	if err != nil || r.Seq != h1.Size || r.StreamVersion != 21 {
		t.Fatalf("append after reopen = %+v, %v", r, err)
	}
	// The key registry survived the reopen: the registered key still signs.
	if _, ok := l2.Registry().Key(f.Key(inst(0)).Public().ID()); !ok {
		t.Fatal("registry lost a key across reopen")
	}
}

func testCheckpoints(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 1)
	c1, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := l.Append(ctx, f.Event(t, inst(0), "resource/r", i)); err != nil {
			t.Fatal(err)
		}
	}
	c2, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Size != c1.Size+5 {
		t.Fatalf("checkpoint sizes %d then %d", c1.Size, c2.Size)
	}
	latest, err := st.LatestCheckpoint(ctx)
	if err != nil || latest.Size != c2.Size || string(latest.Note) != string(c2.Note) {
		t.Fatalf("LatestCheckpoint = %+v, %v", latest, err)
	}
	var sizes []uint64
	if err := st.Checkpoints(ctx, func(c ledger.Checkpoint) error { sizes = append(sizes, c.Size); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != fmt.Sprint([]uint64{c1.Size, c2.Size}) {
		t.Fatalf("checkpoints %v", sizes)
	}
	if _, _, err := ledger.OpenCheckpoint(latest.Note, f.Origin, f.LedgerKey.Public()); err != nil {
		t.Fatalf("stored checkpoint does not verify: %v", err)
	}
	if err := st.PutCheckpoint(ctx, ledger.Checkpoint{Size: c2.Size + 100, Note: c2.Note}); err == nil {
		t.Fatal("a checkpoint beyond the head was stored")
	}
}

func testNodes(t *testing.T, open Opener) {
	f, st, l := setup(t, open, 1)
	for i := range 9 {
		if _, err := l.Append(ctx, f.Event(t, inst(0), "resource/r", i)); err != nil {
			t.Fatal(err)
		}
	}
	n := size(t, st)
	var leaf ledger.Hash
	if err := st.Entries(ctx, 3, 4, func(r ledger.RawEntry) error { leaf = ledger.LeafHash(r.Bytes); return nil }); err != nil {
		t.Fatal(err)
	}
	hs, err := st.Nodes(ctx, []ledger.NodeID{{Level: 0, Index: 3}, {Level: 1, Index: 1}})
	if err != nil || hs[0] != leaf {
		t.Fatalf("leaf node 3 = %v, %v; want %s", hs, err, leaf)
	}
	// Proofs from stored nodes verify against the ledger's root, at every size.
	var entry []byte
	_ = st.Entries(ctx, 3, 4, func(r ledger.RawEntry) error { entry = append([]byte(nil), r.Bytes...); return nil })
	sz, root := l.Root()
	for size := uint64(4); size <= sz; size++ {
		p, err := ledger.InclusionProof(ctx, st, 3, size)
		if err != nil {
			t.Fatal(err)
		}
		if size == sz {
			if err := ledger.VerifyInclusion(entry, 3, sz, p, root); err != nil {
				t.Fatalf("inclusion of 3 in %d: %v", sz, err)
			}
		}
	}
	if _, err := st.Nodes(ctx, []ledger.NodeID{{Level: 0, Index: n + 10}}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("missing node: %v, want ErrNotFound", err)
	}
}
