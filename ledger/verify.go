package ledger

import (
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
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	h, err := st.Head(ctx)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("reading head: %w", err)
	}
	var ckpts []Checkpoint
	if err := st.Checkpoints(ctx, func(c Checkpoint) error {
		c.Note = append([]byte(nil), c.Note...)
		ckpts = append(ckpts, c)
		return nil
	}); err != nil {
		return VerifyReport{}, fmt.Errorf("reading checkpoints: %w", err)
	}
	v := &verifier{st: st, opts: opts, size: h.Size, tree: newTree(), streams: map[string]uint64{}, ids: map[uuid.UUID]struct{}{}, roots: map[uint64]Hash{}}
	if ckpts, err = v.openCheckpoints(ctx, ckpts); err != nil {
		return VerifyReport{}, err
	}
	if err := v.walk(ctx); err != nil {
		return VerifyReport{}, err
	}
	if h.Size > 0 && v.prev != h.LastHash {
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
	st      Store
	opts    VerifyOptions
	size    uint64
	reg     *Registry
	prev    Hash
	tree    tree
	roots   map[uint64]Hash // tree roots at checkpoint sizes, filled during the walk
	want    []uint64        // checkpoint sizes still to reach, ascending
	beyond  uint64          // the largest checkpoint size beyond the stored log, if any
	streams map[string]uint64
	ids     map[uuid.UUID]struct{}
	lastRec time.Time
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
	tasks := make(chan func(), 8*v.opts.Workers)
	var workers sync.WaitGroup
	for range v.opts.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for t := range tasks {
				t()
			}
		}()
	}
	chunks := make(chan *vchunk, verifyAhead)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(chunks)
		for from := uint64(0); from < v.size && ctx.Err() == nil; from += verifyChunk {
			c := v.read(ctx, from, min(from+verifyChunk, v.size))
			for i := 0; i < len(c.slots); i += verifyTask {
				j := min(i+verifyTask, len(c.slots))
				c.parsed.Add(1)
				tasks <- func() { defer c.parsed.Done(); v.parse(c, i, j) }
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
	}()

	var (
		sigBad   atomic.Int64 // 1 + the smallest seq whose signature failed; 0: none
		inFlight = make(chan struct{}, verifyAhead)
		checked  atomic.Uint64
		first    *ChainError
		ioErr    error
		stepped  uint64
	)
	for c := range chunks {
		c.parsed.Wait()
		if b := sigBad.Load(); b > 0 && uint64(b-1) < c.from {
			break // an earlier signature failure already decides the answer
		}
		stop := len(c.slots)
		for i := range c.slots {
			s := &c.slots[i]
			if s.err == nil {
				s.err = v.step(s)
			}
			if s.err != nil {
				first, stop = s.err, i
				break
			}
		}
		stepped += uint64(stop)
		if first == nil && c.readErr != nil {
			if ce, ok := c.readErr.(*ChainError); ok {
				first = ce
			} else {
				ioErr = c.readErr
			}
		}
		inFlight <- struct{}{}
		c.pending.Store(int64((stop + verifyTask - 1) / verifyTask))
		if stop == 0 {
			<-inFlight
		}
		for i := 0; i < stop; i += verifyTask {
			j := min(i+verifyTask, stop)
			tasks <- func() {
				for k := i; k < j; k++ {
					s := &c.slots[k]
					if !s.key.Verify(s.e.SubmissionRaw, s.e.Signature) {
						for seq := int64(s.raw.Seq) + 1; ; {
							b := sigBad.Load()
							if (b != 0 && b <= seq) || sigBad.CompareAndSwap(b, seq) {
								break
							}
						}
						break
					}
				}
				checked.Add(uint64(j - i))
				if c.pending.Add(-1) == 0 {
					c.slots = nil
					<-inFlight
				}
			}
		}
		if v.opts.Progress != nil {
			v.opts.Progress(checked.Load(), v.size)
		}
		if first != nil || ioErr != nil {
			break
		}
	}
	cancel()
	<-readerDone
	close(tasks)
	workers.Wait()

	if ioErr != nil {
		return ioErr
	}
	if b := sigBad.Load(); b > 0 && (first == nil || uint64(b-1) < first.Seq) {
		return &ChainError{Seq: uint64(b - 1), Reason: "bad_signature", Detail: "the actor's signature does not verify over the submission"}
	}
	if first != nil {
		return first
	}
	if stepped != v.size {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("verification stopped after %d of %d entries", stepped, v.size)
	}
	if v.opts.Progress != nil {
		v.opts.Progress(v.size, v.size)
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

// parse decodes slots [i, j) and checks what needs no order: the recorded hash, the
// canonical form and the stored Merkle leaf.
func (v *verifier) parse(c *vchunk, i, j int) {
	for k := i; k < j; k++ {
		s := &c.slots[k]
		stored := s.leaf
		e, err := ParseEntry(s.raw.Bytes)
		switch {
		case err != nil:
			s.err = &ChainError{Seq: s.raw.Seq, Reason: "malformed_entry", Detail: err.Error()}
		case e.Hash != s.raw.Hash:
			s.err = &ChainError{Seq: s.raw.Seq, Reason: "bad_entry_hash", Detail: "the entry bytes do not hash to the hash recorded at append time"}
		case !e.Canonical():
			s.err = &ChainError{Seq: s.raw.Seq, Reason: "not_canonical", Detail: "the entry bytes are not in the sealed canonical form"}
		case !submissionCanonical(e.SubmissionRaw):
			// Ingest always canonicalises before verifying, so a signed submission that
			// is not RFC 8785 could only come from someone crafting the log itself.
			s.err = &ChainError{Seq: s.raw.Seq, Reason: "not_canonical", Detail: "the signed submission is not in RFC 8785 canonical form"}
		default:
			s.e = e
			s.rec, _ = time.Parse(time.RFC3339Nano, e.RecordedAt) // Canonical checked it parses
			s.leaf = LeafHash(s.raw.Bytes)
			if s.leaf != stored {
				s.err = &ChainError{Seq: s.raw.Seq, Reason: "bad_leaf_hash", Detail: "the entry does not match its stored Merkle leaf"}
			}
		}
	}
}

// step applies the sequential rules to one decoded entry.
func (v *verifier) step(s *slot) *ChainError {
	e, seq := s.e, s.raw.Seq
	bad := func(reason, detail string) *ChainError { return &ChainError{Seq: seq, Reason: reason, Detail: detail} }
	if e.Seq != seq {
		return bad("bad_seq", fmt.Sprintf("the entry at position %d says it is seq %d", seq, e.Seq))
	}
	if e.PrevHash != v.prev {
		return bad("bad_prev_hash", "prev_hash is not the hash of the entry before")
	}
	// Compared as instants, not as strings: RFC 3339 drops trailing zeros of the
	// fraction, so "…:33.12Z" sorts after "…:33.123Z" although it is earlier.
	if s.rec.Before(v.lastRec) {
		return bad("recorded_at_backwards", "recorded_at is earlier than the entry before")
	}
	sub := &e.Submission
	if err := sub.Validate(); err != nil {
		return bad("bad_submission", err.Error())
	}
	u, _ := uuid.Parse(sub.ID)
	if _, dup := v.ids[u]; dup {
		return bad("duplicate_id", "the event id was already recorded")
	}
	if seq == 0 {
		reg, lk, err := genesisRegistry(sub)
		if err != nil {
			return bad("bad_genesis", err.Error())
		}
		if v.opts.LedgerKey != nil && !v.opts.LedgerKey.Equal(lk) {
			return bad("bad_genesis", "the genesis names a different ledger key than the one pinned")
		}
		if rk, _ := reg.Key(reg.RootKey); v.opts.RootKey != nil && !v.opts.RootKey.Equal(rk.Key) {
			return bad("bad_genesis", "the genesis names a different root key than the one pinned")
		}
		v.reg, s.key = reg, lk
	} else {
		k, err := v.reg.authorize(sub)
		if err != nil {
			return bad("unauthorised", err.Error())
		}
		s.key = k.Key
		if sub.Stream == RegistryStream {
			if err := v.reg.apply(seq, sub); err != nil {
				return bad("bad_registry_act", err.Error())
			}
		}
	}
	if want := v.streams[sub.Stream] + 1; e.StreamVersion != want {
		return bad("bad_stream_version", fmt.Sprintf("stream %s version %d, want %d", sub.Stream, e.StreamVersion, want))
	}
	if ev := sub.ExpectedVersion; ev != nil && *ev != e.StreamVersion-1 {
		return bad("bad_stream_version", "the entry was recorded against a different expected version")
	}
	v.streams[sub.Stream] = e.StreamVersion
	v.ids[u] = struct{}{}
	v.prev = e.Hash
	v.lastRec = s.rec
	v.tree.append(s.leaf, func(Node) {})
	if len(v.want) > 0 && v.want[0] == v.tree.size() {
		v.roots[v.want[0]] = v.tree.root()
		v.want = v.want[1:]
	}
	return nil
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
