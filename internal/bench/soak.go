package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
)

// The operations a soak mixes, in the order the report lists them.
const (
	OpBurst       = "capacity_burst" // the load burst that measures capacity (saturated, not paced)
	OpAppend      = "append"         // POST /v1/events at the paced rate
	OpCheckpoint  = "checkpoint"     // GET /v1/checkpoint, signature checked
	OpConsistency = "consistency"    // GET /v1/proofs/consistency, verified between two checkpoints
	OpInclusion   = "inclusion"      // GET /v1/proofs/inclusion of an acknowledged entry, verified
	OpSearch      = "search"         // GET /v1/events?institution=&type=
	OpReport      = "report"         // GET /v1/reports/{kind}
	OpReadBack    = "readback"       // the final read-back of every acknowledgement
)

var soakOps = []string{OpBurst, OpAppend, OpCheckpoint, OpConsistency, OpInclusion, OpSearch, OpReport, OpReadBack}

// SoakConfig is one soak run.
type SoakConfig struct {
	// Client talks to the ledgerd to soak. Nil: Soak starts Ledgerd itself on a fresh
	// data directory under Dir, on a loopback port, and stops it at the end.
	Client  *client.Client
	Ledgerd string // the ledgerd binary, when Client is nil
	Dir     string // parent of the started ledgerd's temporary data directory ("": the system's)
	Keep    bool   // keep the started ledgerd's data directory
	Enrol
	Duration time.Duration // the mixed phase
	// Rate is the paced append rate per second; 0 measures capacity first with a burst
	// of Burst submissions and appends at half of it.
	Rate  float64
	Burst int
	// Concurrency is the appends in flight, in the burst and the mixed phase: enough for
	// the rate times the append latency (Little's law), or the rate is not reached.
	Concurrency int
	ReadsPerS   float64 // proofs, searches and reports together, per second
	Log         io.Writer
}

func (c *SoakConfig) say(format string, a ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "soak 浸泡测试: "+format+"\n", a...)
	}
}

// OpStats is one operation's figures.
type OpStats struct {
	Op     string           `json:"op"`
	Count  int64            `json:"count"` // requests answered (or failed for good)
	Failed int64            `json:"failed"`
	Errors map[string]int64 `json:"errors,omitempty"` // failures by code
	// Latency is the time from request to checked answer, client retries included.
	Latency *Latencies `json:"latency_ms,omitempty"`
}

// SoakResult is what `soak --json` prints. OK is false when any operation failed or any
// acknowledged submission was not read back with its seq and hash.
type SoakResult struct {
	Server        string    `json:"server"`
	Institution   string    `json:"institution"`
	DurationS     float64   `json:"duration_s"`
	CapacityPerS  float64   `json:"capacity_per_s,omitempty"` // measured by the burst
	TargetPerS    float64   `json:"target_append_per_s"`
	AppendedPerS  float64   `json:"appended_per_s"` // acknowledged appends in the mixed phase
	Ops           []OpStats `json:"operations"`
	Errors        int64     `json:"errors"`
	Acked         int64     `json:"acked"`              // acknowledged submissions, burst and mixed phase
	Present       int64     `json:"present"`            // of those, read back at their seq with their hash
	Lost          int64     `json:"lost"`               // Acked - Present
	LostIDs       []string  `json:"lost_ids,omitempty"` // the first few
	FinalSize     uint64    `json:"final_tree_size"`
	LedgerdExited string    `json:"ledgerd_exit,omitempty"` // a started ledgerd that did not stop cleanly
	OK            bool      `json:"ok"`
}

// ack is one acknowledged submission.
type ack struct {
	id   string
	seq  uint64
	hash ledger.Hash
}

// soak is one run's shared state.
type soak struct {
	cfg    SoakConfig
	c      *client.Client
	gen    *Generator
	origin string
	lkey   *crypto.PublicKey
	rec    *recorder

	mu   sync.Mutex
	acks []ack
	cp   ledger.Checkpoint // the latest verified checkpoint
}

