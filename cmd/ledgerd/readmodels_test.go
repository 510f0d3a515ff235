package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
)

// TestReadModelLagObserved: every read model's follower reports, per applied batch, how
// long after sealing it folded the batch's last entry (ledger_readmodel_lag_seconds),
// so that a model falling behind under load shows on the dashboard and in its p99.
func TestReadModelLagObserved(t *testing.T) {
	url, stop, logs := start(t, nil, "--data", filepath.Join(t.TempDir(), "data"))
	defer stop()
	count := func(model string) float64 {
		re := regexp.MustCompile(`(?m)^ledger_readmodel_lag_seconds_count\{model="` + model + `"\} (\S+)$`)
		m := re.FindStringSubmatch(scrape(t, url))
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	for _, model := range []string{"search", "findings", "assessment"} {
		deadline := time.Now().Add(20 * time.Second)
		for count(model) <= 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no lag observed for %s (count %v); logs:\n%s", model, count(model), logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestCaughtUpEntriesAreHashedBeforeTheModels: entries another front-end committed reach
// this one's read models from its sequencer's catch-up only if their bytes hash to
// their recorded hashes (the sequencer checks only the last); one altered entry keeps
// the whole batch from the models, which then read the store and fail on it there.
func TestCaughtUpEntriesAreHashedBeforeTheModels(t *testing.T) {
	f, st, l := bolttest.Ledger(t, ledger.Options{})
	f.Register(t, l, "county-01")
	for i := range 3 {
		if _, err := l.Append(context.Background(), f.Event(t, "county-01", "resource/r", i)); err != nil {
			t.Fatal(err)
		}
	}
	var es []*ledger.Entry
	if err := st.Entries(context.Background(), 0, l.Size(), func(r ledger.RawEntry) error {
		e, err := ledger.ParseEntry(bytes.Clone(r.Bytes))
		es = append(es, e)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !intact(es) {
		t.Fatal("stored entries judged altered")
	}
	i := bytes.LastIndex(es[2].Bytes, []byte(`"records":`))
	es[2].Bytes[i+len(`"records":`)] ^= 1 // one digit of one entry
	if intact(es) {
		t.Fatal("an altered entry passed as intact")
	}
}
