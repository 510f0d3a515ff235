package search_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/search"
)

// BenchmarkSearch builds an index of N entries (100,000; 1,000,000 with
// LEDGER_BENCH_1M=1) spread over 200 institutions, 2,000 people, 5,000 resources and a
// year, then times selective queries an officer asks (a resource in a month, a person,
// an institution's exports in a week) and reports their p50 and p99.
func BenchmarkSearch(b *testing.B) {
	n := 100_000
	if os.Getenv("LEDGER_BENCH_1M") != "" {
		n = 1_000_000
	}
	x, err := search.Open(filepath.Join(b.TempDir(), "search.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	base := time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)
	types := []string{"data.collected.v1", "data.aggregated.v1", "data.processed.v1", "share.data_used.v1", "data.exported.v1"}
	start := time.Now()
	const chunk = 10_000
	for from := 0; from < n; from += chunk {
		es := make([]*ledger.Entry, 0, chunk)
		for i := from; i < min(n, from+chunk); i++ {
			res := fmt.Sprintf("res-%04d", (i*7919)%5000)
			at := base.Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(n)))
			es = append(es, &ledger.Entry{Seq: uint64(i), RecordedAt: at.Format(time.RFC3339Nano), Submission: ledger.Submission{
				ID: fmt.Sprintf("01900000-0000-7000-8000-%012d", i), Stream: "resource/" + res, Type: types[i%5],
				OccurredAt: at.Format(time.RFC3339Nano), Actor: ledger.Actor{Institution: fmt.Sprintf("inst-%03d", i%200), Person: fmt.Sprintf("p-%04d", (i*31)%2000)},
				Payload: []byte(`{"resource":"` + res + `"}`)}})
		}
		if err := x.Apply(context.Background(), es); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("indexed %d entries in %v (%.0f entries/s)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	d := calendar.MustParse
	queries := []search.Query{
		{Resource: "res-0042", From: d("2025-03-01"), To: d("2025-03-31")},
		{Person: "p-0777"},
		{Institution: "inst-017", Type: "data.exported.v1", From: d("2025-06-01"), To: d("2025-06-07")},
		{Resource: "res-1234"},
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if _, err := x.Search(context.Background(), queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
