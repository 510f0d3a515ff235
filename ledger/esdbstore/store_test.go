package esdbstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/esdbstore/internal/harness"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/storetest"
)

// TestContract runs the shared contract suite against a real server, each case on
// streams of its own prefix. It needs LEDGER_ESDB_URL.
func TestContract(t *testing.T) {
	url := os.Getenv("LEDGER_ESDB_URL")
	if url == "" {
		t.Skip("EventStoreDB contract tests skipped: set LEDGER_ESDB_URL (e.g. esdb://127.0.0.1:2113?tls=false; deploy/compose/esdb.yml starts a three-node cluster, docs/esdb.md says how) to run them")
	}
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		var b [6]byte
		rand.Read(b[:])
		prefix := "ledgertest-" + hex.EncodeToString(b[:])
		return func() (ledger.Store, error) { return Open(context.Background(), url, Options{Prefix: prefix}) }
	})
}

// TestContractHarness runs the same suite against the fault-injection harness (no
// faults injected), so that it runs in every ordinary go test: once with a temporary
// index per store (each opening reads the log), once with an index file per location
// (reopening reads only the tail).
func TestContractHarness(t *testing.T) {
	c := newCluster(t, 1, harness.Options{})
	t.Run("temporary_index", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) storetest.Opener {
			prefix := freshPrefix()
			return func() (ledger.Store, error) { return Open(context.Background(), c.URL(0), Options{Prefix: prefix}) }
		})
	})
	t.Run("index_file", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) storetest.Opener {
			prefix, path := freshPrefix(), filepath.Join(t.TempDir(), "index.db")
			return func() (ledger.Store, error) {
				return Open(context.Background(), c.URL(0)+"&index="+url.QueryEscape(path), Options{Prefix: prefix})
			}
		})
	})
}

func freshPrefix() string {
	var b [6]byte
	rand.Read(b[:])
	return "ledgertest-" + hex.EncodeToString(b[:])
}

func newCluster(t *testing.T, n int, o harness.Options) *harness.Cluster {
	t.Helper()
	c, err := harness.New(n, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestNodeSeq(t *testing.T) {
	cases := []struct {
		level uint8
		index uint64
		seq   uint64
	}{
		{0, 0, 0}, {0, 7, 7}, {1, 0, 1}, {1, 3, 7}, {2, 0, 3}, {2, 1, 7}, {3, 0, 7}, {3, 2, 23},
	}
	for _, c := range cases {
		if got := nodeSeq(ledger.NodeID{Level: c.level, Index: c.index}); got != c.seq {
			t.Errorf("node (%d,%d) completed by %d, want %d", c.level, c.index, got, c.seq)
		}
	}
}

// recorder keeps every batch a ledger appends.
type recorder struct {
	ledger.Store
	batches []*ledger.Batch
}

func (r *recorder) Append(ctx context.Context, b *ledger.Batch) error {
	r.batches = append(r.batches, b)
	return r.Store.Append(ctx, b)
}

// TestEntryEvents checks the node scheme on real batches: every node a batch carries is
// completed by one of its entries and lands in that entry's metadata, the leaf first.
func TestEntryEvents(t *testing.T) {
	bs, err := boltstore.Open(filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	rec := &recorder{Store: bs}
	f := ledgertest.New(t)
	f.Init(t, rec)
	l := f.Open(t, rec, ledger.Options{MaxBatch: 7})
	f.Register(t, l, "county-00")
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 25 {
				if _, err := l.Append(context.Background(), f.Event(t, "county-00", "resource/r", g*100+i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	total := 0
	for _, b := range rec.batches {
		evs, err := entryEvents(b)
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range evs {
			m, err := decodeMeta(&esdb.RecordedEvent{EventNumber: b.Entries[i].Seq, UserMetadata: ev.Metadata})
			if err != nil {
				t.Fatal(err)
			}
			e := b.Entries[i]
			if m.Seq != e.Seq || m.Hash != e.Hash || m.Stream != e.Stream || m.StreamVersion != e.StreamVersion || m.ID != e.ID || ev.EventID != EntryEventID(e.Hash) || string(ev.Data) != string(e.Bytes) {
				t.Fatalf("entry %d: metadata %+v", e.Seq, m)
			}
			if len(m.Nodes) == 0 || m.Nodes[0].Level != 0 || m.Nodes[0].Index != e.Seq || m.Nodes[0].Hash != ledger.LeafHash(e.Bytes) {
				t.Fatalf("entry %d: nodes %+v do not start with its leaf", e.Seq, m.Nodes)
			}
			for _, n := range m.Nodes {
				if nodeSeq(ledger.NodeID{Level: n.Level, Index: n.Index}) != e.Seq {
					t.Fatalf("entry %d carries node (%d,%d)", e.Seq, n.Level, n.Index)
				}
			}
			total += len(m.Nodes)
		}
	}
	if h, _ := bs.Head(context.Background()); uint64(total) != 2*h.Size-uint64(popcount(h.Size)) {
		t.Fatalf("%d nodes for %d entries", total, h.Size)
	}
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func TestSplitParams(t *testing.T) {
	cases := []struct{ in, conn, prefix, retry string }{
		{"esdb://a:2113", "esdb://a:2113", "", ""},
		{"esdb://a:2113?tls=false&prefix=prov", "esdb://a:2113?tls=false", "prov", ""},
		{"esdb+discover://a:2113,b:2113?prefix=x&retryFor=20s", "esdb+discover://a:2113,b:2113", "x", "20s"},
	}
	for _, c := range cases {
		conn, own, err := splitParams(c.in)
		if err != nil || conn != c.conn || own["prefix"] != c.prefix || own["retryfor"] != c.retry {
			t.Errorf("splitParams(%q) = %q, %v, %v", c.in, conn, own, err)
		}
	}
	var o Options
	if err := o.fill(map[string]string{"calltimeout": "soon"}); err == nil {
		t.Error("a malformed callTimeout was accepted")
	}
}
