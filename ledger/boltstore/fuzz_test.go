package boltstore_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	bolt "go.etcd.io/bbolt"
)

// smallStore is a real ledger's store file with 1 KiB pages (so that the fuzzer's inputs
// stay small): genesis, a key registration and three events, whose entries span overflow
// pages. It is cut to the pages in use.
func smallStore(t testing.TB) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "small.db")
	db, err := bolt.Open(p, 0o600, &bolt.Options{PageSize: 1024, NoFreelistSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	l, err := ledger.Open(context.Background(), st, ledger.Options{Signer: f.LedgerKey, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	f.Register(t, l, "aba-health")
	for i := range 3 {
		if _, err := l.Append(context.Background(), f.Event(t, "aba-health", "case/c-1", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := bolttest.ReadMeta(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b[:m.HighWater*m.PageSize]
}

// FuzzOpenStoreFile opens any bytes as a store file, and reads and writes what opened:
// nothing may panic or fault. Open refuses what it cannot read (a *DamagedError or
// another error); a file it accepts must be one bbolt reads without a panic, so a
// *DamagedError from guard (bbolt panicked after all) fails the target: validate missed
// something.
func FuzzOpenStoreFile(f *testing.F) {
	good := smallStore(f)
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:len(good)/2])
	f.Add(append(append([]byte(nil), good...), "garbage"...))
	f.Add(make([]byte, 4096))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "ledger.db")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := boltstore.Open(p)
		if err != nil {
			return
		}
		defer st.Close()
		ctx := context.Background()
		check := func(what string, err error) {
			t.Helper()
			var de *boltstore.DamagedError
			if errors.As(err, &de) && (strings.Contains(de.Detail, "bbolt failed") || strings.Contains(de.Detail, "mapped file")) {
				t.Fatalf("%s on a file Open accepted: %v", what, err)
			}
		}
		none := func(ledger.RawEntry) error { return nil }
		_, err = st.Head(ctx)
		check("Head", err)
		check("Entries", st.Entries(ctx, 0, math.MaxUint64, none))
		check("Stream", st.Stream(ctx, "case/c-1", 0, none))
		_, err = st.Lookup(ctx, []string{"x", ""})
		check("Lookup", err)
		_, err = st.StreamVersions(ctx, []string{"case/c-1"})
		check("StreamVersions", err)
		_, err = st.Nodes(ctx, []ledger.NodeID{{Level: 0, Index: 0}, {Level: 0, Index: 1}, {Level: 1, Index: 0}})
		check("Nodes", err)
		check("Checkpoints", st.Checkpoints(ctx, func(ledger.Checkpoint) error { return nil }))
		_, err = st.LatestCheckpoint(ctx)
		check("LatestCheckpoint", err)
		check("Check", st.Check())
		_, err = ledger.Verify(ctx, st, ledger.VerifyOptions{Workers: 1})
		check("Verify", err)
		check("PutCheckpoint", st.PutCheckpoint(ctx, ledger.Checkpoint{Size: 0, Note: []byte("note")}))
	})
}
