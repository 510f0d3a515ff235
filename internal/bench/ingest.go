package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/google/uuid"
)

// ingestStats is what one ingest run measured besides its rate.
type ingestStats struct {
	batches uint64        // group commits
	cpu     time.Duration // process CPU time while ingesting
}

// signers holds the keys the benchmark signs scenario events with: the root for the
// registry's acts, one key per institution for the rest.
type signers struct {
	root *crypto.PrivateKey
	inst map[string]*crypto.PrivateKey
}

func (s *signers) sign(e *scenario.Event) (*ledger.Signed, error) {
	k := s.root
	if !e.Root {
		if k = s.inst[e.Institution]; k == nil {
			return nil, fmt.Errorf("no key for %s", e.Institution)
		}
	}
	id := "" // the scenario's own id (UUIDv7 of the act's time) when it has one
	if e.ID == "" {
		id = uuid.Must(uuid.NewV7()).String()
	}
	sub, err := e.Submission(id, k.Public().ID())
	if err != nil {
		return nil, err
	}
	return ledger.SignSubmission(k, sub)
}

// ingestLedger is a freshly founded ledger opened as ledgerd opens it, with the count of
// its group commits.
type ingestLedger struct {
	l       *ledger.Ledger
	st      ledger.Store
	signers *signers
	batches atomic.Uint64
}

// close closes the ledger and its store, for a run that failed.
func (il *ingestLedger) close() {
	il.l.Close()
	il.st.Close()
}

// runIngest creates a ledger in dir (or, with ext, keys in dir and entries in the empty
// store ext), registers cfg.Institutions institution keys, pre-signs cfg.Events scenario
// submissions and appends them from cfg.Submitters goroutines. It returns the rate, the
// number of group commits, and the (still open) store.
func runIngest(ctx context.Context, cfg *Config, dir string, ext ledger.Store) (float64, ingestStats, ledger.Store, error) {
	il, err := openIngestLedger(ctx, dir, ext)
	if err != nil {
		return 0, ingestStats{}, nil, err
	}
	insts, err := il.register(ctx, cfg.Institutions)
	if err != nil {
		il.close()
		return 0, ingestStats{}, nil, err
	}
	cfg.say("pre-signing %d submissions from %d institutions", cfg.Events, cfg.Institutions)
	subs, err := il.presign(cfg.Events, insts)
	if err != nil {
		il.close()
		return 0, ingestStats{}, nil, err
	}
	cfg.say("ingesting %d submissions from %d goroutines", cfg.Events, cfg.Submitters)
	perS, stats, err := il.ingest(ctx, subs, cfg.Submitters, cfg.profile)
	if err != nil {
		il.close()
		return 0, ingestStats{}, nil, err
	}
	if err := il.l.Close(); err != nil {
		il.st.Close()
		return 0, ingestStats{}, nil, err
	}
	return perS, stats, il.st, nil
}

// openIngestLedger founds a ledger in dir and opens it with the catalogue checker wired:
// production ingest checks every payload against the event catalogue (ledgerd wires the
// same checker), so the benchmark does too.
func openIngestLedger(ctx context.Context, dir string, ext ledger.Store) (*ingestLedger, error) {
	if err := datadir.Create(ctx, dir, datadir.InitOptions{Authority: scenario.Authority, Store: ext}); err != nil {
		return nil, err
	}
	lk, err := datadir.LedgerKey(dir)
	if err != nil {
		return nil, err
	}
	rk, err := datadir.RootKey(dir)
	if err != nil {
		return nil, err
	}
	st := ext
	if st == nil {
		if st, err = datadir.OpenStore(dir); err != nil {
			return nil, err
		}
	}
	il := &ingestLedger{st: st, signers: &signers{root: rk, inst: map[string]*crypto.PrivateKey{}}}
	chk := commands.NewChecker(registry.New(), lk, nil)
	opts := ledger.Options{Signer: lk, CheckpointEvery: -1, OnCommit: func([]*ledger.Entry) { il.batches.Add(1) }}
	chk.Wire(&opts)
	if il.l, err = ledger.Open(ctx, st, opts); err != nil {
		st.Close()
		return nil, err
	}
	if err := chk.Attach(ctx, il.l); err != nil {
		il.close()
		return nil, err
	}
	return il, nil
}

// appendEvent signs one scenario event and appends it, waiting for the receipt.
func (il *ingestLedger) appendEvent(ctx context.Context, e *scenario.Event) error {
	s, err := il.signers.sign(e)
	if err != nil {
		return err
	}
	if _, err := il.l.Append(ctx, s); err != nil {
		return fmt.Errorf("%s by %s: %w", e.Type, e.Institution, err)
	}
	return nil
}

