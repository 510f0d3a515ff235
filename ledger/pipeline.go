package ledger

import (
	"context"
	"errors"
	"fmt"
)

// The pipelined sequencer, for a store this ledger writes alone (not a HeadLocker).
//
// A group commit spends most of its time waiting for the disk (page writes, two
// fdatasyncs), and sealing — building each entry, hashing it into the chain and the
// tree, the registry's and the domain's in-order rules — is serial work on one goroutine.
// Done one after the other the cores sit idle through every fsync. Here they overlap:
// while one batch is being committed (its flight), the sequencer seals the submissions
// arriving meanwhile on top of it, as the next batch, and hands that over the moment the
// flight lands. At most one batch is in flight and one open, so the chain the open batch
// extends is known exactly: the flight's end.
//
// Nothing is acknowledged before it is durable: a flight's requests are answered by the
// goroutine that committed it, after the store's Append returned. If a flight fails, the
// batch sealed on top of it is void (its positions, hashes and tree nodes assumed the
// flight's entries): the sequencer rewinds the chain to where the flight began, answers
// the flight's requests with the failure, and seals the open batch's requests afresh.

// pipelineEpoch bounds how many batches in a row are sealed on top of one still in
// flight before the sequencer waits for the pipeline to drain. The domain's in-order rule
// (Options.Sequence) carries what each batch of such a run opened, because the write
// model learns of a batch only when it lands; a drained pipeline starts the rule afresh,
// so what it carries stays bounded.
const pipelineEpoch = 64

// flight is a sealed batch being committed.
type flight struct {
	b      *sealing
	before position // the chain where the batch began, to rewind to if it fails
	root   Hash
	landed chan error // nil: committed and answered; else nothing was answered
}

// runPipelined is the sequencer's loop for a store nobody else writes.
func (l *Ledger) runPipelined() {
	defer close(l.done)
	ctx := context.Background()
	var fl *flight
	var open *sealing
	epoch := 0
	in := l.reqs
	for in != nil || fl != nil || open != nil {
		if fl == nil && open != nil {
			fl, open = l.launch(open), nil
			continue
		}
		var landed <-chan error
		if fl != nil {
			landed = fl.landed
		}
		recv := in
		if open != nil && len(open.out) >= l.opts.MaxBatch {
			recv = nil // full: wait for the flight to land
		}
		select {
		case r, ok := <-recv:
			if !ok {
				in = nil
				continue
			}
			room := l.opts.MaxBatch
			if open != nil {
				room -= len(open.out)
			}
			chunk, more := l.take(r, room)
			if !more {
				in = nil
			}
			if len(chunk) == 0 {
				continue
			}
			if open == nil {
				if fl != nil && epoch >= pipelineEpoch {
					l.settle(ctx, fl, <-fl.landed, nil)
					fl = nil
				}
				var rule func(*Signed, uint64) error
				var below *sealing
				if fl != nil {
					rule, below = fl.b.inOrder, fl.b
					epoch++
				} else {
					rule, epoch = l.sequence(), 0
				}
				open = l.startSealing(below, rule)
			}
			open.seal(ctx, chunk)
			if fl == nil {
				fl, open = l.launch(open), nil
			}
		case err := <-landed:
			open = l.settle(ctx, fl, err, open)
			fl = nil
			if err != nil {
				epoch = 0 // what was above was sealed again, with the rule started afresh
			}
		}
	}
}

// take returns r and whatever else is queued, up to room, without waiting; sync
// requests (another writer's commits to fold in) are answered at once, as a store
// nobody else writes has none. more is false once the queue is closed.
func (l *Ledger) take(r *request, room int) (chunk []*request, more bool) {
	more = true
	for {
		if r.s == nil {
			r.done <- result{}
		} else {
			chunk = append(chunk, r)
		}
		if len(chunk) >= room {
			return chunk, more
		}
		select {
		case next, ok := <-l.reqs:
			if !ok {
				return chunk, false
			}
			r = next
		default:
			return chunk, more
		}
	}
}

// launch hands a sealed batch to its own goroutine to be committed and moves the
// sequencer's chain to the batch's end.
func (l *Ledger) launch(b *sealing) *flight {
	f := &flight{b: b, before: l.at, landed: make(chan error, 1)}
	if len(b.sealed) > 0 {
		f.root = b.tree.root()
		l.at = b.end()
	}
	go l.land(f)
	return f
}

// land commits a flight and, once it is durable, publishes the new head and answers its
// requests; a failure is handed back to the sequencer unanswered.
func (l *Ledger) land(f *flight) {
	b := f.b
	if len(b.sealed) > 0 {
		if err := l.st.Append(context.Background(), &Batch{Entries: b.sealed, Nodes: b.nodes}); err != nil {
			f.landed <- err
			return
		}
		l.landed(b, f.root)
	}
	b.answer()
	f.landed <- nil
}

// settle takes a landed flight's result. On failure the chain goes back to where the
// flight began, its requests are answered with the failure (or, if another writer moved
// the head, committed again on the serial path), and the requests of open, sealed on top
// of it, are sealed afresh; settle returns the batch that is open now.
func (l *Ledger) settle(ctx context.Context, f *flight, err error, open *sealing) *sealing {
	if err == nil {
		return open
	}
	l.at = f.before
	if errors.Is(err, ErrHeadMoved) {
		l.commit(f.b.requests())
	} else {
		l.opts.Logger.Error("append failed", "entries", len(f.b.out), "err", err)
		failAll(f.b.requests(), err)
	}
	if open == nil {
		return nil
	}
	again := l.startSealing(nil, l.sequence())
	again.seal(ctx, open.requests())
	return again
}

// failAll answers every request with a failure to record it.
func failAll(reqs []*request, err error) {
	for _, r := range reqs {
		r.done <- result{err: fmt.Errorf("recording the submission: %w", err)}
	}
}
