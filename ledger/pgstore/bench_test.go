package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/jackc/pgx/v5"
)

// ingest pushes n pre-signed submissions through a ledger on st from clients
// goroutines and returns durable ingests per second (signature verification, sealing
// and the durable commit, as a server does them; signing is the clients' work and is
// done beforehand).
func ingest(tb testing.TB, st ledger.Store, n, clients int) float64 {
	tb.Helper()
	f := ledgertest.New(tb)
	f.Init(tb, st)
	l := f.Open(tb, st, ledger.Options{})
	const insts = 4
	for i := range insts {
		f.Register(tb, l, fmt.Sprintf("county-%02d", i))
	}
	subs := make([]*ledger.Signed, n)
	parallelDo(n, func(i int) {
		subs[i] = f.Event(tb, fmt.Sprintf("county-%02d", i%insts), fmt.Sprintf("resource/r%d", i%50), i)
	})
	var next atomic.Int64
	var failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if _, err := l.Append(context.Background(), subs[i]); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if failed.Load() > 0 {
		tb.Fatalf("%d appends failed", failed.Load())
	}
	return float64(n) / el.Seconds()
}

func parallelDo(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

func boltAt(tb testing.TB) ledger.Store {
	st, err := boltstore.Open(filepath.Join(tb.TempDir(), "ledger.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func pgAt(tb testing.TB) *pgstore.Store {
	st, err := pgstore.Open(context.Background(), pgtest.NewDatabase(tb), pgstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkIngest: durable ingests per second on each backend (b.N submissions).
//
//	go test -run '^$' -bench Ingest -benchtime 20000x ./ledger/pgstore/
func BenchmarkIngest(b *testing.B) {
	for _, c := range []struct {
		name string
		st   func(testing.TB) ledger.Store
	}{
		{"bolt", boltAt},
		{"postgres", func(tb testing.TB) ledger.Store { return pgAt(tb) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			st := c.st(b)
			b.ResetTimer()
			rate := ingest(b, st, b.N, 128)
			b.ReportMetric(rate, "ingest/s")
		})
	}
}

// sealedBatches reads the log in st back as append batches of size n, each with the
// Merkle nodes its entries completed, to replay through different writers.
func sealedBatches(tb testing.TB, st ledger.Store, n int) []*ledger.Batch {
	ctx := context.Background()
	h, err := st.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*ledger.Batch
	var cur *ledger.Batch
	err = st.Entries(ctx, 0, h.Size, func(r ledger.RawEntry) error {
		e, err := ledger.ParseEntry(r.Bytes)
		if err != nil {
			return err
		}
		if cur == nil || len(cur.Entries) == n {
			cur = &ledger.Batch{}
			out = append(out, cur)
		}
		cur.Entries = append(cur.Entries, ledger.SealedEntry{Seq: r.Seq, ID: e.Submission.ID, Stream: e.Submission.Stream,
			StreamVersion: e.StreamVersion, Hash: r.Hash, Bytes: append([]byte(nil), r.Bytes...)})
		var ids []ledger.NodeID
		for lvl, s := uint8(0), r.Seq+1; ; lvl, s = lvl+1, s>>1 {
			ids = append(ids, ledger.NodeID{Level: lvl, Index: s - 1})
			if s%2 != 0 {
				break
			}
		}
		hs, err := st.Nodes(ctx, ids)
		if err != nil {
			return err
		}
		for i := range ids {
			cur.Nodes = append(cur.Nodes, ledger.Node{ID: ids[i], Hash: hs[i]})
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestIngestFigures measures, in one run, durable ingest on bolt and on PostgreSQL and
// our Append against bare pgx writes of the same rows. It only runs with LEDGER_BENCH=N
// (N submissions, e.g. 20000); the figures go to docs/storage.md.
func TestIngestFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LEDGER_BENCH"))
	if n <= 0 {
		t.Skip("set LEDGER_BENCH=N (e.g. 20000) to measure ingest figures")
	}
	clients := 128
	if c, _ := strconv.Atoi(os.Getenv("LEDGER_BENCH_CLIENTS")); c > 0 {
		clients = c
	}
	// Rounds alternate between the backends so that load from elsewhere on the machine
	// falls on both; the ratio is the median of the rounds' ratios.
	var src *pgstore.Store
	var ratios []float64
	for round := range 3 {
		boltRate := ingest(t, boltAt(t), n, clients)
		src = pgAt(t)
		pgRate := ingest(t, src, n, clients)
		ratios = append(ratios, pgRate/boltRate)
		t.Logf("round %d: durable ingest, %d signed submissions, %d clients: bolt %.0f/s, postgres %.0f/s, ratio %.2f",
			round, n, clients, boltRate, pgRate, pgRate/boltRate)
	}
	sort.Float64s(ratios)
	t.Logf("postgres/bolt durable ingest: median ratio %.2f (%.2f..%.2f)", ratios[1], ratios[0], ratios[2])

	for _, size := range []int{64, 512} {
		batches := sealedBatches(t, src, size)
		rows := 0
		for _, b := range batches {
			rows += len(b.Entries)
		}
		ctx := context.Background()
		ours := pgAt(t)
		start := time.Now()
		for _, b := range batches {
			if err := ours.Append(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		oursRate := float64(rows) / time.Since(start).Seconds()

		bare := pgAt(t)
		if _, err := bare.Pool().Exec(ctx, `CREATE TABLE bare (seq bigint PRIMARY KEY, id text, stream text,
			stream_version bigint, hash bytea, leaf bytea, body bytea)`); err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		for _, b := range batches {
			err := pgx.BeginFunc(ctx, bare.Pool(), func(tx pgx.Tx) error {
				_, err := tx.CopyFrom(ctx, pgx.Identifier{"bare"}, []string{"seq", "id", "stream", "stream_version", "hash", "leaf", "body"},
					pgx.CopyFromSlice(len(b.Entries), func(i int) ([]any, error) {
						e := &b.Entries[i]
						leaf := ledger.LeafHash(e.Bytes)
						return []any{int64(e.Seq), e.ID, e.Stream, int64(e.StreamVersion), e.Hash[:], leaf[:], e.Bytes}, nil
					}))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		bareRate := float64(rows) / time.Since(start).Seconds()

		ins := pgAt(t)
		if _, err := ins.Pool().Exec(ctx, `CREATE TABLE bare (seq bigint PRIMARY KEY, id text, stream text,
			stream_version bigint, hash bytea, leaf bytea, body bytea)`); err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		for _, b := range batches {
			n := len(b.Entries)
			seqs, vers := make([]int64, n), make([]int64, n)
			ids, streams := make([]string, n), make([]string, n)
			hashes, leaves, bodies := make([][]byte, n), make([][]byte, n), make([][]byte, n)
			for i := range b.Entries {
				e := &b.Entries[i]
				leaf := ledger.LeafHash(e.Bytes)
				seqs[i], vers[i], ids[i], streams[i], hashes[i], leaves[i], bodies[i] = int64(e.Seq), int64(e.StreamVersion), e.ID, e.Stream, e.Hash[:], leaf[:], e.Bytes
			}
			if _, err := ins.Pool().Exec(ctx, `INSERT INTO bare SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::bytea[], $7::bytea[])`,
				seqs, ids, streams, vers, hashes, leaves, bodies); err != nil {
				t.Fatal(err)
			}
		}
		insRate := float64(rows) / time.Since(start).Seconds()
		t.Logf("batches of %d: our Append %.0f entries/s (entries + interior nodes, head check, unique indexes, NOTIFY); bare pgx of the same entry rows: COPY %.0f/s (ratio %.2f), multi-row INSERT %.0f/s (ratio %.2f)",
			size, oursRate, bareRate, oursRate/bareRate, insRate, oursRate/insRate)
	}
}
