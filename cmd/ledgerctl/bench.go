package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	domaincmd "github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
	"github.com/emmansun/gmsm/sm2"
	"github.com/spf13/cobra"
)

func init() { register(newBenchCmd) }

// benchResult is what `bench --json` prints. Rates are per second; ratios compare the
// ledger with this machine's own SM2 verification ceiling measured in the same run, the
// only comparison that survives a change of machine or a noisy neighbour.
type benchResult struct {
	Cores              int     `json:"cores"`
	SM2SignPerS        float64 `json:"sm2_sign_per_s"`
	SM2VerifyPerS      float64 `json:"sm2_verify_per_s"`
	SM2SignPerS1Core   float64 `json:"sm2_sign_per_s_1core"`
	SM2VerifyPerS1Core float64 `json:"sm2_verify_per_s_1core"`
	// SM2VerifyLedgerPerS is the ledger's own verifier on all cores (ZA cached, the key's
	// precomputed table; crypto/internal/sm2p256): what ingest and verification really
	// spend per signature, reported beside the library ceiling the targets are set against.
	SM2VerifyLedgerPerS float64 `json:"sm2_verify_ledger_per_s"`
	SM2VerifyAfterPerS  float64 `json:"sm2_verify_per_s_after"`
	SM3MBPerS           float64 `json:"sm3_mb_per_s"`
	Events              int     `json:"events"`
	Institutions        int     `json:"institutions"`
	Submitters          int     `json:"submitters"`
	IngestPerS          float64 `json:"ingest_per_s"`
	VerifyPerS          float64 `json:"verify_per_s"`
	Ceiling             float64 `json:"ceiling_per_s"`
	IngestRatio         float64 `json:"ingest_ratio"`
	VerifyRatio         float64 `json:"verify_ratio"`
	// Ingest and verification as fractions of sm2_verify_ledger_per_s: how close each
	// comes to doing nothing but verifying signatures the ledger's way.
	IngestLedgerVerifyRatio float64 `json:"ingest_ledger_verify_ratio"`
	VerifyLedgerVerifyRatio float64 `json:"verify_ledger_verify_ratio"`
	PeerPerS                float64 `json:"peer_per_s,omitempty"`
	IngestPeerRatio         float64 `json:"ingest_peer_ratio,omitempty"`
	BatchesCommitted        uint64  `json:"batches_committed"`
	// CPU time per operation (user + system, all threads): on a machine shared with
	// other work, wall-clock rates fall with every neighbour but CPU per operation does
	// not, so the cpu ratios say what the ledger would reach with the cores to itself.
	CeilingCPUMicros float64 `json:"ceiling_cpu_us_per_op"`
	IngestCPUMicros  float64 `json:"ingest_cpu_us_per_event"`
	VerifyCPUMicros  float64 `json:"verify_cpu_us_per_entry"`
	IngestCPURatio   float64 `json:"ingest_cpu_ratio"`
	VerifyCPURatio   float64 `json:"verify_cpu_ratio"`
	Store            string  `json:"store,omitempty"`              // --store's kind
	StoreIngestPerS  float64 `json:"store_ingest_per_s,omitempty"` // the same ingest on --store
	StoreIngestRatio float64 `json:"store_ingest_ratio,omitempty"` // store_ingest_per_s / ingest_per_s
	StoreVerifyPerS  float64 `json:"store_verify_per_s,omitempty"` // full verification read from --store
	ElapsedS         float64 `json:"elapsed_s"`
}

type benchConfig struct {
	dir        string
	events     int
	dur        time.Duration
	submitters int
	insts      int
	peer       string
	keep       bool
	store      string // an empty external store to measure beside the embedded one
	cpuprofile string
	profile    io.Writer // open cpuprofile file: ingest and verification of the embedded store
	log        io.Writer // progress lines (stderr)
}

