package ledgertest_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// TestEventPassesTheChecker: the fixture's events are catalogue-valid, so suites that
// open the ledger as ledgerd does (with commands.Checker) can use them; a stream the
// catalogue does not allow for data.collected.v1 is still refused.
func TestEventPassesTheChecker(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	chk := commands.NewChecker(registry.New(), f.LedgerKey, nil)
	opts := ledger.Options{}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	f.Enrol(t, l, ledgertest.Authority)
	f.Enrol(t, l, "county-01")
	for i, stream := range []string{"resource/r-0001", "resource/aba-stats.county-economy", "resource/r"} {
		if _, err := l.Append(context.Background(), f.Event(t, "county-01", stream, i)); err != nil {
			t.Fatalf("%s: %v", stream, err)
		}
	}
	_, err = l.Append(context.Background(), f.Event(t, "county-01", "dataset/health", 3))
	if p, ok := errors.AsType[*ledger.Problem](err); !ok || p.Code != "bad_stream" {
		t.Fatalf("an event off its resource stream: %v", err)
	}
	ledgertest.MustVerify(t, st)
}
