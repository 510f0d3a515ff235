package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
	"github.com/emmansun/gmsm/sm2"
)

// Result is what `bench --json` prints. Rates are per second; ratios compare the
// ledger with this machine's own SM2 verification ceiling measured in the same run, the
// only comparison that survives a change of machine or a noisy neighbour.
type Result struct {
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

// Config is one benchmark run. The command checks the ranges; Run trusts them.
type Config struct {
	Dir          string        // directory under which a fresh store is made (and removed unless Keep)
	Events       int           // submissions to ingest and verify
	Duration     time.Duration // how long each crypto measurement runs
	Submitters   int           // concurrent submitting goroutines
	Institutions int           // registered keys signing the submissions (at most len(scenario.Institutions))
	Peer         string        // source directory of the Tessera peer, run in the same run when set
	Keep         bool          // keep the benchmark store
	// Store, if set, is an empty external store (postgres://…, esdb://…) measured beside
	// the embedded one; OpenStore opens it (the command owns the store URL parsing).
	Store      string
	OpenStore  func(ctx context.Context, url string) (ledger.Store, error)
	CPUProfile string    // write a CPU profile of the embedded store's ingest and verification here
	Log        io.Writer // progress lines (stderr)

	profile io.Writer // the open CPUProfile file while ingest and verification run
}

func (c *Config) say(format string, a ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "bench: "+format+"\n", a...)
	}
}

// Run measures, in one run: the SM2/SM3 ceiling, durable ingest into a fresh embedded
// store under cfg.Dir, full verification of it, optionally the same on cfg.Store and the
// Tessera peer, and the ceiling again, so that the ratios divide by the machine's state
// during the run and not by a figure from another day.
func Run(ctx context.Context, cfg Config) (Result, error) {
	start := time.Now()
	cores := runtime.GOMAXPROCS(0)
	res := Result{Cores: cores, Events: cfg.Events, Institutions: cfg.Institutions, Submitters: cfg.Submitters}
	kit, err := newCeilingKit()
	if err != nil {
		return res, err
	}
	ceilCPU := kit.measure(&cfg, &res)

	work, err := os.MkdirTemp(cfg.Dir, "bench-")
	if err != nil {
		return res, fmt.Errorf("making the benchmark store: %w", err)
	}
	if !cfg.Keep {
		defer os.RemoveAll(work)
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return res, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		cfg.profile = f
	}
	if err := ingestAndVerify(ctx, &cfg, work, &res); err != nil {
		return res, err
	}
	if cfg.Store != "" {
		if err := measureStore(ctx, &cfg, work, &res); err != nil {
			return res, err
		}
	}
	if cfg.Peer != "" {
		cfg.say("Tessera peer from %s", cfg.Peer)
		if res.PeerPerS, err = runPeer(ctx, cfg.Peer, work, cfg.Events); err != nil {
			return res, err
		}
		res.IngestPeerRatio = res.IngestPerS / res.PeerPerS
	}
	var ceilCPU2 time.Duration
	res.SM2VerifyAfterPerS, ceilCPU2 = kit.verifyCPU(cfg.Duration, cores)
	res.CeilingCPUMicros = micros((ceilCPU + ceilCPU2) / 2)
	res.ratios()
	res.ElapsedS = time.Since(start).Seconds()
	return res, nil
}

// ratios fills the fields derived from the measured rates.
func (r *Result) ratios() {
	r.IngestCPURatio = r.CeilingCPUMicros / r.IngestCPUMicros
	r.VerifyCPURatio = r.CeilingCPUMicros / r.VerifyCPUMicros
	r.Ceiling = (r.SM2VerifyPerS + r.SM2VerifyAfterPerS) / 2
	r.IngestRatio = r.IngestPerS / r.Ceiling
	r.VerifyRatio = r.VerifyPerS / r.Ceiling
	if r.SM2VerifyLedgerPerS > 0 {
		r.IngestLedgerVerifyRatio = r.IngestPerS / r.SM2VerifyLedgerPerS
		r.VerifyLedgerVerifyRatio = r.VerifyPerS / r.SM2VerifyLedgerPerS
	}
}