func newBenchCmd() *cobra.Command {
	var (
		cfg    benchConfig
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
ingest_peer_ratio compares the two.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.dir == "" {
				return usage("bench: --data DIR is required (需要 --data 参数)")
			}
			if cfg.events < 1 || cfg.dur <= 0 || cfg.insts < 1 || cfg.insts > len(scenario.Institutions) || cfg.submitters < 1 {
				return usage("bench: --events, --duration, --submitters must be positive and --institutions 1..%d", len(scenario.Institutions))
			}
			if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
				return usage("bench: %v", err)
			}
			cfg.log = cmd.ErrOrStderr()
			res, err := runBench(cmd.Context(), cfg)
			if err != nil {
				return usage("bench: %v", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				if err := enc.Encode(res); err != nil {
					return usage("bench: writing output: %v", err)
				}
				return nil
			}
			printBench(out, res)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.dir, "data", os.Getenv("LEDGER_DATA"), "directory under which a fresh benchmark store is made (env LEDGER_DATA)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on standard output")
	f.IntVar(&cfg.events, "events", 40000, "submissions to ingest and verify")
	f.DurationVar(&cfg.dur, "duration", 2*time.Second, "how long each crypto measurement runs")
	f.IntVar(&cfg.submitters, "submitters", 256, "concurrent submitting goroutines")
	f.IntVar(&cfg.insts, "institutions", 8, "institutions (registered keys) signing the submissions")
	f.StringVar(&cfg.peer, "peer", "", "source directory of the Tessera peer benchmark to run in the same run")
	f.BoolVar(&cfg.keep, "keep", false, "keep the benchmark store instead of removing it")
	f.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of the embedded store's ingest and verification to this file (go tool pprof)")
	f.StringVar(&cfg.store, "store", "", "also measure ingest and verification on this empty store (postgres://…, esdb://…), in the same run, as a ratio of the embedded store's")
	return c
}

// rate runs fn on workers goroutines for d and returns calls per second.
func rate(d time.Duration, workers int, fn func()) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				fn()
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// ceilingKit is the shared ceiling benchmark's setup: one key, a 256-byte message and
// its signature, verified with the SM library directly (ZA recomputed every time).
type ceilingKit struct {
	key *sm2.PrivateKey
	msg []byte
	sig []byte
}

func newCeilingKit() (*ceilingKit, error) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, 256)
	sig, err := key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, err
	}
	return &ceilingKit{key: key, msg: msg, sig: sig}, nil
}

func (k *ceilingKit) verify(d time.Duration, workers int) float64 {
	r, _ := k.verifyCPU(d, workers)
	return r
}

