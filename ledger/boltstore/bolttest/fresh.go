package bolttest

import (
	"path/filepath"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// Store is a fresh store in the test's temporary directory, closed when the test ends.
func Store(t testing.TB) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Ledger is a fresh store with a genesis entry and a ledger open on it with opts: what
// most tests of the ledger and the layers above it start from.
func Ledger(t testing.TB, opts ledger.Options) (*ledgertest.Fixture, *boltstore.Store, *ledger.Ledger) {
	t.Helper()
	st := Store(t)
	f := ledgertest.New(t)
	f.Init(t, st)
	return f, st, f.Open(t, st, opts)
}