// ingestAndVerify ingests into a fresh embedded store under work and verifies it; the
// CPU profile, when asked for, covers exactly these two phases.
func ingestAndVerify(ctx context.Context, cfg *Config, work string, res *Result) error {
	ingest, stats, st, err := runIngest(ctx, cfg, filepath.Join(work, "ledger"), nil)
	if err != nil {
		return err
	}
	res.IngestPerS, res.BatchesCommitted = ingest, stats.batches
	res.IngestCPUMicros = micros(stats.cpu / time.Duration(cfg.Events))

	cfg.say("full verification of %d entries", cfg.Events)
	runtime.GC()
	c0 := cpuTime()
	rep, err := ledger.Verify(ctx, st, ledger.VerifyOptions{})
	verifyCPU := cpuTime() - c0
	pprof.StopCPUProfile() // started with the ingest; a no-op without a profile
	cfg.profile = nil
	st.Close()
	if err != nil {
		return fmt.Errorf("verifying the benchmark store: %w", err)
	}
	res.VerifyPerS = float64(rep.Entries) / rep.Elapsed.Seconds()
	res.VerifyCPUMicros = micros(verifyCPU / time.Duration(max(rep.Entries, 1)))
	return nil
}

// measureStore runs the same ingest and verification on the external store cfg.Store.
func measureStore(ctx context.Context, cfg *Config, work string, res *Result) error {
	res.Store = storeurl.Kind(cfg.Store)
	if cfg.OpenStore == nil {
		return fmt.Errorf("no way to open %s", storeurl.Redact(cfg.Store))
	}
	ext, err := cfg.OpenStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	cfg.say("the same ingest on %s", storeurl.Redact(cfg.Store))
	if res.StoreIngestPerS, _, _, err = runIngest(ctx, cfg, filepath.Join(work, "ledger-"+res.Store), ext); err != nil {
		ext.Close()
		return err
	}
	res.StoreIngestRatio = res.StoreIngestPerS / res.IngestPerS
	rep, err := ledger.Verify(ctx, ext, ledger.VerifyOptions{})
	ext.Close()
	if err != nil {
		return fmt.Errorf("verifying %s: %w", storeurl.Redact(cfg.Store), err)
	}
	res.StoreVerifyPerS = float64(rep.Entries) / rep.Elapsed.Seconds()
	return nil
}

// rate runs fn on workers goroutines for d and returns calls per second.
func rate(d time.Duration, workers int, fn func()) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for range workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				fn()
				n.Add(1)
			}
		})
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
		return nil, fmt.Errorf("ceiling key: %w", err)
	}
	msg := make([]byte, 256)
	sig, err := key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, fmt.Errorf("ceiling signature: %w", err)
	}
	return &ceilingKit{key: key, msg: msg, sig: sig}, nil
}

// measure fills the ceiling's figures (SM2 on one and all cores, the ledger's verifier,
// SM3) and returns the CPU time of one library verification.
func (k *ceilingKit) measure(cfg *Config, res *Result) time.Duration {
	cores := res.Cores
	cfg.say("SM2 and SM3 on 1 and %d cores, %v each", cores, cfg.Duration)
	res.SM2SignPerS1Core = k.sign(cfg.Duration, 1)
	res.SM2SignPerS = k.sign(cfg.Duration, cores)
	res.SM2VerifyPerS1Core, _ = k.verifyCPU(cfg.Duration, 1)
	var ceilCPU time.Duration
	res.SM2VerifyPerS, ceilCPU = k.verifyCPU(cfg.Duration, cores)
	pk, _ := crypto.NewPublicKey(&k.key.PublicKey)
	res.SM2VerifyLedgerPerS = rate(cfg.Duration, cores, func() { pk.Verify(k.msg, k.sig) })
	buf := make([]byte, 16<<10)
	res.SM3MBPerS = rate(cfg.Duration, 1, func() { crypto.SM3(buf) }) * float64(len(buf)) / 1e6
	return ceilCPU
}

// verifyCPU returns the library's verification rate and the CPU time per verification.
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

func (k *ceilingKit) sign(d time.Duration, workers int) float64 {
	return rate(d, workers, func() {
		if _, err := k.key.Sign(rand.Reader, k.msg, sm2.DefaultSM2SignerOpts); err != nil {
			panic(err)
		}
	})
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
