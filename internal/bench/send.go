package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
)

// SendOptions is one burst of submissions.
type SendOptions struct {
	Events      int
	Concurrency int              // requests in flight
	Batch       int              // submissions per request (POST /v1/events:batch); ≤ 1: one per POST /v1/events
	Presigned   []*ledger.Signed // if set, sent in order instead of signing on the fly
	// OnAck is called with each acknowledged submission and its receipt, from the
	// sending goroutine, before the submission counts as acknowledged; an error stops
	// the run.
	OnAck  func(*ledger.Signed, ledger.Receipt) error
	Update func(done, total uint64) // progress, or nil
}

// SendStats is what a burst measured.
type SendStats struct {
	Acked, Duplicates int64
	Latency           []time.Duration  // of each acknowledged submission, retries included
	Failed            map[string]int64 // submissions that failed for good, by ErrorCode
}

// Send signs (or takes presigned) submissions and sends them from o.Concurrency
// goroutines, stopping everything at the first submission that fails for good (a
// refusal, or a server away for longer than the client's retry window).
func Send(ctx context.Context, c *client.Client, g *Generator, o SendOptions) (SendStats, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := feed(ctx, cancel, g, o)
	s := &sendState{failed: map[string]int64{}}
	var senders sync.WaitGroup
	for range o.Concurrency {
		senders.Go(func() { s.send(ctx, cancel, c, o, work) })
	}
	senders.Wait()
	st := SendStats{Acked: s.acked.Load(), Duplicates: s.dups.Load(), Latency: s.lat, Failed: s.failed}
	if len(st.Failed) == 0 {
		st.Failed = nil
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return st, cause
	}
	return st, ctx.Err()
}

// feed produces the submissions to send: o.Presigned in order, or freshly signed on
// every core. The channel closes when all are produced or ctx ends.
func feed(ctx context.Context, cancel context.CancelCauseFunc, g *Generator, o SendOptions) <-chan *ledger.Signed {
	work := make(chan *ledger.Signed, 2*o.Concurrency)
	var next atomic.Int64
	var signers sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	if o.Presigned != nil {
		workers = 1
	}
	for w := range workers {
		signers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for i := next.Add(1) - 1; i < int64(o.Events); i = next.Add(1) - 1 {
				var s *ledger.Signed
				if o.Presigned != nil {
					s = o.Presigned[i]
				} else {
					var err error
					if s, err = g.Sign(r); err != nil {
						cancel(fmt.Errorf("signing submission %d: %w", i, err))
						return
					}
				}
				select {
				case work <- s:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { signers.Wait(); close(work) }()
	return work
}

// sendState is what the senders share.
type sendState struct {
	acked, dups atomic.Int64
	mu          sync.Mutex
	lat         []time.Duration
	failed      map[string]int64
}

// send is one sending goroutine: it submits what work delivers, o.Batch at a time, until
// it closes.
func (s *sendState) send(ctx context.Context, cancel context.CancelCauseFunc, c *client.Client, o SendOptions, work <-chan *ledger.Signed) {
	var mine []time.Duration
	defer func() { s.mu.Lock(); s.lat = append(s.lat, mine...); s.mu.Unlock() }()
	batch := make([]*ledger.Signed, 0, max(o.Batch, 1))
	for open := true; open; {
		batch = batch[:0]
		for len(batch) < cap(batch) {
			sub, ok := <-work
			if !ok {
				open = false
				break
			}
			batch = append(batch, sub)
		}
		if len(batch) == 0 || ctx.Err() != nil {
			continue // drain so the signers can stop
		}
		t0 := time.Now()
		rcs, errs := submit(ctx, c, batch, o.Batch > 1)
		took := time.Since(t0)
		for i, sub := range batch {
			if s.settle(ctx, cancel, o, sub, rcs[i], errs[i]) {
				mine = append(mine, took)
			}
		}
	}
}

// submit sends batch in one request (POST /v1/events:batch) or, with one submission and
// no batch asked for, as POST /v1/events.
func submit(ctx context.Context, c *client.Client, batch []*ledger.Signed, asBatch bool) ([]ledger.Receipt, []error) {
	if !asBatch {
		r, err := c.Submit(ctx, batch[0])
		return []ledger.Receipt{r}, []error{err}
	}
	rcs, errs, err := c.SubmitBatch(ctx, batch)
	if err != nil {
		errs = make([]error, len(batch))
		for i := range errs {
			errs[i] = err
		}
		rcs = make([]ledger.Receipt, len(batch))
	}
	return rcs, errs
}

// settle counts one submission's answer and reports whether it was acknowledged; a
// failure for good stops the run.
func (s *sendState) settle(ctx context.Context, cancel context.CancelCauseFunc, o SendOptions, sub *ledger.Signed, r ledger.Receipt, err error) bool {
	if err != nil {
		if ctx.Err() == nil {
			s.mu.Lock()
			s.failed[ErrorCode(err)]++
			s.mu.Unlock()
			cancel(err)
		}
		return false
	}
	if o.OnAck != nil {
		if err := o.OnAck(sub, r); err != nil {
			cancel(err)
			return false
		}
	}
	if r.Duplicate {
		s.dups.Add(1)
	}
	if n := s.acked.Add(1); o.Update != nil {
		o.Update(uint64(n), uint64(o.Events))
	}
	return true
}

// SignAll signs n submissions on every core before the run, so that the run measures
// the server and not this process.
func SignAll(ctx context.Context, g *Generator, n int) ([]*ledger.Signed, error) {
	out := make([]*ledger.Signed, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var first atomic.Pointer[error]
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for i := next.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = next.Add(1) - 1 {
				s, err := g.Sign(r)
				if err != nil {
					first.CompareAndSwap(nil, &err)
					return
				}
				out[i] = s
			}
		})
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		return nil, fmt.Errorf("signing submissions: %w", *e)
	}
	return out, ctx.Err()
}

// AckWriter appends acknowledged ids to a file. Every Add reaches the operating system
// before it returns (one write per id, no user-space buffer), so what the file holds is
// exactly what was acknowledged, whatever happens to the server — or to this process
// after Add returned.
type AckWriter struct {
	mu  sync.Mutex
	f   *os.File
	buf []byte
}

// OpenAckWriter opens path for appending, creating it.
func OpenAckWriter(path string) (*AckWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &AckWriter{f: f}, nil
}

// Add writes one id and its newline in one write.
func (a *AckWriter) Add(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buf = append(append(a.buf[:0], id...), '\n')
	_, err := a.f.Write(a.buf)
	return err
}

// Close syncs the file to disk and closes it.
func (a *AckWriter) Close() error {
	if err := a.f.Sync(); err != nil {
		a.f.Close()
		return err
	}
	return a.f.Close()
}
