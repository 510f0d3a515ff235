package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/internal/bench"
)

// TestSoakCommand: `ledgerctl soak` starts the ledgerd it is given, runs the mixed soak
// and exits 0 with a clean result. It is short: the soak itself is held to its promises,
// for longer, by internal/bench's TestSoak.
func TestSoakCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ledgerd")
	}
	bin := filepath.Join(t.TempDir(), "ledgerd")
	if out, err := exec.Command("go", "build", "-o", bin, "../ledgerd").CombinedOutput(); err != nil {
		t.Fatalf("building ledgerd: %v\n%s", err, out)
	}
	dir := t.TempDir()
	code, out, errOut := ledgerctl(t, "soak", "--ledgerd", bin, "--data", dir, "--duration", "3s", "--burst", "300", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, out, errOut)
	}
	var r bench.SoakResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !r.OK || r.Acked <= 300 || r.Present != r.Acked || r.Errors != 0 || !strings.HasPrefix(r.Institution, "load-") {
		t.Fatalf("result %+v", r)
	}
	if !strings.Contains(errOut, "measuring capacity 测量容量") {
		t.Errorf("no progress on stderr: %s", errOut)
	}
}

func TestSoakUsage(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no ledgerd to find
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"soak", "--duration", "0s"}, "must be positive"},
		{"", []string{"soak", "--rate", "-1"}, "--rate not negative"},
		{"", []string{"soak", "--duration", "1s"}, "pass --ledgerd PATH"},
		{"soon", []string{"soak"}, "LEDGER_SOAK_DURATION"},
		{"-5m", []string{"soak"}, "LEDGER_SOAK_DURATION"},
	} {
		t.Setenv("LEDGER_SOAK_DURATION", tc.env)
		code, _, errOut := ledgerctl(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v (env %q): exit %d, want %d with one line containing %q: %q", tc.args, tc.env, code, exitUsage, tc.want, errOut)
		}
	}
}

// TestPrintSoak: the human report has both languages' headers, a row per operation that
// ran, each failure by code, the lost ids, and a verdict.
func TestPrintSoak(t *testing.T) {
	r := bench.SoakResult{Server: "http://127.0.0.1:1", Institution: "load-x", DurationS: 60, CapacityPerS: 2000, TargetPerS: 1000, AppendedPerS: 998,
		Ops: []bench.OpStats{
			{Op: bench.OpAppend, Count: 59880, Latency: &bench.Latencies{P50: 3.25, P99: 41}},
			{Op: bench.OpReport, Count: 12, Failed: 2, Errors: map[string]int64{"network": 2}, Latency: &bench.Latencies{P50: 20, P99: 90}},
		},
		Errors: 2, Acked: 61880, Present: 61879, Lost: 1, LostIDs: []string{"0190-lost"}}
	var b bytes.Buffer
	if err := printSoak(&b, r, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"operation 操作", "p99 ms", "append 写入", "59880", "3.2", "41.0", "report 报表",
		"failed 失败 report network: 2", "acknowledged 已确认: 61880; present 已回读: 61879; lost 丢失: 1", "lost 丢失: 0190-lost", "result 结论: FAILED 未通过"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "inclusion") {
		t.Errorf("an operation that did not run is listed:\n%s", out)
	}
}
