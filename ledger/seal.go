package ledger

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// pending is one request's place in a batch: sealed at a position, a repeat of an entry
// sealed earlier in this batch (or the one below it), or settled with a final answer.
type pending struct {
	req   *request
	entry *Entry // sealed here, or
	dupOf *Entry // a duplicate of one sealed earlier in this batch or the one below, or
	res   result // a final result already
	final bool
}

// tryCommit seals batch on the chain as it stands, writes it and answers its requests:
// the serial path (a store shared with other writers, and a retry after the head moved).
func (l *Ledger) tryCommit(ctx context.Context, batch []*request) error {
	b := l.startSealing(nil, l.sequence())
	if err := b.look(ctx, batch); err != nil {
		return err
	}
	b.admitAll(ctx, batch)
	if len(b.sealed) > 0 {
		if err := l.st.Append(ctx, &Batch{Entries: b.sealed, Nodes: b.nodes}); err != nil {
			return err
		}
		l.at = b.end()
		l.landed(b, b.tree.root())
	}
	b.answer()
	return nil
}

// landed publishes a batch the store has made durable: the registry and head it leaves,
// then the OnCommit hook. Its requests are answered after.
func (l *Ledger) landed(b *sealing, root Hash) {
	l.reg.Store(b.reg)
	l.head.Store(&treeHead{Size: b.size, LastHash: b.prev, Root: root})
	if l.opts.OnCommit != nil {
		l.opts.OnCommit(b.entries)
	}
}

// sequence starts the domain's in-order rule for a run of sealing (nil: no such rule).
func (l *Ledger) sequence() func(*Signed, uint64) error {
	if l.opts.Sequence == nil {
		return nil
	}
	return l.opts.Sequence()
}

// sealing is one batch on its way to the store: the chain as it will stand after the
// entries admitted so far, and what they add.
type sealing struct {
	l       *Ledger
	now     time.Time
	size    uint64
	prev    Hash
	tree    tree
	reg     *Registry
	inOrder func(*Signed, uint64) error
	// below is the batch sealed before this one and still being committed (pipeline.go):
	// the store does not hold its ids and stream versions yet, so they are read from it.
	below    *sealing
	existing map[string]uint64 // ids already in the store
	versions map[string]uint64 // stream versions, as the batch moves them
	inBatch  map[string]*Entry
	out      []pending
	sealed   []SealedEntry
	entries  []*Entry
	nodes    []Node
}

// startSealing starts a batch on the chain as the sequencer holds it, below the batch
// still being committed under it (nil: none), with the in-order rule's state so far.
func (l *Ledger) startSealing(below *sealing, inOrder func(*Signed, uint64) error) *sealing {
	a := l.at
	return &sealing{l: l, now: a.recorded, size: a.size, prev: a.last, tree: a.tree.clone(), reg: a.reg,
		inOrder: inOrder, below: below,
		existing: map[string]uint64{}, versions: map[string]uint64{}, inBatch: map[string]*Entry{}}
}

// end is the chain as it stands after the batch.
func (b *sealing) end() position {
	return position{size: b.size, last: b.prev, tree: b.tree, recorded: b.now, reg: b.reg}
}

// look reads what the store holds for the ids and streams of reqs that the batch has not
// seen yet (a stream's version from the batch below when that one moved it), and moves
// the batch's clock on: recorded_at never runs backwards along the log.
func (b *sealing) look(ctx context.Context, reqs []*request) error {
	ids := make([]string, 0, len(reqs))
	streams := make([]string, 0, len(reqs))
	for _, r := range reqs {
		ids = append(ids, r.s.Submission.ID)
		if _, ok := b.versions[r.s.Submission.Stream]; !ok {
			streams = append(streams, r.s.Submission.Stream)
		}
	}
	existing, err := b.l.st.Lookup(ctx, ids)
	if err != nil {
		return fmt.Errorf("looking up ids: %w", err)
	}
	versions, err := b.l.st.StreamVersions(ctx, streams)
	if err != nil {
		return fmt.Errorf("reading stream versions: %w", err)
	}
	for id, seq := range existing {
		b.existing[id] = seq
	}
	for _, s := range streams {
		v := versions[s]
		if b.below != nil {
			if bv, ok := b.below.versions[s]; ok {
				v = bv
			}
		}
		b.versions[s] = v
	}
	if now := b.l.opts.Now().UTC(); now.After(b.now) {
		b.now = now
	}
	return nil
}

