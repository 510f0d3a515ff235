package main

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/internal/bench"
)

// TestBenchSmall runs the whole benchmark at a tiny size: every figure is measured and
// the ratios are what they claim to be. Rates themselves are never asserted (the machine
// is shared); BENCH in docs/performance.md is the real run.
func TestBenchSmall(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := ledgerctl(t, "bench", "--data", dir, "--events", "300", "--duration", "40ms", "--submitters", "32", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	for _, k := range []string{"cores", "sm2_sign_per_s", "sm2_verify_per_s", "sm2_sign_per_s_1core", "sm2_verify_per_s_1core",
		"sm3_mb_per_s", "ingest_per_s", "verify_per_s", "ingest_ratio", "verify_ratio", "events",
		"sm2_verify_ledger_per_s", "ingest_ledger_verify_ratio", "verify_ledger_verify_ratio"} {
		if v, ok := raw[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, raw[k])
		}
	}
	var r bench.Result
	_ = json.Unmarshal([]byte(out), &r)
	if r.Events != 300 || math.Abs(r.IngestRatio-r.IngestPerS/r.Ceiling) > 1e-9 || math.Abs(r.VerifyRatio-r.VerifyPerS/r.Ceiling) > 1e-9 ||
		math.Abs(r.IngestLedgerVerifyRatio-r.IngestPerS/r.SM2VerifyLedgerPerS) > 1e-9 {
		t.Fatalf("inconsistent figures: %+v", r)
	}
	if r.BatchesCommitted == 0 || r.BatchesCommitted > 300 {
		t.Fatalf("%d group commits for 300 events", r.BatchesCommitted)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("the benchmark store was left behind: %v", ents)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "--data", t.TempDir(), "--events", "0"},
		{"bench", "--data", t.TempDir(), "--institutions", "99"},
	} {
		code, _, errOut := ledgerctl(t, args...)
		if code != exitUsage || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
