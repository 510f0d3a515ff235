package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/google/uuid"
)

// VerifyOptions tune a full verification.
type VerifyOptions struct {
	// Workers is how many goroutines parse and check signatures (default GOMAXPROCS).
	Workers int
	// Progress, if set, is called after each chunk with entries checked and the total.
	Progress func(done, total uint64)
	// LedgerKey and RootKey, if set, pin the keys the genesis entry must name: a verifier
	// that takes the keys from the log itself proves consistency, not identity.
	LedgerKey, RootKey *crypto.PublicKey
	// Checkpoints are extra signed checkpoints to check against the log (published
	// copies, witnesses' copies); stored checkpoints are always checked.
	Checkpoints [][]byte
}

// ErrStoreDamaged marks a store whose own format is broken (a bbolt file cut short,
// overwritten or zero-filled: boltstore.DamagedError), as opposed to entries that fail
// verification. Verify returns such errors as they are, never as a *ChainError: damage
// to the file is not tampering at a position, and the operator's remedy differs
// (restore the file from a backup rather than investigate an entry).
var ErrStoreDamaged = errors.New("the store is damaged")

// VerifyReport says what a verification covered.
type VerifyReport struct {
	Entries     uint64
	Checkpoints int
	Root        Hash
	Elapsed     time.Duration
}

// The walk reads verifyChunk entries per store transaction and hands verifyTask entries
// at a time to the workers; at most verifyAhead chunks are in flight, which bounds memory
// to a few MiB whatever the log's size.
var (
	verifyChunk uint64 = 1024
	verifyTask         = 64
)

const verifyAhead = 4

// Verify re-checks the whole log from its stored bytes: every entry's hash and canonical
// form, position, chain link, stream version, id uniqueness, the key registry rule in
// force at that position, the actor's SM2 signature, the stored Merkle leaves, and every
// stored checkpoint's signature and root. It returns a *ChainError naming the first bad
// position, or another error if the store cannot be read.
func Verify(ctx context.Context, st Store, opts VerifyOptions) (VerifyReport, error) {
	return verify(ctx, st, opts, (*verifier).walk)
}

// VerifySequential checks exactly what Verify checks, one entry at a time: read it,
// check its bytes, apply the rule for its position, check its signature, then the next.
// It is the reference the parallel pipeline is held to (a differential test and a fuzz
// target compare their findings), short enough for an auditor to read whole; it uses
// one core and reads the store an entry at a time, so it is several times slower.
func VerifySequential(ctx context.Context, st Store, opts VerifyOptions) (VerifyReport, error) {
	return verify(ctx, st, opts, (*verifier).sequential)
}

// verify runs the checks around a walk over the entries: checkpoints before, head and
// roots after.
func verify(ctx context.Context, st Store, opts VerifyOptions, walk func(*verifier, context.Context) error) (VerifyReport, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	// Checkpoints first, then the head: on a store other writers append to and
	// checkpoint meanwhile, a head read first could be older than a checkpoint read
	// after it, which would look like truncation.
	var ckpts []Checkpoint
	if err := st.Checkpoints(ctx, func(c Checkpoint) error {
		c.Note = append([]byte(nil), c.Note...)
		ckpts = append(ckpts, c)
		return nil
	}); err != nil {
		return VerifyReport{}, fmt.Errorf("reading checkpoints: %w", err)
	}
	h, err := st.Head(ctx)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("reading head: %w", err)
	}
	v := &verifier{st: st, opts: opts, size: h.Size, tree: newTree(), hist: newMemHistory(), roots: map[uint64]Hash{}}
	if ckpts, err = v.openCheckpoints(ctx, ckpts); err != nil {
		return VerifyReport{}, err
	}
	if err := walk(v, ctx); err != nil {
		return VerifyReport{}, err
	}
	if h.Size > 0 && v.chain.Last != h.LastHash {
		return VerifyReport{}, &ChainError{Seq: h.Size - 1, Reason: "bad_head", Detail: "the stored head hash is not the last entry's hash"}
	}
	if err := v.checkRoots(ckpts); err != nil {
		return VerifyReport{}, err
	}
	if v.beyond > h.Size {
		return VerifyReport{}, &ChainError{Seq: h.Size, Reason: "truncated",
			Detail: fmt.Sprintf("a signed checkpoint covers %d entries but the store holds %d", v.beyond, h.Size)}
	}
	return VerifyReport{Entries: h.Size, Checkpoints: len(ckpts), Root: v.tree.root(), Elapsed: time.Since(start)}, nil
}