// verifyCPU also returns the CPU time spent per verification.
func (k *ceilingKit) verifyCPU(d time.Duration, workers int) (float64, time.Duration) {
	var n atomic.Int64
	c0 := cpuTime()
	r := rate(d, workers, func() {
		n.Add(1)
		if !sm2.VerifyASN1WithSM2(&k.key.PublicKey, nil, k.msg, k.sig) {
			panic("bench: SM2 verification of a good signature failed")
		}
	})
	return r, (cpuTime() - c0) / time.Duration(max(n.Load(), 1))
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// appendEvent signs one scenario event and appends it, waiting for the receipt.
func appendEvent(ctx context.Context, l *ledger.Ledger, signers *demoSigners, e *scenario.Event) error {
	s, err := signers.sign(e)
	if err != nil {
		return err
	}
	if _, err := l.Append(ctx, s); err != nil {
		return fmt.Errorf("%s by %s: %w", e.Type, e.Institution, err)
	}
	return nil
}

// ingestStats is what one ingest run measured besides its rate.
type ingestStats struct {
	batches uint64        // group commits
	cpu     time.Duration // process CPU time while ingesting
}

func (k *ceilingKit) sign(d time.Duration, workers int) float64 {
	return rate(d, workers, func() {
		if _, err := k.key.Sign(rand.Reader, k.msg, sm2.DefaultSM2SignerOpts); err != nil {
			panic(err)
		}
	})
}

func runBench(ctx context.Context, cfg benchConfig) (benchResult, error) {
	start := time.Now()
	cores := runtime.GOMAXPROCS(0)
	res := benchResult{Cores: cores, Events: cfg.events, Institutions: cfg.insts, Submitters: cfg.submitters}
	say := func(format string, a ...any) { fmt.Fprintf(cfg.log, "bench: "+format+"\n", a...) }

	kit, err := newCeilingKit()
	if err != nil {
		return res, err
	}
	say("SM2 and SM3 on 1 and %d cores, %v each", cores, cfg.dur)
	res.SM2SignPerS1Core = kit.sign(cfg.dur, 1)
	res.SM2SignPerS = kit.sign(cfg.dur, cores)
	res.SM2VerifyPerS1Core = kit.verify(cfg.dur, 1)
	var ceilCPU time.Duration
	res.SM2VerifyPerS, ceilCPU = kit.verifyCPU(cfg.dur, cores)
	pk, _ := crypto.NewPublicKey(&kit.key.PublicKey)
	res.SM2VerifyLedgerPerS = rate(cfg.dur, cores, func() { pk.Verify(kit.msg, kit.sig) })
	buf := make([]byte, 16<<10)
	res.SM3MBPerS = rate(cfg.dur, 1, func() { crypto.SM3(buf) }) * float64(len(buf)) / 1e6

	work, err := os.MkdirTemp(cfg.dir, "bench-")
	if err != nil {
		return res, fmt.Errorf("making the benchmark store: %w", err)
	}
	if !cfg.keep {
		defer os.RemoveAll(work)
	}
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		cfg.profile = f
	}
	ingest, stats, st, err := benchIngest(ctx, cfg, filepath.Join(work, "ledger"), nil, say)
	if err != nil {
		return res, err
	}
	res.IngestPerS, res.BatchesCommitted = ingest, stats.batches
	res.IngestCPUMicros = micros(stats.cpu / time.Duration(cfg.events))

	say("full verification of %d entries", cfg.events)
	runtime.GC()
	c0 := cpuTime()
	rep, err := ledger.Verify(ctx, st, ledger.VerifyOptions{})
	verifyCPU := cpuTime() - c0
	pprof.StopCPUProfile() // started with the ingest; a no-op without --cpuprofile
	cfg.profile = nil
	st.Close()
	if err != nil {
		return res, fmt.Errorf("verifying the benchmark store: %w", err)
	}
	res.VerifyPerS = float64(rep.Entries) / rep.Elapsed.Seconds()
	res.VerifyCPUMicros = micros(verifyCPU / time.Duration(max(rep.Entries, 1)))

	if cfg.store != "" {
		res.Store = storeurl.Kind(cfg.store)
		ext, err := openEmptyStore(ctx, cfg.store)
		if err != nil {
			return res, err
		}
		say("the same ingest on %s", storeurl.Redact(cfg.store))
		if res.StoreIngestPerS, _, _, err = benchIngest(ctx, cfg, filepath.Join(work, "ledger-"+res.Store), ext, say); err != nil {
			ext.Close()
			return res, err
		}
		res.StoreIngestRatio = res.StoreIngestPerS / res.IngestPerS
		rep, err := ledger.Verify(ctx, ext, ledger.VerifyOptions{})
		ext.Close()
		if err != nil {
			return res, fmt.Errorf("verifying %s: %w", storeurl.Redact(cfg.store), err)
		}
		res.StoreVerifyPerS = float64(rep.Entries) / rep.Elapsed.Seconds()
	}

	if cfg.peer != "" {
		say("Tessera peer from %s", cfg.peer)
		if res.PeerPerS, err = runPeer(ctx, cfg.peer, work, cfg.events); err != nil {
			return res, err
		}
		res.IngestPeerRatio = res.IngestPerS / res.PeerPerS
	}
	var ceilCPU2 time.Duration
	res.SM2VerifyAfterPerS, ceilCPU2 = kit.verifyCPU(cfg.dur, cores)
	res.CeilingCPUMicros = micros((ceilCPU + ceilCPU2) / 2)
	res.IngestCPURatio = res.CeilingCPUMicros / res.IngestCPUMicros
	res.VerifyCPURatio = res.CeilingCPUMicros / res.VerifyCPUMicros
	res.Ceiling = (res.SM2VerifyPerS + res.SM2VerifyAfterPerS) / 2
	res.IngestRatio = res.IngestPerS / res.Ceiling
	res.VerifyRatio = res.VerifyPerS / res.Ceiling
	if res.SM2VerifyLedgerPerS > 0 {
		res.IngestLedgerVerifyRatio = res.IngestPerS / res.SM2VerifyLedgerPerS
		res.VerifyLedgerVerifyRatio = res.VerifyPerS / res.SM2VerifyLedgerPerS
	}
	res.ElapsedS = time.Since(start).Seconds()
	return res, nil
}

