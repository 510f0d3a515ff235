package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// TestWatch: a reader on another connection hears each committed append's new size.
func TestWatch(t *testing.T) {
	url := pgtest.NewDatabase(t)
	writer, reader := open(t, url), open(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	sizes := make(chan uint64, 16)
	done := make(chan error, 1)
	go func() { done <- reader.Watch(ctx, func(n uint64) { sizes <- n }) }()
	time.Sleep(200 * time.Millisecond) // LISTEN in place

	f := ledgertest.New(t)
	f.Init(t, writer)
	l := f.Open(t, writer, ledger.Options{})
	f.Register(t, l, "county-00")
	for want := uint64(1); want <= 2; want++ {
		select {
		case n := <-sizes:
			if n != want {
				t.Fatalf("heard size %d, want %d", n, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no notification for size %d", want)
		}
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Watch returned %v, want context.Canceled", err)
	}
}