type verifier struct {
	st     Store
	opts   VerifyOptions
	size   uint64
	chain  Chain
	hist   *memHistory
	tree   tree
	roots  map[uint64]Hash // tree roots at checkpoint sizes, filled during the walk
	want   []uint64        // checkpoint sizes still to reach, ascending
	beyond uint64          // the largest checkpoint size beyond the stored log, if any
}

type slot struct {
	raw  RawEntry
	e    *Entry
	rec  time.Time // e.RecordedAt, parsed off the sequential stage
	leaf Hash
	key  *crypto.PublicKey
	err  *ChainError
}

// vchunk is one range of entries on its way through the walk.
type vchunk struct {
	from    uint64
	slots   []slot
	readErr error // what stopped reading after the last slot (a *ChainError or an I/O error)
	parsed  sync.WaitGroup
	pending atomic.Int64 // signature tasks not yet finished
}

// walk checks every entry in a pipeline that keeps all cores busy: a reader copies
// chunks out of the store; workers parse, hash and compare them with the stored leaves;
// this goroutine applies the sequential rules (position, chain, registry, streams, ids,
// tree) in order; workers then check the signatures of everything the sequential rules
// passed. Reading, parsing and the sequential rules of later chunks overlap the signature
// checks of earlier ones, which are most of the work.
//
// The first bad position is the smaller of the first entry the sequential rules refuse
// and the first entry before it whose signature fails; nothing after a refused entry is
// checked (its keys and positions are no longer known).
func (v *verifier) walk(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &walkState{v: v, tasks: make(chan func(), 8*v.opts.Workers), inFlight: make(chan struct{}, verifyAhead)}
	var workers sync.WaitGroup
	for range v.opts.Workers {
		workers.Go(func() {
			for t := range w.tasks {
				t()
			}
		})
	}
	chunks := make(chan *vchunk, verifyAhead)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(chunks)
		w.readAll(ctx, chunks)
	}()
	for c := range chunks {
		if !w.chunk(c) {
			break
		}
	}
	cancel()
	<-readerDone
	close(w.tasks)
	workers.Wait()
	return w.result(ctx)
}

// walkState is what the walk's stages share.
type walkState struct {
	v        *verifier
	tasks    chan func()
	inFlight chan struct{}
	sigBad   atomic.Int64 // 1 + the smallest seq whose signature failed; 0: none
	checked  atomic.Uint64
	first    *ChainError
	ioErr    error
	stepped  uint64
}

// readAll reads the log chunk by chunk, queues each chunk's parsing, and hands the
// chunks on in order; it stops at the first read failure.
func (w *walkState) readAll(ctx context.Context, chunks chan<- *vchunk) {
	v := w.v
	for from := uint64(0); from < v.size && ctx.Err() == nil; from += verifyChunk {
		c := v.read(ctx, from, min(from+verifyChunk, v.size))
		for i := 0; i < len(c.slots); i += verifyTask {
			j := min(i+verifyTask, len(c.slots))
			c.parsed.Add(1)
			w.tasks <- func() { defer c.parsed.Done(); v.parse(c, i, j) }
		}
		select {
		case chunks <- c:
		case <-ctx.Done():
			return
		}
		if c.readErr != nil {
			return
		}
	}
}