func (s *soak) addAck(sub *ledger.Signed, r ledger.Receipt) {
	s.mu.Lock()
	s.acks = append(s.acks, ack{id: sub.Submission.ID, seq: r.Seq, hash: r.Hash})
	s.mu.Unlock()
}

// Soak runs the soak: start (or reach) the server, enrol a load institution, measure
// capacity unless a rate is given, run the mixed phase for cfg.Duration, then read back
// every acknowledgement. An error means it could not run; a run that did says in
// res.OK whether it saw no error and lost nothing. The result is filled as far as the
// run got.
func Soak(ctx context.Context, cfg SoakConfig) (res SoakResult, err error) {
	cfg.defaults()
	s := &soak{cfg: cfg, c: cfg.Client, rec: newRecorder()}
	if s.c == nil {
		srv, err := startLedgerd(ctx, &cfg)
		if err != nil {
			return res, err
		}
		defer func() {
			if err := srv.stop(); err != nil {
				res.LedgerdExited = err.Error()
				res.OK = false
			}
		}()
		s.c = srv.client
	}
	res.Server = s.c.BaseURL
	if err := s.enrol(ctx); err != nil {
		return res, err
	}
	res.Institution = s.gen.Institution()
	res.TargetPerS = cfg.Rate
	if cfg.Rate == 0 {
		capacity, err := s.measure(ctx)
		if err != nil {
			return res, err
		}
		res.CapacityPerS, res.TargetPerS = capacity, capacity/2
	}
	cfg.say("%.0f appends/s 写入速率 and %.0f reads/s 读取 for %v", res.TargetPerS, cfg.ReadsPerS, cfg.Duration)
	appended, elapsed := s.mixed(ctx, res.TargetPerS)
	res.DurationS = elapsed.Seconds()
	res.AppendedPerS = float64(appended) / elapsed.Seconds()
	cfg.say("reading back %d acknowledgements 回读已确认提交", len(s.acks))
	s.readBack(ctx, &res)
	res.Ops = s.rec.stats()
	for _, o := range res.Ops {
		res.Errors += o.Failed
	}
	res.OK = res.Errors == 0 && res.Lost == 0 && res.Acked > 0
	return res, nil
}

func (c *SoakConfig) defaults() {
	if c.Burst <= 0 {
		c.Burst = 2000
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 256
	}
	if c.ReadsPerS <= 0 {
		c.ReadsPerS = 16
	}
	if c.RootPerson == "" {
		c.RootPerson = "ledgerctl-soak"
	}
}

// enrol registers the soak's institution and learns the ledger's origin and key, against
// which every checkpoint and proof is checked.
func (s *soak) enrol(ctx context.Context) error {
	g, info, err := EnrolLoad(ctx, s.c, s.cfg.Enrol)
	if err != nil {
		return err
	}
	k, err := crypto.ParsePublicKeyPEM([]byte(info.LedgerKey.PEM))
	if err != nil {
		return fmt.Errorf("the ledger's key: %w", err)
	}
	s.gen, s.origin, s.lkey = g, info.Origin, k
	return nil
}

// measure sends the capacity burst and returns the acknowledged rate.
func (s *soak) measure(ctx context.Context) (float64, error) {
	s.cfg.say("measuring capacity 测量容量: %d submissions, %d in flight", s.cfg.Burst, s.cfg.Concurrency)
	pre, err := SignAll(ctx, s.gen, s.cfg.Burst)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	st, err := Send(ctx, s.c, s.gen, SendOptions{Events: s.cfg.Burst, Concurrency: s.cfg.Concurrency, Presigned: pre,
		OnAck: func(sub *ledger.Signed, r ledger.Receipt) error { s.addAck(sub, r); return nil }})
	el := time.Since(t0)
	s.rec.addAll(OpBurst, st.Latency, st.Failed)
	if err != nil {
		return 0, fmt.Errorf("the capacity burst: %d of %d acknowledged: %w", st.Acked, s.cfg.Burst, err)
	}
	return float64(st.Acked) / el.Seconds(), nil
}