// admitAll seals each of reqs in turn (look has read what they need).
func (b *sealing) admitAll(ctx context.Context, reqs []*request) {
	for _, r := range reqs {
		b.out = append(b.out, pending{req: r})
		b.admit(ctx, r, &b.out[len(b.out)-1])
		if afterSeal != nil {
			afterSeal(r.s.Submission.ID)
		}
	}
}

// afterSeal, set only by tests (before Open), learns of each submission the sequencer has
// placed in a batch, so that a test can hold a commit and know what was sealed above it.
var afterSeal func(id string)

// seal adds reqs to the batch: looked up and admitted, or, if the store cannot be read,
// each refused with that error.
func (b *sealing) seal(ctx context.Context, reqs []*request) {
	if err := b.look(ctx, reqs); err != nil {
		for _, r := range reqs {
			b.out = append(b.out, pending{req: r, res: result{err: fmt.Errorf("recording the submission: %w", err)}, final: true})
		}
		return
	}
	b.admitAll(ctx, reqs)
}

// requests are the batch's requests, in the order they came.
func (b *sealing) requests() []*request {
	rs := make([]*request, len(b.out))
	for i := range b.out {
		rs[i] = b.out[i].req
	}
	return rs
}

// answer sends every request of a committed batch its result.
func (b *sealing) answer() {
	for i := range b.out {
		p := &b.out[i]
		switch {
		case p.final:
			p.req.done <- p.res
		case p.dupOf != nil:
			p.req.done <- result{r: Receipt{Seq: p.dupOf.Seq, Hash: p.dupOf.Hash, StreamVersion: p.dupOf.StreamVersion, Duplicate: true}}
		default:
			p.req.done <- result{r: Receipt{Seq: p.entry.Seq, Hash: p.entry.Hash, StreamVersion: p.entry.StreamVersion}}
		}
	}
}

// sealedHere is the entry with id sealed in this batch or the one below it.
func (b *sealing) sealedHere(id string) (*Entry, bool) {
	if e, ok := b.inBatch[id]; ok {
		return e, true
	}
	if b.below != nil {
		e, ok := b.below.inBatch[id]
		return e, ok
	}
	return nil, false
}

// admit seals r at the next position if the rules let it in, or settles p with the
// answer: the original receipt of a repeat, or the refusal.
func (b *sealing) admit(ctx context.Context, r *request, p *pending) {
	sub := &r.s.Submission
	refuse := func(err error) { p.res, p.final = result{err: err}, true }
	if seq, ok := b.existing[sub.ID]; ok {
		p.res, p.final = b.l.duplicate(ctx, seq, r.s), true
		return
	}
	if e, ok := b.sealedHere(sub.ID); ok {
		if bytes.Equal(e.SubmissionRaw, r.s.Canonical) {
			p.dupOf = e
		} else {
			refuse(idConflict(e.Seq))
		}
		return
	}
	// The registry's part of the rule for every position (Registry.Step), with the
	// refusal as the registry gives it.
	reg, _, err := b.reg.admit(b.size, sub)
	if err != nil {
		refuse(err)
		return
	}
	cur := b.versions[sub.Stream]
	if ev := sub.ExpectedVersion; ev != nil && *ev != cur {
		refuse(conflict("wrong_expected_version", "submission.expected_version",
			fmt.Sprintf("stream %s is at version %d, not %d", sub.Stream, cur, *ev),
			fmt.Sprintf("流 %s 当前版本为 %d，而非 %d", sub.Stream, cur, *ev)))
		return
	}
	if b.inOrder != nil {
		if err := b.inOrder(r.s, cur); err != nil {
			refuse(err)
			return
		}
	}
	e := sealEntry(b.size, b.now, cur+1, b.prev, r.s)
	b.tree.append(LeafHash(e.Bytes), func(n Node) { b.nodes = append(b.nodes, n) })
	b.sealed = append(b.sealed, SealedEntry{Seq: e.Seq, ID: sub.ID, Stream: sub.Stream, StreamVersion: e.StreamVersion, Hash: e.Hash, Bytes: e.Bytes})
	b.entries = append(b.entries, e)
	b.inBatch[sub.ID] = e
	p.entry = e
	b.versions[sub.Stream] = cur + 1
	b.reg, b.prev = reg, e.Hash
	b.size++
}