// chunk applies the sequential rules to a parsed chunk and queues the signature checks
// of every entry they passed; it reports whether the walk goes on.
func (w *walkState) chunk(c *vchunk) bool {
	c.parsed.Wait()
	if b := w.sigBad.Load(); b > 0 && uint64(b-1) < c.from {
		return false // an earlier signature failure already decides the answer
	}
	stop := len(c.slots)
	for i := range c.slots {
		s := &c.slots[i]
		if s.err == nil {
			s.err = w.v.step(s)
		}
		if s.err != nil {
			w.first, stop = s.err, i
			break
		}
	}
	w.stepped += uint64(stop)
	if w.first == nil && c.readErr != nil {
		if ce, ok := c.readErr.(*ChainError); ok {
			w.first = ce
		} else {
			w.ioErr = c.readErr
		}
	}
	w.inFlight <- struct{}{}
	c.pending.Store(int64((stop + verifyTask - 1) / verifyTask))
	if stop == 0 {
		<-w.inFlight
	}
	for i := 0; i < stop; i += verifyTask {
		j := min(i+verifyTask, stop)
		w.tasks <- func() { w.signatures(c, i, j) }
	}
	if w.v.opts.Progress != nil {
		w.v.opts.Progress(w.checked.Load(), w.v.size)
	}
	return w.first == nil && w.ioErr == nil
}

// signatures checks the signatures of slots [i, j), keeping the smallest failing seq.
func (w *walkState) signatures(c *vchunk, i, j int) {
	for k := i; k < j; k++ {
		s := &c.slots[k]
		if !s.key.Verify(s.e.SubmissionRaw, s.e.Signature) {
			for seq := int64(s.raw.Seq) + 1; ; {
				b := w.sigBad.Load()
				if (b != 0 && b <= seq) || w.sigBad.CompareAndSwap(b, seq) {
					break
				}
			}
			break
		}
	}
	w.checked.Add(uint64(j - i))
	if c.pending.Add(-1) == 0 {
		c.slots = nil
		<-w.inFlight
	}
}

// result is the walk's finding: the smaller of the first entry the sequential rules
// refused and the first signature failure before it.
func (w *walkState) result(ctx context.Context) error {
	v := w.v
	if w.ioErr != nil {
		return w.ioErr
	}
	if b := w.sigBad.Load(); b > 0 && (w.first == nil || uint64(b-1) < w.first.Seq) {
		return &ChainError{Seq: uint64(b - 1), Reason: "bad_signature", Detail: "the actor's signature does not verify over the submission"}
	}
	if w.first != nil {
		return w.first
	}
	if w.stepped != v.size {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("verification stopped after %d of %d entries", w.stepped, v.size)
	}
	if v.opts.Progress != nil {
		v.opts.Progress(v.size, v.size)
	}
	return nil
}

// sequential is the reference walk: every position in order, nothing in parallel.
func (v *verifier) sequential(ctx context.Context) error {
	for seq := uint64(0); seq < v.size; seq++ {
		var raw RawEntry
		err := v.st.Entries(ctx, seq, seq+1, func(r RawEntry) error {
			raw = RawEntry{Seq: r.Seq, Hash: r.Hash, Bytes: bytes.Clone(r.Bytes)}
			return nil
		})
		if err != nil {
			return err
		}
		if raw.Bytes == nil || raw.Seq != seq {
			return &ChainError{Seq: seq, Reason: "missing_entry", Detail: fmt.Sprintf("the store's head says %d entries but it holds no entry %d", v.size, seq)}
		}
		leaf, err := v.st.Nodes(ctx, []NodeID{{Level: 0, Index: seq}})
		if errors.Is(err, ErrStoreDamaged) {
			return err
		}
		if err != nil {
			return &ChainError{Seq: seq, Reason: "missing_node", Detail: err.Error()}
		}
		s := slot{raw: raw}
		if s.e, s.rec, s.err = checkStored(raw, leaf[0]); s.err != nil {
			return s.err
		}
		s.leaf = leaf[0]
		if err := v.step(&s); err != nil {
			return err
		}
		if !s.key.Verify(s.e.SubmissionRaw, s.e.Signature) {
			return &ChainError{Seq: seq, Reason: "bad_signature", Detail: "the actor's signature does not verify over the submission"}
		}
		if v.opts.Progress != nil && (seq%verifyChunk == 0 || seq+1 == v.size) {
			v.opts.Progress(seq+1, v.size)
		}
	}
	return nil
}

