package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// TestSyncFailureStopsWrites: a commit that fails as a failed fdatasync does (EIO) is
// refused as store_write_failed (ledger.ErrUnavailable), nothing of it is stored, every
// later append is refused without touching the file, reads go on, and the store opened
// again takes appends where the acknowledged ones ended. A full disk (ENOSPC) is refused
// as disk_full and the next append goes through.
func TestSyncFailureStopsWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	lk, _ := crypto.GenerateKey()
	root, _ := crypto.GenerateKey()
	if err := ledger.Initialize(ctx, st, lk, root.Public(), "aba-data-bureau", "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: lk, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	rec := func() (ledger.Receipt, error) {
		s, err := ledger.SignSubmission(lk, ledger.Submission{ID: uuid.Must(uuid.NewV7()).String(), Stream: "ledger/test", Type: "ledger.test.v1",
			OccurredAt: time.Now().UTC().Format(time.RFC3339Nano), Actor: ledger.Actor{Institution: "aba-data-bureau", Person: "ops", KeyID: lk.Public().ID()}, Payload: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		return l.Append(ctx, s)
	}
	if _, err := rec(); err != nil {
		t.Fatal(err)
	}
	st.failCommit = func() error { return fmt.Errorf("write: %w", syscall.ENOSPC) }
	if _, err := rec(); !isProblem(err, "disk_full") {
		t.Fatalf("a full disk: %v", err)
	}
	st.failCommit = nil
	if _, err := rec(); err != nil {
		t.Fatalf("no resume once space is back: %v", err)
	}
	st.failCommit = func() error { return syscall.EIO }
	if _, err := rec(); !isProblem(err, "store_write_failed") {
		t.Fatalf("a failed sync: %v", err)
	}
	st.failCommit = nil
	if _, err := rec(); !isProblem(err, "store_write_failed") || !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("an append after a failed sync: %v", err)
	}
	if h, err := st.Head(ctx); err != nil || h.Size != 3 {
		t.Fatalf("reads after a failed sync: size %d, %v (want 3: genesis and two acknowledged)", h.Size, err)
	}
	l.Close()
	st.Close()
	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if l, err = ledger.Open(ctx, st, ledger.Options{Signer: lk, CheckpointEvery: -1}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if r, err := rec(); err != nil || r.Seq != 3 {
		t.Fatalf("after reopening: seq %d, %v", r.Seq, err)
	}
	if _, err := ledger.Verify(ctx, st, ledger.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

func isProblem(err error, code string) bool {
	p, ok := errors.AsType[*ledger.Problem](err)
	return ok && p.Code == code && p.MessageZH != "" && errors.Is(p, ledger.ErrUnavailable)
}
