package ledger_test

import (
	"errors"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// TestAppendBatchKeepsOrder: a batch's items reach the log in the order given, however
// their admission is spread over the cores: fifty acts each expecting the version the one
// before it leaves are all recorded; a refused item (a nil, or a bad signature) takes no
// version and stops none of the others.
func TestAppendBatchKeepsOrder(t *testing.T) {
	f, st, l := setup(t, ledger.Options{})
	k := f.Register(t, l, "county-01")
	var items []*ledger.Signed
	for v := range uint64(50) {
		sub := ledgertest.Submission("county-01", k.Public().ID(), "case/c-1", ledgertest.TypeDataCollected, map[string]any{"n": v})
		sub.ExpectedVersion = &v
		items = append(items, ledgertest.Sign(t, k, sub))
	}
	bad := f.Event(t, "county-01", "case/c-2", 1)
	bad.Signature = append([]byte(nil), items[0].Signature...)
	items = append(items[:10], append([]*ledger.Signed{nil, bad}, items[10:]...)...)
	rcs, errs := l.AppendBatch(ctx, items)
	next := uint64(1)
	for i, s := range items {
		switch {
		case s == nil:
			if errs[i] != nil || rcs[i] != (ledger.Receipt{}) {
				t.Fatalf("item %d (nil) answered %+v %v", i, rcs[i], errs[i])
			}
		case s == bad:
			if !errors.Is(errs[i], ledger.ErrUnauthorized) {
				t.Fatalf("item %d (bad signature): %v", i, errs[i])
			}
		default:
			if errs[i] != nil || rcs[i].StreamVersion != next {
				t.Fatalf("item %d: version %d, %v; want version %d", i, rcs[i].StreamVersion, errs[i], next)
			}
			next++
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, errs := l.AppendBatch(ctx, items[:1]); !errors.Is(errs[0], ledger.ErrClosed) {
		t.Fatalf("a batch after Close: %v", errs[0])
	}
	ledgertest.MustVerify(t, st)
}