// read copies entries [from, to) and their stored leaves out of the store. Entry bytes
// share one buffer per chunk. A gap, a missing leaf or a read failure ends the chunk at
// that position, with readErr saying why.
func (v *verifier) read(ctx context.Context, from, to uint64) *vchunk {
	c := &vchunk{from: from, slots: make([]slot, 0, to-from)}
	var buf []byte
	var ends []int
	next := from
	err := v.st.Entries(ctx, from, to, func(r RawEntry) error {
		if r.Seq != next {
			return &ChainError{Seq: next, Reason: "missing_entry", Detail: fmt.Sprintf("the store skips from %d to %d", next, r.Seq)}
		}
		buf = append(buf, r.Bytes...)
		ends = append(ends, len(buf))
		c.slots = append(c.slots, slot{raw: RawEntry{Seq: r.Seq, Hash: r.Hash}})
		next++
		return nil
	})
	if err == nil && next != to {
		err = &ChainError{Seq: next, Reason: "missing_entry", Detail: fmt.Sprintf("the store's head says %d entries but reading stops at %d", v.size, next)}
	}
	c.readErr = err
	start := 0
	for i := range c.slots {
		c.slots[i].raw.Bytes = buf[start:ends[i]:ends[i]]
		start = ends[i]
	}
	if len(c.slots) == 0 {
		return c
	}
	ids := make([]NodeID, len(c.slots))
	for i := range c.slots {
		ids[i] = NodeID{Level: 0, Index: from + uint64(i)}
	}
	stored, err := v.st.Nodes(ctx, ids)
	if errors.Is(err, ErrStoreDamaged) {
		c.slots, c.readErr = nil, err
		return c
	}
	if err != nil {
		// Find the first missing leaf, so that the finding names its position.
		for i, id := range ids {
			if _, nerr := v.st.Nodes(ctx, []NodeID{id}); nerr != nil {
				c.slots = c.slots[:i]
				c.readErr = &ChainError{Seq: id.Index, Reason: "missing_node", Detail: nerr.Error()}
				break
			}
		}
		if len(c.slots) == len(ids) { // every leaf reads alone: a transient failure
			c.slots, c.readErr = nil, fmt.Errorf("reading Merkle leaves from %d: %w", from, err)
		}
		ids = ids[:len(c.slots)]
		if stored, err = v.st.Nodes(ctx, ids); err != nil {
			c.slots, c.readErr = nil, fmt.Errorf("reading Merkle leaves from %d: %w", from, err)
		}
	}
	for i := range c.slots {
		c.slots[i].leaf = stored[i]
	}
	return c
}

// parse decodes slots [i, j) and checks what needs no order (checkStored).
func (v *verifier) parse(c *vchunk, i, j int) {
	for k := i; k < j; k++ {
		s := &c.slots[k]
		s.e, s.rec, s.err = checkStored(s.raw, s.leaf)
		if s.err == nil {
			s.leaf = LeafHash(s.raw.Bytes)
		}
	}
}

// checkStored decodes a stored entry and checks what needs no order: the hash recorded
// at append time, the canonical forms of entry and submission, and the stored Merkle
// leaf.
func checkStored(raw RawEntry, storedLeaf Hash) (*Entry, time.Time, *ChainError) {
	bad := func(reason, detail string) (*Entry, time.Time, *ChainError) {
		return nil, time.Time{}, &ChainError{Seq: raw.Seq, Reason: reason, Detail: detail}
	}
	e, err := ParseEntry(raw.Bytes)
	switch {
	case err != nil:
		return bad("malformed_entry", err.Error())
	case e.Hash != raw.Hash:
		return bad("bad_entry_hash", "the entry bytes do not hash to the hash recorded at append time")
	case !e.Canonical():
		return bad("not_canonical", "the entry bytes are not in the sealed canonical form")
	case !submissionCanonical(e.SubmissionRaw):
		// Ingest always canonicalises before verifying, so a signed submission that
		// is not RFC 8785 could only come from someone crafting the log itself.
		return bad("not_canonical", "the signed submission is not in RFC 8785 canonical form")
	case LeafHash(raw.Bytes) != storedLeaf:
		return bad("bad_leaf_hash", "the entry does not match its stored Merkle leaf")
	}
	rec, _ := time.Parse(time.RFC3339Nano, e.RecordedAt) // Canonical checked it parses
	return e, rec, nil
}

