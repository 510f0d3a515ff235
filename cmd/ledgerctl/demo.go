package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/cmd/ledgerctl/internal/scenario"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func init() { register(newDemoCmd) }

// demoResult is what `demo --json` prints.
type demoResult struct {
	Dir          string         `json:"dir"`
	Institutions int            `json:"institutions"`
	Events       int            `json:"events"`
	Entries      uint64         `json:"entries"`
	Root         string         `json:"root"`
	ElapsedS     float64        `json:"elapsed_s"`
	PerS         float64        `json:"events_per_s"`
	Types        map[string]int `json:"types"`
	Violations   []string       `json:"violations"`
}

func newDemoCmd() *cobra.Command {
	var (
		dir     string
		events  int
		seed    uint64
		asJSON  bool
		workers int
	)
	c := &cobra.Command{
		Use:   "demo --data DIR [--events N]",
		Short: "Fill DIR with a realistic signed scenario of Aba institutions 生成阿坝州演示数据",
		Long: `Create a ledger in DIR (single-operator mode: the ledger and root keys are kept in
DIR/keys/) and fill it with a realistic, signed scenario: the data authority and the
prefecture and county institutions of Aba, one registered SM2 key each (private keys in
DIR/keys/institutions/<id>.key, so that other tools can sign as them), their data catalog,
collections, aggregation, share applications, grants and uses, exports with approvals,
desensitisation, an emergency with its collections and sealing, an outsourcing contract
from signing to deletion, security duties, and obligations met on time and late.

N scales the routine volume; the fixed storyline is always included. The same --seed
gives the same scenario (event ids, keys and signatures differ).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usage("demo: --data DIR is required (需要 --data 参数)")
			}
			if events < 0 {
				return usage("demo: --events must be at least 0")
			}
			if datadir.Exists(dir) {
				return usage("demo: %s already holds a ledger; choose an empty directory (目录中已有账本)", dir)
			}
			if workers <= 0 {
				workers = 16 * runtime.GOMAXPROCS(0)
			}
			update, finish := progress(cmd, "demo 生成中", "events")
			res, err := runDemo(cmd.Context(), dir, events, seed, workers, update)
			finish()
			if err != nil {
				return usage("demo: %v", err)
			}
			return printDemo(cmd.OutOrStdout(), res, asJSON)
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "data", os.Getenv("LEDGER_DATA"), "data directory to create (env LEDGER_DATA)")
	f.IntVar(&events, "events", 2000, "number of data events (the storyline is always included)")
	f.Uint64Var(&seed, "seed", 1, "scenario seed")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on standard output")
	f.IntVar(&workers, "workers", 0, "concurrent submitters (default 16 per core)")
	return c
}

// demoSigners holds the keys the demo signs with: the root for registry acts, one key
// per institution for everything else.
type demoSigners struct {
	root *crypto.PrivateKey
	inst map[string]*crypto.PrivateKey
}

func (s *demoSigners) sign(e *scenario.Event) (*ledger.Signed, error) {
	k := s.root
	if !e.Root {
		k = s.inst[e.Institution]
	}
	sub, err := e.Submission(uuid.Must(uuid.NewV7()).String(), k.Public().ID())
	if err != nil {
		return nil, err
	}
	return ledger.SignSubmission(k, sub)
}

func runDemo(ctx context.Context, dir string, n int, seed uint64, workers int, update func(done, total uint64)) (demoResult, error) {
	start := time.Now()
	if err := datadir.Create(ctx, dir, datadir.InitOptions{Authority: scenario.Authority}); err != nil {
		return demoResult{}, fmt.Errorf("creating the ledger: %w", err)
	}
	lk, err := datadir.LedgerKey(dir)
	if err != nil {
		return demoResult{}, err
	}
	rk, err := datadir.RootKey(dir)
	if err != nil {
		return demoResult{}, err
	}
	st, err := datadir.OpenStore(dir)
	if err != nil {
		return demoResult{}, err
	}
	defer st.Close()
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: dir}.Checkpoints())
	if err != nil {
		return demoResult{}, err
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: lk, Publisher: pub})
	if err != nil {
		return demoResult{}, fmt.Errorf("opening the ledger: %w", err)
	}
	defer l.Close()

	tl := scenario.Generate(scenario.Config{Events: n, Seed: seed, End: time.Now()})
	signers := &demoSigners{root: rk, inst: map[string]*crypto.PrivateKey{}}
	total := uint64(len(tl.Registry) + len(scenario.Institutions) + len(tl.Events))
	var done atomic.Uint64
	step := func() {
		if d := done.Add(1); update != nil && (d%256 == 0 || d == total) {
			update(d, total)
		}
	}

	// The registry first: institutions, then one key each, written where tools find them.
	if err := appendAll(ctx, l, len(tl.Registry), workers, func(i int) (*ledger.Signed, error) {
		defer step()
		return signers.sign(&tl.Registry[i])
	}); err != nil {
		return demoResult{}, fmt.Errorf("registering institutions: %w", err)
	}
	keyDir := filepath.Join(datadir.Paths{Dir: dir}.Keys(), "institutions")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return demoResult{}, fmt.Errorf("creating %s: %w", keyDir, err)
	}
	for _, in := range scenario.Institutions {
		k, err := crypto.GenerateKey()
		if err != nil {
			return demoResult{}, err
		}
		if err := crypto.WriteKeyPair(filepath.Join(keyDir, in.ID), k); err != nil {
			return demoResult{}, err
		}
		signers.inst[in.ID] = k
	}
	if err := appendAll(ctx, l, len(scenario.Institutions), workers, func(i int) (*ledger.Signed, error) {
		defer step()
		in := scenario.Institutions[i]
		k := signers.inst[in.ID]
		e := scenario.Event{Type: ledger.TypeKeyRegistered, Stream: ledger.RegistryStream, Institution: scenario.Authority,
			Person: scenario.Institutions[0].Responsible, At: time.Now().Add(-time.Second), Root: true,
			Payload: map[string]any{"key_id": k.Public().ID(), "institution": in.ID, "public_key": string(crypto.MarshalPublicKeyPEM(k.Public()))}}
		return signers.sign(&e)
	}); err != nil {
		return demoResult{}, fmt.Errorf("registering keys: %w", err)
	}

	// Then the timeline, wave by wave: within a wave every event is signed and appended
	// concurrently (the sequencer group-commits them); a wave never holds an event and
	// the one it refers to.
	for _, wave := range scenario.Waves(tl.Events, 1024) {
		if err := appendAll(ctx, l, len(wave), workers, func(i int) (*ledger.Signed, error) {
			defer step()
			return signers.sign(&tl.Events[wave[i]])
		}); err != nil {
			return demoResult{}, err
		}
	}
	c, err := l.Checkpoint(ctx) // stored and published in DIR/checkpoints/
	if err != nil {
		return demoResult{}, fmt.Errorf("signing the final checkpoint: %w", err)
	}
	if err := l.Close(); err != nil {
		return demoResult{}, fmt.Errorf("closing the ledger: %w", err)
	}
	el := time.Since(start)
	res := demoResult{Dir: dir, Institutions: len(scenario.Institutions), Events: len(tl.Events), Entries: c.Size, Root: c.Root.String(),
		ElapsedS: el.Seconds(), PerS: float64(len(tl.Events)) / el.Seconds(), Types: tl.Summary()}
	for _, v := range tl.Violations {
		res.Violations = append(res.Violations, v.Finding+": "+v.Note)
	}
	return res, nil
}

// appendAll signs and appends n submissions on up to workers goroutines and returns the
// first error.
func appendAll(ctx context.Context, l *ledger.Ledger, n, workers int, sign func(i int) (*ledger.Signed, error)) error {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				s, err := sign(i)
				if err == nil {
					_, err = l.Append(ctx, s)
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(n)) // stop the others
					return
				}
			}
		}()
	}
	wg.Wait()
	var p *ledger.Problem
	if errors.As(first, &p) {
		return fmt.Errorf("the ledger refused a scenario event: %w", first)
	}
	return first
}

func printDemo(w io.Writer, r demoResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			return usage("demo: writing output: %v", err)
		}
		return nil
	}
	fmt.Fprintf(w, "demo ledger created 演示账本已创建: %s\n", r.Dir)
	fmt.Fprintf(w, "institutions 机构:     %d (keys in keys/institutions/)\n", r.Institutions)
	fmt.Fprintf(w, "events 事件:           %d\n", r.Events)
	fmt.Fprintf(w, "entries 记录:          %d\n", r.Entries)
	fmt.Fprintf(w, "checkpoint root 根哈希: %s\n", r.Root)
	fmt.Fprintf(w, "elapsed 耗时:          %.2fs (%.0f events/s)\n", r.ElapsedS, r.PerS)
	types := make([]string, 0, len(r.Types))
	for t := range r.Types {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		fmt.Fprintf(w, "  %-38s %6d\n", t, r.Types[t])
	}
	fmt.Fprintf(w, "deliberate violations 预设违规 (%d):\n", len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  %s\n", v)
	}
	return nil
}
