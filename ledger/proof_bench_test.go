package ledger_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/google/uuid"
	"github.com/transparency-dev/merkle/compact"
)

// Proof generation at scale. A million signed submissions would take minutes to sign and
// verify, and proofs read only the Merkle nodes, so the benchmark store is built by
// sealing synthetic entries of a realistic size (about 600 bytes) directly into bbolt
// batches, with every node the compact range completes persisted exactly as the sequencer
// does. Set LEDGER_BENCH_1M=1 for the 1,000,000-entry store; the default (65,536) keeps CI
// fast. The store is built once per test binary run, in a temporary directory.
//
//	LEDGER_BENCH_1M=1 go test ./ledger -run '^$' -bench BenchmarkProofs -benchtime 20000x

func benchSize() uint64 {
	if os.Getenv("LEDGER_BENCH_1M") == "1" {
		return 1_000_000
	}
	return 1 << 16
}

var bench struct {
	once sync.Once
	dir  string
	st   *boltstore.Store
	err  error
}

// benchStore returns the shared bulk-built store; it is removed when the process exits
// only through the OS temp cleaner, so it is kept small by default.
func benchStore(tb testing.TB) (*boltstore.Store, uint64) {
	n := benchSize()
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "ledger-proof-bench-")
		if bench.err != nil {
			return
		}
		start := time.Now()
		bench.st, bench.err = boltstore.Open(filepath.Join(bench.dir, "ledger.db"))
		if bench.err == nil {
			bench.err = bulkSeal(context.Background(), bench.st, n)
		}
		fmt.Fprintf(os.Stderr, "built a %d-entry store in %v\n", n, time.Since(start).Round(time.Millisecond))
	})
	if bench.err != nil {
		tb.Fatal(bench.err)
	}
	return bench.st, n
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.st != nil {
		bench.st.Close()
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// bulkSeal appends n chained synthetic entries in batches of 8192, with their nodes.
func bulkSeal(ctx context.Context, st ledger.Store, n uint64) error {
	const batch = 8192
	rf := compact.RangeFactory{Hash: ledger.Hasher{}.HashChildren}
	r := rf.NewEmptyRange(0)
	var prev ledger.Hash
	pad := make([]byte, 420)
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	for from := uint64(0); from < n; from += batch {
		b := &ledger.Batch{}
		for seq := from; seq < min(from+batch, n); seq++ {
			id := uuid.Must(uuid.NewV7()).String()
			body := fmt.Appendf(nil, `{"prev_hash":"%s","recorded_at":"2026-01-01T00:00:00Z","seq":%d,"signature":"","stream_version":1,"submission":{"id":"%s","pad":"%s"}}`,
				prev, seq, id, pad)
			h := ledger.SumEntry(body)
			leaf := ledger.LeafHash(body)
			if err := r.Append(leaf[:], func(id compact.NodeID, hash []byte) {
				var node ledger.Node
				node.ID = ledger.NodeID{Level: uint8(id.Level), Index: id.Index}
				copy(node.Hash[:], hash)
				b.Nodes = append(b.Nodes, node)
			}); err != nil {
				return err
			}
			b.Entries = append(b.Entries, ledger.SealedEntry{Seq: seq, ID: id, Stream: "bench/s" + fmt.Sprint(seq%64), StreamVersion: seq/64 + 1, Hash: h, Bytes: body})
			prev = h
		}
		if err := st.Append(ctx, b); err != nil {
			return fmt.Errorf("appending batch at %d: %w", from, err)
		}
	}
	return nil
}

// BenchmarkProofs measures inclusion and consistency proof generation from stored nodes
// at random positions against the full tree, and reports p50 and p99 latencies.
func BenchmarkProofs(b *testing.B) {
	st, n := benchStore(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	run := func(b *testing.B, fn func() error) {
		lat := make([]time.Duration, 0, 1<<16)
		for b.Loop() {
			t0 := time.Now()
			if err := fn(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
		b.ReportMetric(float64(n), "entries")
	}
	b.Run("inclusion", func(b *testing.B) {
		run(b, func() error {
			_, err := ledger.InclusionProof(ctx, st, rng.Uint64N(n), n)
			return err
		})
	})
	b.Run("inclusion_random_size", func(b *testing.B) {
		run(b, func() error {
			size := 1 + rng.Uint64N(n)
			_, err := ledger.InclusionProof(ctx, st, rng.Uint64N(size), size)
			return err
		})
	})
	b.Run("consistency", func(b *testing.B) {
		run(b, func() error {
			_, err := ledger.ConsistencyProof(ctx, st, 1+rng.Uint64N(n), n)
			return err
		})
	})
	b.Run("root_at", func(b *testing.B) {
		run(b, func() error {
			_, err := ledger.RootAt(ctx, st, 1+rng.Uint64N(n))
			return err
		})
	})
}

// TestBulkStoreProofs keeps the benchmark's store builder honest in CI: proofs from the
// bulk-built store verify against the root its nodes give.
func TestBulkStoreProofs(t *testing.T) {
	dir := t.TempDir()
	st, err := boltstore.Open(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	const n = 20_000
	if err := bulkSeal(ctx, st, n); err != nil {
		t.Fatal(err)
	}
	root, err := ledger.RootAt(ctx, st, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{0, 1, 8191, 8192, 12345, n - 1} {
		var entry []byte
		if err := st.Entries(ctx, seq, seq+1, func(r ledger.RawEntry) error { entry = slices.Clone(r.Bytes); return nil }); err != nil {
			t.Fatal(err)
		}
		p, err := ledger.InclusionProof(ctx, st, seq, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.VerifyInclusion(entry, seq, n, p, root); err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
	}
}