// step applies the one rule for every position (Chain.Next) to a decoded entry, then
// records it: stream version, id, leaf.
func (v *verifier) step(s *slot) *ChainError {
	next, key, err := v.chain.Next(s.e, s.rec, v.hist, v.pins())
	if err != nil {
		return err
	}
	v.chain, s.key = next, key
	v.hist.record(s.e)
	v.tree.append(s.leaf, func(Node) {})
	if len(v.want) > 0 && v.want[0] == v.tree.size() {
		v.roots[v.want[0]] = v.tree.root()
		v.want = v.want[1:]
	}
	return nil
}

func (v *verifier) pins() Pins { return Pins{LedgerKey: v.opts.LedgerKey, RootKey: v.opts.RootKey} }

// memHistory is History kept in memory, for a walk over the whole log.
type memHistory struct {
	streams map[string]uint64
	ids     map[uuid.UUID]struct{}
}

func newMemHistory() *memHistory {
	return &memHistory{streams: map[string]uint64{}, ids: map[uuid.UUID]struct{}{}}
}

func (h *memHistory) StreamVersion(stream string) uint64 { return h.streams[stream] }

func (h *memHistory) Seen(id uuid.UUID) bool { _, ok := h.ids[id]; return ok }

// record notes an admitted entry.
func (h *memHistory) record(e *Entry) {
	u, _ := uuid.Parse(e.Submission.ID)
	h.streams[e.Submission.Stream] = e.StreamVersion
	h.ids[u] = struct{}{}
}

// openCheckpoints checks every checkpoint's signature against the ledger key named in
// the genesis entry and schedules its root for comparison during the walk. A checkpoint
// beyond the stored log means the log was truncated after it was issued.
func (v *verifier) openCheckpoints(ctx context.Context, stored []Checkpoint) ([]Checkpoint, error) {
	texts := make([][]byte, 0, len(stored)+len(v.opts.Checkpoints))
	for _, c := range stored {
		texts = append(texts, c.Note)
	}
	texts = append(texts, v.opts.Checkpoints...)
	if len(texts) == 0 {
		return nil, nil
	}
	var g *Registry
	var lk *crypto.PublicKey
	_ = v.st.Entries(ctx, 0, 1, func(r RawEntry) error {
		if e, err := ParseEntry(r.Bytes); err == nil {
			g, lk, _ = genesisRegistry(&e.Submission)
		}
		return nil
	})
	if g == nil {
		return nil, nil // the walk reports the bad or missing genesis at seq 0
	}
	if v.opts.LedgerKey != nil {
		lk = v.opts.LedgerKey
	}
	var out []Checkpoint
	for _, text := range texts {
		c, _, err := OpenCheckpoint(text, g.Origin, lk)
		if err != nil {
			return nil, &ChainError{Seq: 0, Reason: "bad_checkpoint", Detail: err.Error()}
		}
		if c.Size > v.size {
			// Reported after the walk: a rewrite inside the stored log is an earlier
			// bad position than the truncation.
			v.beyond = max(v.beyond, c.Size)
			continue
		}
		out = append(out, c)
		v.want = append(v.want, c.Size)
	}
	sort.Slice(v.want, func(i, j int) bool { return v.want[i] < v.want[j] })
	v.want = compactSorted(v.want)
	if len(v.want) > 0 && v.want[0] == 0 {
		v.roots[0] = v.tree.root()
		v.want = v.want[1:]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Size < out[j].Size })
	return out, nil
}

// checkRoots compares each checkpoint with the root recomputed from the verified entries.
// Since all roots come from one walk over one sequence of entries, checkpoints that agree
// are consistent with each other. A disagreement means history covered by a signed
// checkpoint was rewritten; the first position not covered by an agreeing checkpoint is
// the earliest the rewrite can start.
func (v *verifier) checkRoots(cs []Checkpoint) error {
	good := uint64(0)
	for _, c := range cs {
		if v.roots[c.Size] != c.Root {
			return &ChainError{Seq: good, Reason: "checkpoint_mismatch",
				Detail: fmt.Sprintf("the entries do not produce the root signed for size %d; history from seq %d on was rewritten", c.Size, good)}
		}
		good = c.Size
	}
	return nil
}

func compactSorted(s []uint64) []uint64 {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
