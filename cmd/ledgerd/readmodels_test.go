package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
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
