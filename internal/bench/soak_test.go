package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// soakDuration is the mixed phase of TestSoak: short by default, to keep CI within its
// budget; LEDGER_SOAK_DURATION (a Go duration, e.g. 10m) lengthens it.
func soakDuration(t *testing.T) time.Duration {
	s := os.Getenv("LEDGER_SOAK_DURATION")
	if s == "" {
		return 15 * time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("LEDGER_SOAK_DURATION=%q: want a positive duration such as 60s", s)
	}
	return d
}

// buildLedgerd builds the real server once for the package's tests.
func buildLedgerd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ledgerd")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/ledgerd").CombinedOutput(); err != nil {
		t.Fatalf("building ledgerd: %v\n%s", err, out)
	}
	return bin
}

// TestSoak runs the soak against a real ledgerd over loopback: capacity measured, then
// appends at half of it mixed with checkpoints, consistency and inclusion proofs,
// searches and reports. Every operation ran and none failed, every acknowledged
// submission is read back at its seq with its hash, and the server stopped cleanly.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ledgerd and runs for LEDGER_SOAK_DURATION (default 15s)")
	}
	bin := buildLedgerd(t)
	dir := t.TempDir()
	res, err := Soak(context.Background(), SoakConfig{Ledgerd: bin, Dir: dir, Duration: soakDuration(t), Burst: 1000, Log: tlog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	ran := map[string]OpStats{}
	for _, o := range res.Ops {
		ran[o.Op] = o
		t.Logf("%s: %d, failed %d %v, latency %+v", o.Op, o.Count, o.Failed, o.Errors, o.Latency)
	}
	for _, op := range soakOps {
		if o := ran[op]; o.Count == 0 || o.Failed != 0 || o.Latency == nil {
			t.Errorf("%s: %+v", op, o)
		}
	}
	if !res.OK || res.Errors != 0 || res.Lost != 0 || res.LostIDs != nil || res.LedgerdExited != "" {
		t.Errorf("soak not clean: %+v", res)
	}
	if res.Acked <= int64(1000) || res.Present != res.Acked || res.FinalSize < uint64(res.Acked) {
		t.Errorf("acked %d, present %d, final tree size %d", res.Acked, res.Present, res.FinalSize)
	}
	if res.CapacityPerS <= 0 || res.TargetPerS != res.CapacityPerS/2 {
		t.Errorf("capacity %v, target %v: want half the capacity", res.CapacityPerS, res.TargetPerS)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the soak's data directory was left behind: %v", ents)
	}
}

// tlog writes the soak's progress lines to the test log.
type tlog struct{ t *testing.T }

func (l tlog) Write(b []byte) (int, error) { l.t.Log(string(b)); return len(b), nil }
