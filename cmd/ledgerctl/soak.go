package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/internal/bench"
	"github.com/rivo/uniseg"
	"github.com/spf13/cobra"
)

func init() { register(newSoakCmd) }

// soakDefault is how long a soak runs without --duration: LEDGER_SOAK_DURATION when set,
// else ten minutes (the figure docs/performance.md reports).
func soakDefault() (time.Duration, error) {
	s := os.Getenv("LEDGER_SOAK_DURATION")
	if s == "" {
		return 10 * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("LEDGER_SOAK_DURATION=%q is not a positive duration such as 10m (须为正的时长)", s)
	}
	return d, nil
}

func newSoakCmd() *cobra.Command {
	var (
		cfg           bench.SoakConfig
		server, token string
		asJSON        bool
	)
	c := &cobra.Command{
		Use:   "soak [--duration 10m] [--server URL --token T | --ledgerd PATH]",
		Short: "Run mixed appends, proofs, searches and reports against ledgerd for a bounded time 浸泡测试",
		Long: `Start ledgerd on a fresh temporary data directory and a loopback port (or use --server
with a token that may read every entry and report), register a load institution, measure
the append capacity with a short burst (or take --rate), then for --duration append at
half of that capacity while reading checkpoints (signature checked, consistency proofs
verified between them), inclusion proofs of acknowledged entries (verified against the
signed root), searches and reports. At the end every acknowledged submission is read
back, its seq and hash compared with the acknowledgement.

Prints p50/p99 latency and error counts per operation, and acknowledged against present.
The default duration is $LEDGER_SOAK_DURATION, else 10m.

Exit 0 when nothing failed and nothing acknowledged is missing; 1 otherwise; 2 when the
soak could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("duration") {
				d, err := soakDefault()
				if err != nil {
					return usage("soak: %w", err)
				}
				cfg.Duration = d
			}
			if cfg.Duration <= 0 || cfg.Rate < 0 || cfg.Burst < 1 || cfg.Concurrency < 1 || cfg.ReadsPerS <= 0 {
				return usage("soak: --duration, --burst, --concurrency and --reads-per-s must be positive, --rate not negative (参数须为正数)")
			}
			if server != "" {
				cfg.Client = ledgerd(server, token)
			} else if err := findLedgerd(&cfg.Ledgerd); err != nil {
				return err
			}
			cfg.Log = cmd.ErrOrStderr()
			res, err := bench.Soak(cmd.Context(), cfg)
			if err != nil {
				return usage("soak: %w", err)
			}
			if err := printSoak(cmd.OutOrStdout(), res, asJSON); err != nil {
				return usage("soak: writing output: %w", err)
			}
			if !res.OK {
				return &exitError{code: exitTampered, err: fmt.Errorf("soak: %d errors, %d of %d acknowledged submissions missing (浸泡测试未通过：错误 %d，丢失 %d)",
					res.Errors, res.Lost, res.Acked, res.Errors, res.Lost)}
			}
			return nil
		},
	}
	f := c.Flags()
	f.DurationVar(&cfg.Duration, "duration", 10*time.Minute, "how long the mixed phase runs (default $LEDGER_SOAK_DURATION, else 10m)")
	f.StringVar(&server, "server", "", "soak this running ledgerd instead of starting one")
	f.StringVar(&token, "token", "", "with --server: a token that reads every entry and report, e.g. a security officer's (default $LEDGER_TOKEN)")
	f.StringVar(&cfg.Ledgerd, "ledgerd", "", "the ledgerd binary to start (default: ledgerd beside ledgerctl, else on $PATH)")
	f.StringVar(&cfg.Dir, "data", "", "parent directory of the started ledgerd's temporary data directory (default: the system's temporary directory)")
	f.BoolVar(&cfg.Keep, "keep", false, "keep the started ledgerd's data directory")
	f.Float64Var(&cfg.Rate, "rate", 0, "appends per second; 0: half the capacity measured by the burst")
	f.IntVar(&cfg.Burst, "burst", 2000, "submissions of the capacity-measuring burst")
	f.IntVar(&cfg.Concurrency, "concurrency", 256, "appends in flight (burst and soak): at least the rate times the append latency, or the rate is not reached")
	f.Float64Var(&cfg.ReadsPerS, "reads-per-s", 16, "checkpoints, proofs, searches and reports per second together")
	enrolFlags(c, &cfg.Enrol)
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

// findLedgerd fills in the ledgerd binary when --ledgerd was not given: the one beside
// this ledgerctl (as installed and as `go build -o bin/ ./cmd/...` leaves them), else
// the one on $PATH.
func findLedgerd(path *string) error {
	if *path != "" {
		return nil
	}
	if self, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(self), "ledgerd")
		if st, err := os.Stat(beside); err == nil && !st.IsDir() {
			*path = beside
			return nil
		}
	}
	p, err := exec.LookPath("ledgerd")
	if err != nil {
		return usage("soak: no ledgerd beside ledgerctl or on $PATH: pass --ledgerd PATH (go build -o /tmp/ledgerd ./cmd/ledgerd) or --server URL (未找到 ledgerd)")
	}
	*path = p
	return nil
}

// soakOpZH names the soak's operations for the officials who read the report.
var soakOpZH = map[string]string{
	bench.OpBurst: "容量测定", bench.OpAppend: "写入", bench.OpCheckpoint: "检查点", bench.OpConsistency: "一致性证明",
	bench.OpInclusion: "包含证明", bench.OpSearch: "检索", bench.OpReport: "报表", bench.OpReadBack: "回读",
}

func printSoak(w io.Writer, r bench.SoakResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "soak 浸泡测试: %s, institution 机构 %s, %.0fs\n", r.Server, r.Institution, r.DurationS)
	if r.CapacityPerS > 0 {
		fmt.Fprintf(w, "capacity 容量: %.0f/s; ", r.CapacityPerS)
	}
	fmt.Fprintf(w, "target 目标: %.0f appends/s; achieved 实际: %.0f/s\n\n", r.TargetPerS, r.AppendedPerS)
	// The operation column is padded by display width: a CJK character takes two.
	names, nameW := []string{"operation 操作"}, 0
	for _, o := range r.Ops {
		names = append(names, o.Op+" "+soakOpZH[o.Op])
	}
	for _, n := range names {
		nameW = max(nameW, uniseg.StringWidth(n))
	}
	pad := func(s string, n int) string { return strings.Repeat(" ", max(0, n-uniseg.StringWidth(s))) }
	row := func(name, count, errs, p50, p99 string) {
		fmt.Fprintf(w, "%s%s  %s%s  %s%s  %s%s  %s%s\n", name, pad(name, nameW), pad(count, 10), count, pad(errs, 11), errs, pad(p50, 8), p50, pad(p99, 8), p99)
	}
	row(names[0], "count 次数", "errors 错误", "p50 ms", "p99 ms")
	for i, o := range r.Ops {
		p50, p99 := "-", "-"
		if o.Latency != nil {
			p50, p99 = fmt.Sprintf("%.1f", o.Latency.P50), fmt.Sprintf("%.1f", o.Latency.P99)
		}
		row(names[i+1], fmt.Sprint(o.Count), fmt.Sprint(o.Failed), p50, p99)
	}
	for _, o := range r.Ops {
		codes := make([]string, 0, len(o.Errors))
		for code := range o.Errors {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			fmt.Fprintf(w, "failed 失败 %s %s: %d\n", o.Op, code, o.Errors[code])
		}
	}
	fmt.Fprintf(w, "\nacknowledged 已确认: %d; present 已回读: %d; lost 丢失: %d (final tree size 最终日志规模 %d)\n", r.Acked, r.Present, r.Lost, r.FinalSize)
	for _, id := range r.LostIDs {
		fmt.Fprintf(w, "lost 丢失: %s\n", id)
	}
	if r.LedgerdExited != "" {
		fmt.Fprintf(w, "ledgerd 服务退出异常: %s\n", r.LedgerdExited)
	}
	verdict := "OK 通过"
	if !r.OK {
		verdict = "FAILED 未通过"
	}
	_, err := fmt.Fprintf(w, "result 结论: %s\n", verdict)
	return err
}
