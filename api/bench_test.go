package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkPostEvent is POST /v1/events end to end over loopback HTTP, wired as ledgerd
// wires it (catalogue checker, metrics): decode, domain check, SM2 verification, group
// commit with fsync. Compare events/s with the machine's SM2 verification ceiling
// (shared/bench/ceiling); the submissions are signed before the timer starts.
func BenchmarkPostEvent(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	f := ledgertest.New(b)
	f.Init(b, st)
	reg := prometheus.NewRegistry()
	m, err := api.NewMetrics(reg)
	if err != nil {
		b.Fatal(err)
	}
	chk := commands.NewChecker(registry.New(), f.LedgerKey, slog.New(slog.DiscardHandler))
	opts := ledger.Options{OnCommit: m.ObserveBatch}
	chk.Wire(&opts)
	l := f.Open(b, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		b.Fatal(err)
	}
	f.Enrol(b, l, ledgertest.Authority)
	a, err := api.New(api.Config{Ledger: l, Metrics: m, Gatherer: reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	f.Enrol(b, l, "county-health")
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = body(f.Event(b, "county-health", "resource/county-health.r-0001", i))
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var next atomic.Int64
	b.SetParallelism(256 / runtime.GOMAXPROCS(0)) // enough requests in flight to fill a group commit
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			resp, err := hc.Post(srv.URL+"/v1/events", "application/json", bytes.NewReader(bodies[i]))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body) // read to the end, or the connection is not reused
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
