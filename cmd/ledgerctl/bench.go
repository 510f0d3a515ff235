package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aba-prefecture/dataledger/internal/bench"
	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/spf13/cobra"
)

func init() { register(newBenchCmd) }

func newBenchCmd() *cobra.Command {
	var (
		cfg    bench.Config
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "bench --data DIR [--json]",
		Short: "Measure the SM2/SM3 ceiling and the ledger's ingest and verification rates in one run 性能基准",
		Long: `Measure, in one run on this machine: SM2 signatures and verifications per second on one
core and on all cores (256-byte messages, default user ID: the method of the shared
ceiling benchmark), SM3 throughput, durable ingest (pre-signed realistic submissions
from several registered institution keys, sent concurrently through Ledger.Append into a
fresh store under DIR: each verified, sealed and group-committed with fsync), and full
verification of that store (ledger.Verify on all cores).

The ceiling is the all-core SM2 verification rate, measured before ingest and again
after verification; the ratios divide by their mean. With --peer DIR (the source of the
Tessera peer, /work/shared/bench/peer-tessera), the peer runs in the same run and
ingest_peer_ratio compares the two; its log goes under the benchmark's temporary
directory and is removed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Dir == "" {
				return usage("bench: --data DIR is required (需要 --data 参数)")
			}
			if cfg.Events < 1 || cfg.Duration <= 0 || cfg.Institutions < 1 || cfg.Institutions > len(scenario.Institutions) || cfg.Submitters < 1 {
				return usage("bench: --events, --duration, --submitters must be positive and --institutions 1..%d", len(scenario.Institutions))
			}
			if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
				return usage("bench: %v", err)
			}
			cfg.Log = cmd.ErrOrStderr()
			cfg.OpenStore = openEmptyStore
			res, err := bench.Run(cmd.Context(), cfg)
			if err != nil {
				return usage("bench: %w", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := json.NewEncoder(out).Encode(res); err != nil {
					return usage("bench: writing output: %w", err)
				}
				return nil
			}
			printBench(out, res)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.Dir, "data", os.Getenv("LEDGER_DATA"), "directory under which a fresh benchmark store is made (env LEDGER_DATA)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on standard output")
	f.IntVar(&cfg.Events, "events", 40000, "submissions to ingest and verify")
	f.DurationVar(&cfg.Duration, "duration", 2*time.Second, "how long each crypto measurement runs")
	f.IntVar(&cfg.Submitters, "submitters", 256, "concurrent submitting goroutines")
	f.IntVar(&cfg.Institutions, "institutions", 8, "institutions (registered keys) signing the submissions")
	f.StringVar(&cfg.Peer, "peer", "", "source directory of the Tessera peer benchmark to run in the same run")
	f.BoolVar(&cfg.Keep, "keep", false, "keep the benchmark store instead of removing it")
	f.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the embedded store's ingest and verification to this file (go tool pprof)")
	f.StringVar(&cfg.Store, "store", "", "also measure ingest and verification on this empty store (postgres://…, esdb://…), in the same run, as a ratio of the embedded store's")
	return c
}

func printBench(w io.Writer, r bench.Result) {
	fmt.Fprintf(w, "cores 核数:                        %d\n", r.Cores)
	fmt.Fprintf(w, "SM2 sign/s 签名 (1 core / all):    %.0f / %.0f\n", r.SM2SignPerS1Core, r.SM2SignPerS)
	fmt.Fprintf(w, "SM2 verify/s 验签 (1 core / all):  %.0f / %.0f (after: %.0f)\n", r.SM2VerifyPerS1Core, r.SM2VerifyPerS, r.SM2VerifyAfterPerS)
	fmt.Fprintf(w, "ledger's verifier/s 本账本验签:    %.0f (per-key table; ingest %.2f, verify %.2f of it)\n", r.SM2VerifyLedgerPerS, r.IngestLedgerVerifyRatio, r.VerifyLedgerVerifyRatio)
	fmt.Fprintf(w, "SM3 MB/s (1 core, 16 KiB):         %.0f\n", r.SM3MBPerS)
	fmt.Fprintf(w, "ingest/s 写入 (%d events):         %.0f  = %.2f × ceiling %.0f (%d group commits)\n", r.Events, r.IngestPerS, r.IngestRatio, r.Ceiling, r.BatchesCommitted)
	fmt.Fprintf(w, "verify/s 全量校验:                 %.0f  = %.2f × ceiling\n", r.VerifyPerS, r.VerifyRatio)
	fmt.Fprintf(w, "CPU µs/op (ceiling, ingest, verify): %.1f, %.1f, %.1f  (cpu ratios %.2f, %.2f)\n",
		r.CeilingCPUMicros, r.IngestCPUMicros, r.VerifyCPUMicros, r.IngestCPURatio, r.VerifyCPURatio)
	if r.StoreIngestPerS > 0 {
		fmt.Fprintf(w, "%s ingest/s 写入:             %.0f  = %.2f × embedded (verify/s 校验 %.0f)\n", r.Store, r.StoreIngestPerS, r.StoreIngestRatio, r.StoreVerifyPerS)
	}
	if r.PeerPerS > 0 {
		fmt.Fprintf(w, "peer/s Tessera 对照:               %.0f  (ingest/peer = %.2f)\n", r.PeerPerS, r.IngestPeerRatio)
	}
	fmt.Fprintf(w, "elapsed 耗时:                      %.1fs\n", r.ElapsedS)
}
