package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// smallAppends is a store whose one append carries at most limit bytes, counted as a
// store with per-entry metadata would count them (EventStoreDB's AppendToStream under
// MaxAppendSize): the entries' bytes, a few hundred bytes per entry for ids and hashes,
// and each Merkle node. A larger batch is refused whole.
type smallAppends struct {
	ledger.Store
	limit int

	mu      sync.Mutex
	largest int
	batches int
}

func (s *smallAppends) MaxBatchBytes() int { return s.limit }

func (s *smallAppends) Append(ctx context.Context, b *ledger.Batch) error {
	n := 0
	for _, e := range b.Entries {
		n += len(e.Bytes) + 300 + len(e.ID) + len(e.Stream)
	}
	n += 100 * len(b.Nodes)
	s.mu.Lock()
	s.largest, s.batches = max(s.largest, n), s.batches+1
	s.mu.Unlock()
	if n > s.limit {
		return fmt.Errorf("batch of %d entries carries %d bytes, more than one append's %d", len(b.Entries), n, s.limit)
	}
	return s.Store.Append(ctx, b)
}

var _ ledger.BatchLimiter = (*smallAppends)(nil)

// TestBatchesFitTheStore: a store that says how many bytes one append carries
// (ledger.BatchLimiter) never gets a larger batch, however many submissions are queued.
func TestBatchesFitTheStore(t *testing.T) {
	st := &smallAppends{Store: newStore(t), limit: 32 << 10}
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "county-01")
	const n = 400
	subs := make([]*ledger.Signed, n)
	for i := range subs {
		subs[i] = f.Event(t, "county-01", fmt.Sprintf("resource/r%d", i%7), i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Append(ctx, s); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("an append failed: %v", err)
	}
	t.Logf("%d submissions in %d batches, the largest %d bytes (limit %d)", n, st.batches, st.largest, st.limit)
	if st.largest > st.limit {
		t.Fatalf("a batch of %d bytes reached a store that carries %d", st.largest, st.limit)
	}
	ledgertest.MustVerify(t, st)
}
