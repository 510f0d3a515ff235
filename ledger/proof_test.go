package ledger_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// The naive RFC 6962 §2.1 definitions with SM3, written from the RFC's text and nothing
// else, so that the library-backed proofs built from stored nodes are checked against an
// independent computation.

func naiveLeaf(d []byte) []byte { return append([]byte{0}, d...) }

func sm3(parts ...[]byte) []byte {
	h := crypto.SM3(bytes.Join(parts, nil))
	return h[:]
}

// largestPow2Below is k, the largest power of two smaller than n (n > 1).
func largestPow2Below(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// naive holds the entries and memoises MTH of each range [lo, hi): the recursive
// definitions below are the RFC's, the memo only keeps 65k proofs from recomputing the
// same subtrees millions of times.
type naive struct {
	d    [][]byte
	memo map[[2]int][]byte
}

func newNaive(d [][]byte) *naive { return &naive{d: d, memo: map[[2]int][]byte{}} }

// mth is MTH(D[lo:hi]).
func (n *naive) mth(lo, hi int) []byte {
	if r, ok := n.memo[[2]int{lo, hi}]; ok {
		return r
	}
	var r []byte
	switch hi - lo {
	case 0:
		r = sm3(nil)
	case 1:
		r = sm3(naiveLeaf(n.d[lo]))
	default:
		k := largestPow2Below(hi - lo)
		r = sm3([]byte{1}, n.mth(lo, lo+k), n.mth(lo+k, hi))
	}
	n.memo[[2]int{lo, hi}] = r
	return r
}

// path is PATH(m, D[lo:hi]), RFC 6962 §2.1.1.
func (n *naive) path(m, lo, hi int) [][]byte {
	if hi-lo == 1 {
		return nil
	}
	k := largestPow2Below(hi - lo)
	if m < k {
		return append(n.path(m, lo, lo+k), n.mth(lo+k, hi))
	}
	return append(n.path(m-k, lo+k, hi), n.mth(lo, lo+k))
}

// proof is PROOF(m, D[0:size]) = SUBPROOF(m, D[0:size], true), RFC 6962 §2.1.2.
func (n *naive) proof(m, size int) [][]byte { return n.subproof(m, 0, size, true) }

func (n *naive) subproof(m, lo, hi int, b bool) [][]byte {
	if m == hi-lo {
		if b {
			return nil
		}
		return [][]byte{n.mth(lo, hi)}
	}
	k := largestPow2Below(hi - lo)
	if m <= k {
		return append(n.subproof(m, lo, lo+k, b), n.mth(lo+k, hi))
	}
	return append(n.subproof(m-k, lo+k, hi, false), n.mth(lo, lo+k))
}

func (n *naive) root(size int) (h ledger.Hash) {
	copy(h[:], n.mth(0, size))
	return h
}

// buildLedger writes n entries (genesis, one key registration, then data events) through
// the real sequencer into a bbolt store, and returns the store and the entries' bytes.
func buildLedger(t testing.TB, n int) (ledger.Store, [][]byte) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "county-01")
	for i := 2; i < n; i++ {
		if _, err := l.Append(context.Background(), f.Event(t, "county-01", fmt.Sprintf("resource/r-%d", i%7), i)); err != nil {
			t.Fatal(err)
		}
	}
	var entries [][]byte
	if err := st.Entries(context.Background(), 0, uint64(n), func(r ledger.RawEntry) error {
		entries = append(entries, bytes.Clone(r.Bytes))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Fatalf("store holds %d entries, want %d", len(entries), n)
	}
	return st, entries
}

func hashes(p []ledger.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

func equalPaths(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestProofsExhaustive checks, for every tree size up to 256, every inclusion proof and
// every consistency proof built from the nodes persisted in a real bbolt store: each must
// equal the RFC 6962 path computed naively from the entries, and verify against the
// naive root. Roots from stored nodes must equal the naive roots too.
func TestProofsExhaustive(t *testing.T) {
	const maxSize = 256
	ctx := context.Background()
	st, entries := buildLedger(t, maxSize)
	nv := newNaive(entries)

	for size := 1; size <= maxSize; size++ {
		root, err := ledger.RootAt(ctx, st, uint64(size))
		if err != nil {
			t.Fatalf("RootAt(%d): %v", size, err)
		}
		naiveRoot := nv.root(size)
		if root != naiveRoot {
			t.Fatalf("RootAt(%d) = %s, naive %s", size, root, naiveRoot)
		}
		for idx := 0; idx < size; idx++ {
			p, err := ledger.InclusionProof(ctx, st, uint64(idx), uint64(size))
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", idx, size, err)
			}
			if want := nv.path(idx, 0, size); !equalPaths(hashes(p), want) {
				t.Fatalf("InclusionProof(%d, %d) differs from RFC 6962 PATH", idx, size)
			}
			if err := ledger.VerifyInclusion(entries[idx], uint64(idx), uint64(size), p, naiveRoot); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d): %v", idx, size, err)
			}
			// The same proof must not prove a neighbouring entry.
			if other := (idx + 1) % size; other != idx {
				if ledger.VerifyInclusion(entries[other], uint64(idx), uint64(size), p, naiveRoot) == nil {
					t.Fatalf("inclusion proof for %d in %d also proves entry %d", idx, size, other)
				}
			}
		}
	}

	for size2 := 1; size2 <= maxSize; size2++ {
		root2 := nv.root(size2)
		for size1 := 0; size1 <= size2; size1++ {
			root1 := nv.root(size1)
			p, err := ledger.ConsistencyProof(ctx, st, uint64(size1), uint64(size2))
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", size1, size2, err)
			}
			if size1 > 0 {
				if want := nv.proof(size1, size2); !equalPaths(hashes(p), want) {
					t.Fatalf("ConsistencyProof(%d, %d) differs from RFC 6962 PROOF", size1, size2)
				}
			} else if len(p) != 0 {
				t.Fatalf("ConsistencyProof(0, %d) is not empty", size2)
			}
			if err := ledger.VerifyConsistency(uint64(size1), uint64(size2), p, root1, root2); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", size1, size2, err)
			}
			// A proof between different sizes must fail against a wrong old root.
			if size1 > 0 && size1 < size2 {
				if ledger.VerifyConsistency(uint64(size1), uint64(size2), p, nv.root(size1-1), root2) == nil {
					t.Fatalf("consistency %d→%d verified against the root of size %d", size1, size2, size1-1)
				}
			}
		}
	}
}

func TestProofErrors(t *testing.T) {
	ctx := context.Background()
	st, _ := buildLedger(t, 5)
	tests := []struct {
		name string
		fn   func() error
	}{
		{"inclusion_seq_at_size", func() error { _, err := ledger.InclusionProof(ctx, st, 5, 5); return err }},
		{"inclusion_beyond_log", func() error { _, err := ledger.InclusionProof(ctx, st, 1, 6); return err }},
		{"consistency_reversed", func() error { _, err := ledger.ConsistencyProof(ctx, st, 4, 3); return err }},
		{"consistency_beyond_log", func() error { _, err := ledger.ConsistencyProof(ctx, st, 2, 9); return err }},
		{"root_beyond_log", func() error { _, err := ledger.RootAt(ctx, st, 6); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.fn(); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
