package pgstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// lockSpy is a store whose LockHead first reports to a hook, so a test can see what the
// sequencer had done before it queued for the lock.
type lockSpy struct {
	*pgstore.Store
	before func()
}

func (s *lockSpy) LockHead(ctx context.Context) (ledger.Head, func(), error) {
	if s.before != nil {
		s.before()
	}
	return s.Store.LockHead(ctx)
}

// TestCatchUpBeforeTheLock: a writer that finds the log grown by another writer folds
// those entries before it queues for the head lock, so that only what is committed
// while it waits is left to fold inside the critical section, and the hooks still see
// every entry once, in order.
func TestCatchUpBeforeTheLock(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	f := ledgertest.New(t)
	stA := open(t, url)
	f.Init(t, stA)
	a := f.Open(t, stA, ledger.Options{})
	f.Register(t, a, "county-00")

	var b atomic.Pointer[ledger.Ledger]
	var mu sync.Mutex
	type sample struct{ folded, stored uint64 }
	var samples []sample
	spy := &lockSpy{Store: open(t, url)}
	spy.before = func() {
		l := b.Load()
		if l == nil {
			return
		}
		h, err := spy.Head(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		samples = append(samples, sample{l.Size(), h.Size})
		mu.Unlock()
	}
	var seen []uint64
	rec := func(es []*ledger.Entry) {
		for _, e := range es {
			seen = append(seen, e.Seq)
		}
	}
	// No idle following: what B folds, it folds because it is about to append.
	bl := f.Open(t, spy, ledger.Options{FollowEvery: -1, OnCommit: rec, OnCatchUp: rec})
	b.Store(bl)
	start := bl.Size()

	// A commits a few hundred entries; B knows nothing of them yet.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				if _, err := a.Append(ctx, f.Event(t, "county-00", fmt.Sprintf("resource/g%d", g), i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	grown := a.Size()
	if bl.Size() != start {
		t.Fatalf("B followed while idle (%d → %d)", start, bl.Size())
	}
	if _, err := bl.Append(ctx, f.Event(t, "county-00", "resource/b", 1)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(samples) == 0 {
		t.Fatal("B never queued for the head lock")
	}
	s := samples[0]
	t.Logf("when B queued for the lock it had folded %d of %d entries (%d behind before)", s.folded, s.stored, grown-start)
	if s.folded != s.stored {
		t.Errorf("B queued for the head lock %d entries behind: it folds the others' entries inside the critical section", s.stored-s.folded)
	}
	for i, seq := range seen {
		if seq != start+uint64(i) {
			t.Fatalf("hooks saw seq %d at position %d, want %d", seq, i, start+uint64(i))
		}
	}
	if uint64(len(seen)) != bl.Size()-start {
		t.Fatalf("hooks saw %d entries, the log grew by %d", len(seen), bl.Size()-start)
	}
	// The tree grown from the stored leaves is the log's.
	fresh := f.Open(t, open(t, url), ledger.Options{FollowEvery: -1})
	if size, root := bl.Root(); fresh.Size() != size || func() ledger.Hash { _, r := fresh.Root(); return r }() != root {
		t.Fatalf("B's tree after catching up differs from the log's")
	}
	ledgertest.MustVerify(t, stA)
}

// BenchmarkCatchUp measures folding another writer's entries: a ledger that has not
// followed opens the way to its next append through b.N entries (with the OnCatchUp hook
// set, as ledgerd sets it).
func BenchmarkCatchUp(b *testing.B) {
	url := pgtest.NewDatabase(b)
	ctx := context.Background()
	f := ledgertest.New(b)
	st := open(b, url)
	f.Init(b, st)
	a := f.Open(b, st, ledger.Options{})
	f.Register(b, a, "county-00")
	n := 0
	l := f.Open(b, open(b, url), ledger.Options{FollowEvery: -1, OnCatchUp: func(es []*ledger.Entry) { n += len(es) }})
	var wg sync.WaitGroup
	per := (b.N + 7) / 8
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := a.Append(ctx, f.Event(b, "county-00", fmt.Sprintf("resource/g%d", g), i)); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	ev := f.Event(b, "county-00", "resource/x", 1)
	b.ResetTimer()
	t0, c0 := time.Now(), cpuTime()
	if _, err := l.Append(ctx, ev); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(t0).Nanoseconds())/float64(max(n, 1)), "ns/entry")
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(max(n, 1)), "cpu-ns/entry")
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCatchUpRefusesABrokenChain: catch-up trusts the hashes recorded with the entries
// instead of re-hashing every one, but still refuses, and reports, entries that do not
// link up: a recorded hash changed in the middle (the next entry's prev_hash no longer
// matches), and the last entry's bytes changed (they no longer hash to the head).
func TestCatchUpRefusesABrokenChain(t *testing.T) {
	const unarm = "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only; "
	for _, c := range []struct {
		name, sql, reason string
	}{
		{"recorded_hash", "UPDATE ledger_entries SET hash = sha256(hash) WHERE seq = (SELECT size - 3 FROM ledger_head)", "bad_prev_hash"},
		{"last_body", "UPDATE ledger_entries SET body = convert_to(replace(convert_from(body, 'UTF8'), '\"records\":', '\"records\":1'), 'UTF8') WHERE seq = (SELECT size - 1 FROM ledger_head)", "bad_entry_hash"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := pgtest.NewDatabase(t)
			ctx := context.Background()
			f := ledgertest.New(t)
			stA := open(t, url)
			f.Init(t, stA)
			a := f.Open(t, stA, ledger.Options{})
			f.Register(t, a, "county-00")
			var reported []*ledger.ChainError
			var mu sync.Mutex
			b := f.Open(t, open(t, url), ledger.Options{FollowEvery: -1, OnCorrupt: func(ce *ledger.ChainError) {
				mu.Lock()
				reported = append(reported, ce)
				mu.Unlock()
			}})
			for i := range 10 {
				if _, err := a.Append(ctx, f.Event(t, "county-00", "resource/r", i)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := stA.Pool().Exec(ctx, unarm+c.sql); err != nil {
				t.Fatal(err)
			}
			_, err := b.Append(ctx, f.Event(t, "county-00", "resource/b", 1))
			if err == nil || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("append over a broken chain: %v, want %s", err, c.reason)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(reported) == 0 || reported[0].Reason != c.reason {
				t.Fatalf("reported %v, want %s", reported, c.reason)
			}
		})
	}
}

// plainShared is a shared store without the LeafReader power, as a backend that keeps
// no leaf hashes would be.
type plainShared struct {
	ledger.Store
	ledger.HeadLocker
}

// TestCatchUpWithoutStoredLeaves: on a store that does not hand out leaf hashes the
// sequencer hashes the leaves of a short catch-up and reads the frontier of a long one
// from the stored nodes; either way its tree is the log's: its root equals that of a
// ledger opened afresh, and its appends verify.
func TestCatchUpWithoutStoredLeaves(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	f := ledgertest.New(t)
	stA := open(t, url)
	f.Init(t, stA)
	a := f.Open(t, stA, ledger.Options{})
	f.Register(t, a, "county-00")
	stB := open(t, url)
	b := f.Open(t, plainShared{stB, stB}, ledger.Options{FollowEvery: -1})
	for _, n := range []int{3, 100, 1, 40, 31, 32, 33} { // short and long catch-ups
		for i := range n {
			if _, err := a.Append(ctx, f.Event(t, "county-00", "resource/a", i)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.Append(ctx, f.Event(t, "county-00", "resource/b", n)); err != nil {
			t.Fatal(err)
		}
		fresh := f.Open(t, open(t, url), ledger.Options{FollowEvery: -1})
		size, root := b.Root()
		fsize, froot := fresh.Root()
		if size != fsize || root != froot {
			t.Fatalf("after a catch-up of %d: the writer's tree is %d %x, the log's %d %x", n, size, root, fsize, froot)
		}
	}
	ledgertest.MustVerify(t, stA)
}

// headHook is a store that runs a hook after each Head, as if another writer acted
// between that read and the next.
type headHook struct {
	*pgstore.Store
	after func()
}

func (s *headHook) Head(ctx context.Context) (ledger.Head, error) {
	h, err := s.Store.Head(ctx)
	if s.after != nil {
		s.after()
	}
	return h, err
}

// TestOpenWhileOthersCheckpoint: a writer opening the ledger while another appends and
// signs checkpoints must not take the others' newer checkpoint for a truncated store.
// (A front-end restarted under load refused to start: "truncated: a checkpoint covers
// 25673 entries but the store holds 25641", its head read before the checkpoint.)
func TestOpenWhileOthersCheckpoint(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	f := ledgertest.New(t)
	stA := open(t, url)
	f.Init(t, stA)
	a := f.Open(t, stA, ledger.Options{})
	f.Register(t, a, "county-00")
	var once sync.Once
	st := &headHook{Store: open(t, url)}
	st.after = func() {
		once.Do(func() {
			if _, err := a.Append(ctx, f.Event(t, "county-00", "resource/r", 1)); err != nil {
				t.Error(err)
			}
			if _, err := a.Checkpoint(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: f.LedgerKey, CheckpointEvery: -1})
	if err != nil {
		t.Fatalf("opening while another writer checkpoints: %v", err)
	}
	defer l.Close()
	if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/r", 2)); err != nil {
		t.Fatal(err)
	}
	ledgertest.MustVerify(t, stA)
}
