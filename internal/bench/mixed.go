package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// reportKinds are the report kinds of `ledgerctl report`, read in turn.
var reportKinds = []string{"findings", "assessment", "accountability", "emergencies", "obligations"}

// searchTypes are the event types the generator signs, searched in turn.
var searchTypes = []string{events.DataCollectedV1, events.DataAggregatedV1, events.DataStoredV1, events.DataProcessedV1, events.DataTransmittedV1}

// mixed runs the mixed phase: appends paced at rate per second from cfg.Concurrency
// goroutines, and the reads paced at cfg.ReadsPerS (checkpoints with consistency proofs,
// inclusion proofs and searches five parts each, reports one). It returns the appends
// acknowledged and the time taken, in-flight requests included.
func (s *soak) mixed(ctx context.Context, rate float64) (int64, time.Duration) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	t0 := time.Now()
	deadline := t0.Add(s.cfg.Duration)
	tokens := make(chan struct{}, s.cfg.Concurrency)
	var appended atomic.Int64
	var wg sync.WaitGroup
	for w := range s.cfg.Concurrency {
		wg.Go(func() { s.appender(ctx, tokens, uint64(w), &appended) })
	}
	unit := s.cfg.ReadsPerS / 16
	var readers sync.WaitGroup
	for _, r := range []struct {
		perS float64
		fn   func(context.Context, *rand.Rand)
	}{{5 * unit, s.checkpoint}, {5 * unit, s.inclusion}, {5 * unit, s.search}, {unit, s.report}} {
		readers.Go(func() { every(ctx, deadline, r.perS, r.fn) })
	}
	pace(ctx, deadline, rate, tokens)
	close(tokens)
	wg.Wait()
	readers.Wait()
	return appended.Load(), time.Since(t0)
}

// pace hands out rate tokens per second until deadline, catching up after a stall
// rather than dropping: the server is offered the rate asked for.
func pace(ctx context.Context, deadline time.Time, rate float64, tokens chan<- struct{}) {
	t0 := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var sent int64
	for now := t0; now.Before(deadline); now = time.Now() {
		for due := int64(rate * now.Sub(t0).Seconds()); sent < due; sent++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// every calls fn perS times a second until deadline (fewer when fn is slower).
func every(ctx context.Context, deadline time.Time, perS float64, fn func(context.Context, *rand.Rand)) {
	if perS <= 0 {
		return
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	tick := time.NewTicker(time.Duration(float64(time.Second) / perS))
	defer tick.Stop()
	for time.Now().Before(deadline) {
		fn(ctx, r)
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// appender signs and sends one submission per token.
func (s *soak) appender(ctx context.Context, tokens <-chan struct{}, w uint64, appended *atomic.Int64) {
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), w))
	for range tokens {
		sub, err := s.gen.Sign(r)
		if err != nil {
			s.rec.done(OpAppend, 0, "signing", err)
			continue
		}
		t0 := time.Now()
		rc, err := s.c.Submit(ctx, sub)
		s.rec.done(OpAppend, time.Since(t0), "", err)
		if err == nil {
			s.addAck(sub, rc)
			appended.Add(1)
		}
	}
}

// checkpoint fetches the latest checkpoint, checks its signature and, when the log has
// grown since the last one, that the new tree extends the old (consistency proof).
func (s *soak) checkpoint(ctx context.Context, _ *rand.Rand) {
	t0 := time.Now()
	text, err := s.c.Checkpoint(ctx)
	if err != nil {
		s.rec.done(OpCheckpoint, 0, "", err)
		return
	}
	cp, _, err := ledger.OpenCheckpoint(text, s.origin, s.lkey)
	s.rec.done(OpCheckpoint, time.Since(t0), "checkpoint_invalid", err)
	if err != nil {
		return
	}
	s.mu.Lock()
	old := s.cp
	if cp.Size > old.Size {
		s.cp = cp
	}
	s.mu.Unlock()
	if old.Size == 0 || cp.Size <= old.Size {
		if cp.Size < old.Size {
			s.rec.done(OpConsistency, 0, "checkpoint_shrank", fmt.Errorf("checkpoint of size %d after one of %d", cp.Size, old.Size))
		}
		return
	}
	t0 = time.Now()
	p, err := s.c.ConsistencyProof(ctx, old.Size, &cp.Size)
	if err == nil {
		err = ledger.VerifyConsistency(old.Size, cp.Size, p.Proof, old.Root, cp.Root)
		s.rec.done(OpConsistency, time.Since(t0), "proof_invalid", err)
		return
	}
	s.rec.done(OpConsistency, 0, "", err)
}

// inclusion proves a random acknowledged entry under the latest verified checkpoint:
// the entry bytes hash to the acknowledged hash and lead to the signed root.
func (s *soak) inclusion(ctx context.Context, r *rand.Rand) {
	s.mu.Lock()
	cp := s.cp
	var a ack
	found := false
	for range 8 { // an ack the checkpoint covers; the newest may not be yet
		if len(s.acks) > 0 {
			if a = s.acks[r.IntN(len(s.acks))]; a.seq < cp.Size {
				found = true
				break
			}
		}
	}
	s.mu.Unlock()
	if !found {
		return
	}
	t0 := time.Now()
	p, err := s.c.InclusionProof(ctx, a.seq, &cp.Size)
	if err != nil {
		s.rec.done(OpInclusion, 0, "", err)
		return
	}
	err = ledger.VerifyInclusion(p.Entry, a.seq, cp.Size, p.InclusionProof, cp.Root)
	if err == nil && ledger.SumEntry(p.Entry) != a.hash {
		err = fmt.Errorf("entry %d does not hash to its acknowledged hash", a.seq)
	}
	s.rec.done(OpInclusion, time.Since(t0), "proof_invalid", err)
}

// search asks the index for one type of the soak institution's acts and checks that
// every hit is what was asked for.
func (s *soak) search(ctx context.Context, r *rand.Rand) {
	typ := searchTypes[r.IntN(len(searchTypes))]
	t0 := time.Now()
	page, err := s.c.Search(ctx, url.Values{"institution": {s.gen.Institution()}, "type": {typ}, "limit": {"50"}})
	if err != nil {
		s.rec.done(OpSearch, 0, "", err)
		return
	}
	for _, h := range page.Events {
		if h.Institution != s.gen.Institution() || h.Type != typ {
			err = fmt.Errorf("asked for %s by %s, got %s by %s", typ, s.gen.Institution(), h.Type, h.Institution)
			break
		}
	}
	s.rec.done(OpSearch, time.Since(t0), "search_mismatch", err)
}

// report renders one report kind, in turn, as JSON.
func (s *soak) report(ctx context.Context, r *rand.Rand) {
	kind := reportKinds[r.IntN(len(reportKinds))]
	t0 := time.Now()
	body, err := s.c.Report(ctx, kind, url.Values{"format": {"json"}})
	if err != nil {
		s.rec.done(OpReport, 0, "", err)
		return
	}
	if !json.Valid(body) {
		err = fmt.Errorf("report %s: the answer is not JSON", kind)
	}
	s.rec.done(OpReport, time.Since(t0), "report_invalid", err)
}
