package boltstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// TestSnapshot: a copy taken while a writer appends opens as a store of its own whose head
// is the one begin was told, within the sizes before and after, and verifies; a begin
// that refuses writes nothing; a cancelled context stops the copy.
func TestSnapshot(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "aba-health")
	before := l.Size()

	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			if _, err := l.Append(context.Background(), f.Event(t, "aba-health", "case/c-1", i)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for l.Size() < before+20 { // let the writer get going
		time.Sleep(time.Millisecond)
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	refused := errors.New("refused")
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		begin   error
		wantErr error
	}{
		{"while_appending", context.Background(), nil, nil},
		{"begin_refuses", context.Background(), refused, refused},
		{"cancelled", cancelled, nil, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			var size int64
			var head ledger.Head
			err := st.Snapshot(tc.ctx, func(n int64, h ledger.Head) (io.Writer, error) {
				size, head = n, h
				return &buf, tc.begin
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if buf.Len() != 0 {
					t.Fatalf("%d bytes written after a failure", buf.Len())
				}
				return
			}
			if int64(buf.Len()) != size || head.Size <= before {
				t.Fatalf("%d bytes of %d announced; head %d (before %d)", buf.Len(), size, head.Size, before)
			}
			p := filepath.Join(t.TempDir(), "copy.db")
			if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			cp, err := boltstore.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer cp.Close()
			if h, _ := cp.Head(context.Background()); h != head {
				t.Fatalf("the copy's head %+v, announced %+v", h, head)
			}
			if r := ledgertest.MustVerify(t, cp); r.Entries != head.Size {
				t.Fatalf("verified %d entries, head %d", r.Entries, head.Size)
			}
		})
	}
	wg.Wait()
	if after := l.Size(); after != before+200 {
		t.Fatalf("appends lost: %d, want %d", after, before+200)
	}
}

// A copy of a running store, framed by its length: what GET /v1/snapshot streams.
func ExampleStore_Snapshot() {
	dir, _ := os.MkdirTemp("", "snapshot-example")
	defer os.RemoveAll(dir)
	st, err := boltstore.Open(filepath.Join(dir, "ledger.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	var copied bytes.Buffer
	err = st.Snapshot(context.Background(), func(size int64, head ledger.Head) (io.Writer, error) {
		fmt.Printf("entries: %d, length announced: %t\n", head.Size, size > 0)
		return &copied, nil
	})
	fmt.Println("copied:", err == nil && copied.Len() > 0)
	// Output:
	// entries: 0, length announced: true
	// copied: true
}