// register gives the first n institutions a key registered by the root, registers each
// institution (root) and the officials the ingest names (bench-00 first, registering
// itself), as the checker requires (第三条、第七条). It returns their ids.
func (il *ingestLedger) register(ctx context.Context, n int) ([]string, error) {
	var insts []string
	for _, in := range scenario.Institutions[:n] {
		k, err := crypto.GenerateKey()
		if err != nil {
			return nil, err
		}
		il.signers.inst[in.ID] = k
		insts = append(insts, in.ID)
		reg := scenario.Event{Type: ledger.TypeKeyRegistered, Stream: ledger.RegistryStream, Institution: scenario.Authority,
			Person: scenario.Institutions[0].Responsible(), At: time.Now().Add(-time.Second), Root: true,
			Payload: map[string]any{"key_id": k.Public().ID(), "institution": in.ID, "public_key": string(crypto.MarshalPublicKeyPEM(k.Public()))}}
		if err := il.appendEvent(ctx, &reg); err != nil {
			return nil, err
		}
	}
	for _, in := range scenario.Institutions[:n] {
		// The root's acts name the authority's official bench-00 (registered with the
		// authority, the first institution).
		reg := scenario.Event{Type: events.InstitutionRegisteredV1, Stream: "institution/" + in.ID, Institution: scenario.Authority,
			Person: scenario.IngestPerson(0), At: time.Now().Add(-time.Second), Root: true,
			Payload: &events.InstitutionRegistered{Institution: in.ID, NameZH: in.NameZH, NameEN: in.NameEN, Level: in.Level, Kind: in.Kind, County: in.County, DataAuthority: in.DataAuthority}}
		if err := il.appendEvent(ctx, &reg); err != nil {
			return nil, err
		}
		for i := range scenario.IngestPeople {
			e := scenario.Event{Type: events.PersonRegisteredV1, Stream: "institution/" + in.ID, Institution: in.ID, Person: scenario.IngestPerson(0),
				At: time.Now().Add(-time.Second), Payload: &events.PersonRegistered{Person: scenario.IngestPerson(i)}}
			if err := il.appendEvent(ctx, &e); err != nil {
				return nil, err
			}
		}
	}
	return insts, nil
}

// presign signs n realistic submissions, round-robin from insts, each valid for the
// checker in any order, on every core.
func (il *ingestLedger) presign(n int, insts []string) ([]*ledger.Signed, error) {
	evs := scenario.Ingest(n, 42, insts, time.Now())
	// Submissions reach a ledger roughly in the order the acts happen, and their UUIDv7
	// ids (taken from occurred_at) rise with it: send them in that order, as a live
	// system would, not shuffled over a month.
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	subs := make([]*ledger.Signed, n)
	var first atomic.Pointer[error]
	parallelFor(n, runtime.GOMAXPROCS(0), func(i int) {
		s, err := il.signers.sign(&evs[i])
		if err != nil {
			first.CompareAndSwap(nil, &err)
			return
		}
		subs[i] = s
	})
	if e := first.Load(); e != nil {
		return nil, fmt.Errorf("pre-signing: %w", *e)
	}
	return subs, nil
}

// ingest appends subs from submitters goroutines and times it, profiling into profile
// when set (the caller stops the profile after verification).
func (il *ingestLedger) ingest(ctx context.Context, subs []*ledger.Signed, submitters int, profile io.Writer) (float64, ingestStats, error) {
	runtime.GC()
	before := il.batches.Load()
	var bad atomic.Int64
	var firstErr atomic.Pointer[error]
	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return 0, ingestStats{}, fmt.Errorf("starting the CPU profile: %w", err)
		}
	}
	c0 := cpuTime()
	t0 := time.Now()
	parallelFor(len(subs), submitters, func(i int) {
		if _, err := il.l.Append(ctx, subs[i]); err != nil {
			bad.Add(1)
			firstErr.CompareAndSwap(nil, &err)
		}
	})
	el := time.Since(t0)
	cpu := cpuTime() - c0
	if bad.Load() > 0 {
		return 0, ingestStats{}, fmt.Errorf("%d submissions refused; first: %w", bad.Load(), *firstErr.Load())
	}
	if len(subs) == 0 {
		return 0, ingestStats{}, errors.New("nothing to ingest")
	}
	return float64(len(subs)) / el.Seconds(), ingestStats{batches: il.batches.Load() - before, cpu: cpu}, nil
}

// parallelFor runs fn(0..n-1) on w goroutines.
func parallelFor(n, w int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}
