package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// history is a ledger on a bbolt file in a temp dir, with a checkpoint directory beside
// it, that a test can close, copy, restore and reopen like an operator could.
type history struct {
	t    *testing.T
	dir  string
	f    *ledgertest.Fixture
	pub  *ledger.DirPublisher
	st   *boltstore.Store
	l    *ledger.Ledger
	next int
}

func newHistory(t *testing.T) *history {
	t.Helper()
	dir := t.TempDir()
	pub, err := ledger.NewDirPublisher(filepath.Join(dir, "checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	h := &history{t: t, dir: dir, f: ledgertest.New(t), pub: pub}
	h.st = h.openStore()
	h.f.Init(t, h.st)
	h.l = h.open(true)
	h.f.Register(t, h.l, "county-01")
	return h
}

func (h *history) db() string { return filepath.Join(h.dir, "ledger.db") }

func (h *history) openStore() *boltstore.Store {
	st, err := boltstore.Open(h.db())
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// open starts a ledger on the current store, with or without the publisher.
func (h *history) open(publish bool) *ledger.Ledger {
	h.t.Helper()
	l, err := h.tryOpen(publish)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

func (h *history) tryOpen(publish bool) (*ledger.Ledger, error) {
	opts := ledger.Options{Signer: h.f.LedgerKey, CheckpointEvery: -1}
	if publish {
		opts.Publisher = h.pub
	}
	return ledger.Open(context.Background(), h.st, opts)
}

func (h *history) append(n int) {
	h.t.Helper()
	for range n {
		h.next++
		if _, err := h.l.Append(context.Background(), h.f.Event(h.t, "county-01", fmt.Sprintf("resource/r-%d", h.next%3), h.next)); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *history) checkpoint() ledger.Checkpoint {
	h.t.Helper()
	c, err := h.l.Checkpoint(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// stop closes the ledger (if any) and the store.
func (h *history) stop() {
	h.t.Helper()
	if h.l != nil {
		if err := h.l.Close(); err != nil {
			h.t.Fatal(err)
		}
		h.l = nil
	}
	if err := h.st.Close(); err != nil {
		h.t.Fatal(err)
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func wantChainError(t *testing.T, err error, reason string) *ledger.ChainError {
	t.Helper()
	var ce *ledger.ChainError
	if !errors.As(err, &ce) || ce.Reason != reason {
		t.Fatalf("got %v, want a *ChainError with reason %q", err, reason)
	}
	return ce
}

func TestCheckpointsArePublished(t *testing.T) {
	h := newHistory(t)
	h.append(5)
	c1 := h.checkpoint()
	h.append(3)
	c2 := h.checkpoint()
	if c2.Size != c1.Size+3 {
		t.Fatalf("sizes %d then %d", c1.Size, c2.Size)
	}
	for _, c := range []ledger.Checkpoint{c1, c2} {
		got, err := h.pub.Get(c.Size)
		if err != nil || string(got.Note) != string(c.Note) {
			t.Fatalf("published %d.ckpt = %q, %v; want the signed checkpoint", c.Size, got.Note, err)
		}
	}
	latest, err := os.ReadFile(filepath.Join(h.pub.Dir(), "latest"))
	if err != nil || string(latest) != string(c2.Note) {
		t.Fatalf("latest = %q, %v", latest, err)
	}
	all, err := h.pub.All()
	if err != nil || len(all) < 2 {
		t.Fatalf("All = %d texts, %v", len(all), err)
	}
	h.stop()
	// A restart with everything intact opens.
	h.st = h.openStore()
	h.l = h.open(true)
	h.stop()
}

func TestOpenRefusesTruncatedStore(t *testing.T) {
	h := newHistory(t)
	h.append(4)
	h.checkpoint()
	h.stop()
	snapshot := filepath.Join(h.dir, "snapshot.db")
	copyFile(t, h.db(), snapshot)

	h.st = h.openStore()
	h.l = h.open(true)
	h.append(6)
	published := h.checkpoint()
	h.stop()

	// The operator puts back the older file: the store's own checkpoints go with it,
	// but the published one stays.
	copyFile(t, snapshot, h.db())
	h.st = h.openStore()
	defer h.st.Close()
	_, err := h.tryOpen(true)
	ce := wantChainError(t, err, "truncated")
	if ce.Seq != published.Size-6 {
		t.Fatalf("truncated at %d, want %d", ce.Seq, published.Size-6)
	}
	// Full verification with the published checkpoints finds it too; without them the
	// truncated store is self-consistent, which is why publication exists.
	texts, err := h.pub.All()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ledger.Verify(context.Background(), h.st, ledger.VerifyOptions{Checkpoints: texts})
	wantChainError(t, err, "truncated")
	if _, err := ledger.Verify(context.Background(), h.st, ledger.VerifyOptions{}); err != nil {
		t.Fatalf("the truncated store alone should verify: %v", err)
	}
}

func TestOpenRefusesRewrittenTail(t *testing.T) {
	h := newHistory(t)
	h.append(4)
	h.checkpoint()
	good := h.l.Size()
	h.stop()
	snapshot := filepath.Join(h.dir, "snapshot.db")
	copyFile(t, h.db(), snapshot)

	h.st = h.openStore()
	h.l = h.open(true)
	h.append(5)
	published := h.checkpoint()
	h.stop()

	// Roll back and append a different, properly signed tail that is longer than the
	// published log, through a ledger that does not publish (the operator's own).
	copyFile(t, snapshot, h.db())
	h.st = h.openStore()
	h.l = h.open(false)
	h.next += 100
	h.append(8)
	h.checkpoint()
	h.stop()

	h.st = h.openStore()
	defer h.st.Close()
	_, err := h.tryOpen(true)
	wantChainError(t, err, "rewritten")
	texts, err := h.pub.All()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ledger.Verify(context.Background(), h.st, ledger.VerifyOptions{Checkpoints: texts})
	ce := wantChainError(t, err, "checkpoint_mismatch")
	if ce.Seq > good {
		t.Fatalf("rewrite reported from seq %d; it started at %d", ce.Seq, good)
	}
	if !strings.Contains(ce.Detail, fmt.Sprint(published.Size)) {
		t.Fatalf("detail %q does not name the size %d", ce.Detail, published.Size)
	}
}

func TestOpenRefusesForeignPublishedCheckpoint(t *testing.T) {
	h := newHistory(t)
	h.append(2)
	c := h.checkpoint()
	h.stop()
	// A checkpoint for the same size signed by another key is not ours.
	other := ledgertest.New(t)
	forged, err := ledger.SignCheckpoint(h.f.Origin, c.Size+1, c.Root, other.LedgerKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.pub.Publish(context.Background(), forged); err != nil {
		t.Fatal(err)
	}
	h.st = h.openStore()
	defer h.st.Close()
	_, err = h.tryOpen(true)
	wantChainError(t, err, "bad_checkpoint")
}

// failingPublisher fails until told otherwise: a crash between storing a checkpoint and
// publishing it.
type failingPublisher struct {
	*ledger.DirPublisher
	fail bool
}

func (p *failingPublisher) Publish(ctx context.Context, c ledger.Checkpoint) error {
	if p.fail {
		return errors.New("disk full")
	}
	return p.DirPublisher.Publish(ctx, c)
}

func TestPublishRetriedAfterFailure(t *testing.T) {
	h := newHistory(t)
	h.append(3)
	first := h.checkpoint()
	h.stop()

	fp := &failingPublisher{DirPublisher: h.pub, fail: true}
	h.st = h.openStore()
	l, err := ledger.Open(context.Background(), h.st, ledger.Options{Signer: h.f.LedgerKey, CheckpointEvery: -1, Publisher: fp})
	if err != nil {
		t.Fatal(err)
	}
	h.l = l
	h.append(2)
	if _, err := l.Checkpoint(context.Background()); err == nil {
		t.Fatal("publishing failure not reported")
	}
	if c, _ := h.pub.Latest(context.Background()); c.Size != first.Size {
		t.Fatalf("published size %d, want still %d", c.Size, first.Size)
	}
	fp.fail = false
	c, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := h.pub.Latest(context.Background()); p.Size != c.Size {
		t.Fatalf("published size %d after retry, want %d", p.Size, c.Size)
	}
	h.stop()
}

func TestDirPublisher(t *testing.T) {
	ctx := context.Background()
	f := ledgertest.New(t)
	root := ledger.LeafHash([]byte("x"))
	sign := func(size uint64, r ledger.Hash) ledger.Checkpoint {
		c, err := ledger.SignCheckpoint(f.Origin, size, r, f.LedgerKey)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p, err := ledger.NewDirPublisher(filepath.Join(t.TempDir(), "ck"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Latest(ctx); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("empty Latest: %v", err)
	}
	c7, c9 := sign(7, root), sign(9, root)
	for _, c := range []ledger.Checkpoint{c9, c7} {
		if err := p.Publish(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := p.Latest(ctx); got.Size != 9 {
		t.Fatalf("Latest after publishing 9 then 7 = %d", got.Size)
	}
	// Re-publishing the same tree head (SM2 signatures differ each time) keeps the first.
	if err := p.Publish(ctx, sign(9, root)); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Get(9); string(got.Note) != string(c9.Note) {
		t.Fatal("re-publishing replaced the first copy")
	}
	// Never two checkpoints of one size with different roots.
	err = p.Publish(ctx, sign(9, ledger.LeafHash([]byte("y"))))
	wantChainError(t, err, "rewritten")
	// Removing latest hides nothing.
	if err := os.Remove(filepath.Join(p.Dir(), "latest")); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Latest(ctx); err != nil || got.Size != 9 {
		t.Fatalf("Latest without the latest file = %d, %v", got.Size, err)
	}
	// Signatures merge once.
	line := []byte("— witness.example+1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	body := ledger.CheckpointBody(f.Origin, 9, root)
	for range 2 {
		if err := p.AddSignatures(ctx, body, [][]byte{line}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.AddSignatures(ctx, ledger.CheckpointBody(f.Origin, 9, ledger.LeafHash(nil)), [][]byte{line}); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("cosignature for another root: %v", err)
	}
	if err := p.AddSignatures(ctx, ledger.CheckpointBody(f.Origin, 8, root), [][]byte{line}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("cosignature for an unpublished size: %v", err)
	}
	got, _ := p.Get(9)
	if n := strings.Count(string(got.Note), string(line)); n != 1 {
		t.Fatalf("cosignature appears %d times in %q", n, got.Note)
	}
	if sigs := ledger.NoteSignatures(got.Note); len(sigs) != 2 {
		t.Fatalf("NoteSignatures = %q", sigs)
	}
	// Checkpoints published by tools under <zero-padded size>.checkpoint count too.
	c12 := sign(12, root)
	if err := os.WriteFile(filepath.Join(p.Dir(), "000000000012.checkpoint"), c12.Note, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Latest(ctx); err != nil || got.Size != 12 {
		t.Fatalf("Latest with a .checkpoint file = %d, %v", got.Size, err)
	}
	wantChainError(t, p.Publish(ctx, sign(12, ledger.LeafHash([]byte("z")))), "rewritten")
	// No temporary files are left behind.
	des, _ := os.ReadDir(p.Dir())
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") {
			t.Fatalf("left %s behind", de.Name())
		}
	}
}

func TestDirPublisherKeepsTheNewest(t *testing.T) {
	h := newHistory(t)
	h.pub.Keep = 3
	var sizes []uint64
	for range 6 {
		h.append(1)
		sizes = append(sizes, h.checkpoint().Size)
	}
	all, err := h.pub.All()
	if err != nil || len(all) != 3 {
		t.Fatalf("retained %d checkpoint files, %v; want 3", len(all), err)
	}
	if _, err := h.pub.Get(sizes[2]); err == nil {
		t.Fatalf("checkpoint %d survived pruning", sizes[2])
	}
	for _, s := range sizes[3:] {
		if _, err := h.pub.Get(s); err != nil {
			t.Fatalf("newest checkpoint %d pruned: %v", s, err)
		}
	}
	// The newest still anchors the store: a restart checks against it.
	h.stop()
	h.st = h.openStore()
	h.l = h.open(true)
	h.stop()
}

// TestOnCorruptReportsIntegrityFailures: a publication that already holds a different
// checkpoint of the size being signed (the store was rewritten behind the ledger's back,
// or the key signed a fork) is reported to OnCorrupt; a mere I/O failure is not.
func TestOnCorruptReportsIntegrityFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		forge  bool // publish a different same-size checkpoint first
		fail   bool // the publisher fails with a plain error
		reason string
	}{
		{name: "rewritten", forge: true, reason: "rewritten"},
		{name: "disk_full", fail: true},
		{name: "healthy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHistory(t)
			h.append(2)
			first := h.checkpoint()
			h.stop()

			var got []*ledger.ChainError
			fp := &failingPublisher{DirPublisher: h.pub, fail: tc.fail}
			h.st = h.openStore()
			l, err := ledger.Open(context.Background(), h.st, ledger.Options{Signer: h.f.LedgerKey, CheckpointEvery: -1,
				Publisher: fp, OnCorrupt: func(ce *ledger.ChainError) { got = append(got, ce) }})
			if err != nil {
				t.Fatal(err)
			}
			h.l = l
			h.append(1)
			if tc.forge {
				forged, err := ledger.SignCheckpoint(h.f.Origin, l.Size(), first.Root, h.f.LedgerKey)
				if err != nil {
					t.Fatal(err)
				}
				if err := h.pub.Publish(context.Background(), forged); err != nil {
					t.Fatal(err)
				}
			}
			_, err = l.Checkpoint(context.Background())
			if (err != nil) != (tc.forge || tc.fail) {
				t.Fatalf("Checkpoint: %v", err)
			}
			switch {
			case tc.reason == "" && len(got) != 0:
				t.Fatalf("reported %v, want nothing", got)
			case tc.reason != "" && (len(got) != 1 || got[0].Reason != tc.reason):
				t.Fatalf("reported %v, want one %q", got, tc.reason)
			}
			fp.fail = false
			l.Close() // fails again when forged: the publication still disagrees
			if err := h.st.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