// benchIngest creates a ledger in dir (or, with ext, keys in dir and entries in the empty
// store ext), registers cfg.insts institution keys, pre-signs cfg.events scenario
// submissions and appends them from cfg.submitters goroutines. It returns the rate, the
// number of group commits, and the (still open) store.
func benchIngest(ctx context.Context, cfg benchConfig, dir string, ext ledger.Store, say func(string, ...any)) (float64, ingestStats, ledger.Store, error) {
	if err := datadir.Create(ctx, dir, datadir.InitOptions{Authority: scenario.Authority, Store: ext}); err != nil {
		return 0, ingestStats{}, nil, err
	}
	lk, err := datadir.LedgerKey(dir)
	if err != nil {
		return 0, ingestStats{}, nil, err
	}
	rk, err := datadir.RootKey(dir)
	if err != nil {
		return 0, ingestStats{}, nil, err
	}
	st := ext
	if st == nil {
		if st, err = datadir.OpenStore(dir); err != nil {
			return 0, ingestStats{}, nil, err
		}
	}
	var batches atomic.Uint64
	// Production ingest checks every payload against the event catalogue (ledgerd wires
	// the same checker), so the benchmark does too.
	chk := domaincmd.NewChecker(registry.New(), lk, nil)
	opts := ledger.Options{Signer: lk, CheckpointEvery: -1, OnCommit: func([]*ledger.Entry) { batches.Add(1) }}
	chk.Wire(&opts)
	l, err := ledger.Open(ctx, st, opts)
	if err != nil {
		st.Close()
		return 0, ingestStats{}, nil, err
	}
	if err := chk.Attach(ctx, l); err != nil {
		l.Close()
		st.Close()
		return 0, ingestStats{}, nil, err
	}
	fail := func(err error) (float64, ingestStats, ledger.Store, error) {
		l.Close()
		st.Close()
		return 0, ingestStats{}, nil, err
	}

	// Keys for the first cfg.insts institutions, registered by the root key.
	signers := &demoSigners{root: rk, inst: map[string]*crypto.PrivateKey{}}
	var insts []string
	for _, in := range scenario.Institutions[:cfg.insts] {
		k, err := crypto.GenerateKey()
		if err != nil {
			return fail(err)
		}
		signers.inst[in.ID] = k
		insts = append(insts, in.ID)
		reg := scenario.Event{Type: ledger.TypeKeyRegistered, Stream: ledger.RegistryStream, Institution: scenario.Authority,
			Person: scenario.Institutions[0].Responsible(), At: time.Now().Add(-time.Second), Root: true,
			Payload: map[string]any{"key_id": k.Public().ID(), "institution": in.ID, "public_key": string(crypto.MarshalPublicKeyPEM(k.Public()))}}
		s, err := signers.sign(&reg)
		if err != nil {
			return fail(err)
		}
		if _, err := l.Append(ctx, s); err != nil {
			return fail(err)
		}
	}

	// Each institution is registered by the root and registers the officials the ingest
	// names (bench-00 first, registering itself), as the checker requires (第三条、第七条).
	for _, in := range scenario.Institutions[:cfg.insts] {
		// The root's acts name the authority's official bench-00 (registered with the
		// authority, the first institution).
		reg := scenario.Event{Type: events.InstitutionRegisteredV1, Stream: "institution/" + in.ID, Institution: scenario.Authority,
			Person: scenario.IngestPerson(0), At: time.Now().Add(-time.Second), Root: true,
			Payload: &events.InstitutionRegistered{Institution: in.ID, NameZH: in.NameZH, NameEN: in.NameEN, Level: in.Level, Kind: in.Kind, County: in.County, DataAuthority: in.DataAuthority}}
		if err := appendEvent(ctx, l, signers, &reg); err != nil {
			return fail(err)
		}
		for i := range scenario.IngestPeople {
			person := scenario.IngestPerson(i)
			e := scenario.Event{Type: events.PersonRegisteredV1, Stream: "institution/" + in.ID, Institution: in.ID, Person: scenario.IngestPerson(0),
				At: time.Now().Add(-time.Second), Payload: &events.PersonRegistered{Person: person}}
			if err := appendEvent(ctx, l, signers, &e); err != nil {
				return fail(err)
			}
		}
	}

	// Realistic submissions, round-robin from the registered institutions, each valid for
	// the checker in any order.
	say("pre-signing %d submissions from %d institutions", cfg.events, cfg.insts)
	evs := scenario.Ingest(cfg.events, 42, insts, time.Now())
	// Submissions reach a ledger roughly in the order the acts happen, and their UUIDv7
	// ids (taken from occurred_at) rise with it: send them in that order, as a live
	// system would, not shuffled over a month.
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	subs := make([]*ledger.Signed, cfg.events)
	var perr error
	var pmu sync.Mutex
	parallelFor(cfg.events, runtime.GOMAXPROCS(0), func(i int) {
		s, err := signers.sign(&evs[i])
		if err != nil {
			pmu.Lock()
			perr = err
			pmu.Unlock()
			return
		}
		subs[i] = s
	})
	if perr != nil {
		return fail(perr)
	}

	say("ingesting %d submissions from %d goroutines", cfg.events, cfg.submitters)
	runtime.GC()
	before := batches.Load()
	var next atomic.Int64
	var bad atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	if cfg.profile != nil {
		if err := pprof.StartCPUProfile(cfg.profile); err != nil {
			return fail(err)
		}
	}
	c0 := cpuTime()
	t0 := time.Now()
	for range cfg.submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(subs)) {
					return
				}
				if _, err := l.Append(ctx, subs[i]); err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	cpu := cpuTime() - c0
	if bad.Load() > 0 {
		return fail(fmt.Errorf("%d submissions refused; first: %v", bad.Load(), firstErr.Load()))
	}
	n := batches.Load() - before
	if err := l.Close(); err != nil {
		st.Close()
		return 0, ingestStats{}, nil, err
	}
	return float64(cfg.events) / el.Seconds(), ingestStats{batches: n, cpu: cpu}, st, nil
}

// parallelFor runs fn(0..n-1) on w goroutines.
func parallelFor(n, w int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// runPeer runs the Tessera peer benchmark (go run, its own module) on a fresh log
// directory under work and returns the rate it prints.
func runPeer(ctx context.Context, src, work string, n int) (float64, error) {
	// Absolute: the peer runs in its own source directory, where a relative path would
	// leave its log (hundreds of MB after a few runs).
	logDir, err := filepath.Abs(filepath.Join(work, "peer-log"))
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(logDir)
	cmd := exec.CommandContext(ctx, "go", "run", ".", "-dir", logDir, "-n", strconv.Itoa(n))
	cmd.Dir = src
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("running the peer in %s: %w: %s", src, err, strings.TrimSpace(stderr.String()))
	}
	var last string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			last = s
		}
	}
	v, err := strconv.ParseFloat(last, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("the peer printed %q, not a rate", last)
	}
	return v, nil
}

func printBench(w io.Writer, r benchResult) {
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
