package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/google/uuid"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAppend is the store's share of durable ingest: one fsynced transaction per
// batch of 800-byte entries spread over 2,000 streams, with their Merkle nodes. cpu-ns/entry
// is what the store costs the machine per entry (user and system time), the figure that
// competes with signature verification for the cores; ns/op includes waiting for the disk.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{16, 64, 256, 1024} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			st, err := boltstore.Open(filepath.Join(b.TempDir(), "ledger.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			body := make([]byte, 800)
			for i := range body {
				body[i] = 'a' + byte(i%26)
			}
			var seq uint64
			var prev ledger.Hash
			next := func() *ledger.Batch {
				bt := &ledger.Batch{}
				for range batch {
					h := crypto.SM3(append(body, byte(seq)))
					bt.Entries = append(bt.Entries, ledger.SealedEntry{Seq: seq, ID: uuid.Must(uuid.NewV7()).String(),
						Stream: fmt.Sprintf("share/app-%05d", (seq*7919)%2000), StreamVersion: seq/2000 + 1, Hash: h, Bytes: body})
					bt.Nodes = append(bt.Nodes, ledger.Node{ID: ledger.NodeID{Index: seq}, Hash: h})
					if seq%2 == 1 {
						bt.Nodes = append(bt.Nodes, ledger.Node{ID: ledger.NodeID{Level: 1, Index: seq / 2}, Hash: prev})
					}
					prev = h
					seq++
				}
				return bt
			}
			b.ResetTimer()
			c0 := cpuTime()
			for b.Loop() {
				if err := st.Append(context.Background(), next()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(seq), "cpu-ns/entry")
			b.ReportMetric(float64(b.Elapsed())/float64(seq), "ns/entry")
		})
	}
}
