// Package livetest starts a ledger HTTP server wired as ledgerd wires its metrics, with
// traffic on it, so that the monitoring tests check their rules and dashboards against
// the series a real server exports rather than against a list typed by hand.
package livetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Server is a running ledger server. Its compliance series come from Compliance, set
// by Start to one overdue obligation (D1, 第16条), an open F17 and a raised F18.
type Server struct {
	URL        string
	Compliance *compliance.Static
	Ledger     *ledger.Ledger
}

// Start serves a fresh ledger on an httptest server and drives every kind of series:
// created and refused submissions, a group commit, a checkpoint, and one real integrity
// failure (a publication that already holds another checkpoint of the size signed).
func Start(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	st, err := boltstore.Open(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub, err := ledger.NewDirPublisher(filepath.Join(dir, "checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := api.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	src := &compliance.Static{}
	if err := compliance.Register(reg, src); err != nil {
		t.Fatal(err)
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{CheckpointEvery: -1, Publisher: pub, OnCommit: m.ObserveBatch, OnCorrupt: m.VerifyFailure})
	f.Register(t, l, "county-health")
	a, err := api.New(api.Config{Ledger: l, Metrics: m, Gatherer: reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	s := &Server{URL: srv.URL, Compliance: src, Ledger: l}

	for i := range 3 {
		s.post(t, body(f.Event(t, "county-health", "resource/r-1", i)), http.StatusCreated)
	}
	s.post(t, `{}`, http.StatusBadRequest)
	if _, err := l.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One more entry, and the publication already holds a different checkpoint of the
	// new size: signing it is refused as an integrity failure.
	s.post(t, body(f.Event(t, "county-health", "resource/r-1", 3)), http.StatusCreated)
	forged, err := ledger.SignCheckpoint(f.Origin, l.Size(), ledger.Hash{1}, f.LedgerKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(context.Background(), forged); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(context.Background()); err == nil {
		t.Fatal("a checkpoint disagreeing with the publication was accepted")
	}

	src.Set([]compliance.Overdue{{Deadline: "D1", Institution: "county-health", Article: "16", Count: 2}},
		[]compliance.Finding{
			{Rule: "F17", Institution: "county-health", Article: "41", Open: 1, Raised: 1},
			{Rule: "F18", Institution: "county-edu", Article: "42", Open: 0, Raised: 1},
		}, l.Size())
	return s
}

func body(e *ledger.Signed) string {
	return `{"submission":` + string(e.Canonical) + `,"signature":"` + base64.StdEncoding.EncodeToString(e.Signature) + `"}`
}

func (s *Server) post(t testing.TB, b string, want int) {
	t.Helper()
	resp, err := http.Post(s.URL+"/v1/events", "application/json", bytes.NewReader([]byte(b)))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("POST /v1/events: %d %s, want %d", resp.StatusCode, out, want)
	}
}

// Scrape returns GET /metrics.
func (s *Server) Scrape(t testing.TB) string {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

var sampleName = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]`)

// SeriesNames returns the names of the samples in a Prometheus text exposition
// (histograms as their _bucket, _sum and _count series), plus "up", which Prometheus
// adds to every scrape.
func SeriesNames(exposition string) map[string]bool {
	names := map[string]bool{"up": true}
	for _, line := range strings.Split(exposition, "\n") {
		if m := sampleName.FindStringSubmatch(line); m != nil {
			names[m[1]] = true
		}
	}
	return names
}
