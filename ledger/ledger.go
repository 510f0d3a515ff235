package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/google/uuid"
)

// Options configure a Ledger. Zero values take the documented defaults.
type Options struct {
	// Signer is the ledger's own key: it signs checkpoints. It must be the ledger key
	// named in the genesis entry.
	Signer crypto.Signer
	// Limits bound request and payload sizes (default DefaultLimits).
	Limits Limits
	// MaxSkew is how far in the future occurred_at may lie (default 5 minutes): clocks
	// drift, but an act cannot be recorded before it happens.
	MaxSkew time.Duration
	// MaxBatch caps entries per group commit (default 4096).
	MaxBatch int
	// FollowEvery is how often an idle sequencer on a store shared with other writers
	// (a HeadLocker) folds in their commits (default 100ms; negative disables).
	FollowEvery time.Duration
	// Linger is how long the sequencer may keep a busy batch open for submissions still
	// arriving (default 2ms; negative disables), on a store shared with other writers. A
	// commit has a fixed cost, so bigger batches cost less per entry; the sequencer
	// lingers only while the queue keeps delivering, so a lone or closed-loop client is
	// not delayed. The pipelined sequencer of a store written alone needs no lingering:
	// its next batch fills while the one below it is committed.
	Linger time.Duration
	// CheckpointEvery is the policy interval for signing a checkpoint when the log has
	// grown (default 1 second; negative disables the timer, leaving on-demand only).
	CheckpointEvery time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Check is the domain's admission rule for a decoded submission (the commands
	// package's validator); nil admits every well-formed envelope.
	Check func(*Signed) error
	// Sequence is the domain's rule for what only the order of the log can decide: two
	// acts that each opened the same case, or catalogued the same resource, passed Check
	// in the same instant, and only one may be recorded. The sequencer calls Sequence at
	// the start of every sealing attempt and the function it returns for each submission
	// about to be sealed, in log order, with its stream's version before it; an error
	// refuses that submission alone and is returned to its sender. It runs on the
	// sequencer's goroutine, so it must be cheap and must not block. nil: no such rule.
	Sequence func() func(s *Signed, streamVersion uint64) error
	// OnCommit is called, in order, with each durably committed batch (the event bus
	// hangs here). It must not block for long: the sequencer waits for it.
	OnCommit func([]*Entry)
	// OnCatchUp is called, in order, with entries other writers committed (several
	// ledgerd on one database), when the sequencer folds them in before sealing its next
	// batch. An in-process read model that must see the whole log in order (the domain
	// checker) takes both hooks; the bus takes OnCommit only (each writer publishes its own).
	OnCatchUp func([]*Entry)
	// Logger receives operational logs (default slog.Default()). Payloads never reach it.
	Logger *slog.Logger
	// Publisher, if set, receives every new checkpoint after it is stored (publish.go),
	// and Open refuses a store that is behind or disagrees with its newest checkpoint.
	Publisher Publisher
	// Forward, if set on a store several processes write, names the deployment's one
	// sequencing point (forward.go): while this process is not it, submissions are
	// admitted here without the domain rule and forwarded, and the log is skimmed
	// rather than folded. nil: this process seals what it admits.
	Forward Forwarder
	// OnCorrupt, if set, is told of every integrity failure found while running: another
	// writer's entries that do not extend the chain, or a publication that holds a
	// different checkpoint of the same size. Open returns its refusals (and may also
	// report them). Such a failure is never retried into success, so operators must be paged
	// (ledgerd counts them as ledger_verify_failures_total). It must not block.
	OnCorrupt func(*ChainError)
}

func (o *Options) defaults() {
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	if o.MaxSkew == 0 {
		o.MaxSkew = 5 * time.Minute
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 4096
	}
	if o.Linger == 0 {
		o.Linger = 2 * time.Millisecond
	}
	if o.FollowEvery == 0 {
		o.FollowEvery = 100 * time.Millisecond
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Receipt acknowledges a durable append.
type Receipt struct {
	Seq           uint64
	Hash          Hash
	StreamVersion uint64
	Duplicate     bool // the same submission was already recorded; nothing new was written
}

// Ledger is the write path: it admits signed submissions, seals them into the hash chain
// and Merkle tree in a single sequencer goroutine, group-commits them to the Store and
// acknowledges each only after its batch is durable. Methods are safe for concurrent use.
type Ledger struct {
	st   Store
	opts Options

	reg  atomic.Pointer[Registry]
	head atomic.Pointer[treeHead]

	looked time.Time // sequencer-owned: when it last read the store's head or entries
	// regFrom is sequencer-owned: no later than the registry stream's version after the
	// last act skim folded (forward.go), where its next look starts.
	regFrom uint64

	mu     sync.RWMutex // guards closed and sends on reqs
	closed bool
	reqs   chan *request
	done   chan struct{}
	shared bool // the store has other writers (it is a HeadLocker)
	// maxBytes caps a batch's estimated size (BatchLimiter; 0: no cap); carry is the
	// request that would have passed it, first in the next batch. Sequencer-owned.
	maxBytes   int
	carry      *request
	batchBytes int // the estimate of the batch being formed

	// at is where the chain stands after the last sealed entry (sequencer-owned): the
	// committed head, or with a batch still being committed (pipeline.go) the head it
	// will make.
	at position

	ckptMu   sync.Mutex
	ckpt     atomic.Pointer[Checkpoint]
	pubSize  uint64 // guarded by ckptMu: the newest size handed to the Publisher
	stopCkpt chan struct{}
	ckptDone chan struct{}
}

// position is the chain as the sequencer extends it: the next seq, the last hash, the
// Merkle range, the last recorded_at and the key registry after the last entry.
type position struct {
	size     uint64
	last     Hash
	tree     tree
	recorded time.Time
	reg      *Registry
}

type treeHead struct {
	Size     uint64
	LastHash Hash
	Root     Hash
}

type request struct {
	s    *Signed // nil: a request to fold in what other writers committed
	done chan result
}

type result struct {
	r   Receipt
	err error
}

// ErrNotInitialized is returned by Open on an empty store: run Initialize first.
var ErrNotInitialized = errors.New("ledger not initialised: the store has no genesis entry")

// Initialize writes the genesis entry (seq 0) to an empty store: it fixes the origin, the
// data authority, the ledger key (which signs it) and the authority's root key (which
// registers every other key).
func Initialize(ctx context.Context, st Store, ledgerKey crypto.Signer, root *crypto.PublicKey, authority, origin string, now time.Time) error {
	h, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading head: %w", err)
	}
	if h.Size != 0 {
		return fmt.Errorf("store already holds %d entries", h.Size)
	}
	p := GenesisPayload{Origin: origin, Authority: authority,
		LedgerKey: string(crypto.MarshalPublicKeyPEM(ledgerKey.Public())), RootKey: string(crypto.MarshalPublicKeyPEM(root))}
	s, err := SignSubmission(ledgerKey, Submission{
		ID: uuid.Must(uuid.NewV7()).String(), Stream: RegistryStream, Type: TypeInitialized,
		OccurredAt: now.UTC().Format(time.RFC3339Nano),
		Actor:      Actor{Institution: authority, Person: "ledger", KeyID: ledgerKey.Public().ID()},
		Payload:    registryPayload(p),
	})
	if err != nil {
		return err
	}
	if _, _, err := genesisRegistry(&s.Submission); err != nil {
		return err
	}
	e := sealEntry(0, now, 1, ZeroHash, s)
	t := newTree()
	var nodes []Node
	t.append(LeafHash(e.Bytes), func(n Node) { nodes = append(nodes, n) })
	return st.Append(ctx, &Batch{
		Entries: []SealedEntry{{Seq: 0, ID: s.Submission.ID, Stream: RegistryStream, StreamVersion: 1, Hash: e.Hash, Bytes: e.Bytes}},
		Nodes:   nodes,
	})
}

// SignSubmission canonicalises sub and signs it: what an institution's system does before
// sending. It validates the envelope so that a tool cannot sign something the ledger
// would refuse for its form.
func SignSubmission(k crypto.Signer, sub Submission) (*Signed, error) {
	raw, err := marshalSubmission(&sub)
	if err != nil {
		return nil, err
	}
	s, err := DecodeSubmission(raw, Limits{})
	if err != nil {
		return nil, err
	}
	sig, err := k.SignMessage(s.Canonical)
	if err != nil {
		return nil, err
	}
	s.Signature = sig
	return s, nil
}

// Open starts a ledger on an initialised store: it rebuilds the key registry and the
// compact Merkle range, checks the ledger key and the latest checkpoint against the
// stored entries, and starts the sequencer.
func Open(ctx context.Context, st Store, opts Options) (*Ledger, error) {
	opts.defaults()
	if opts.Signer == nil {
		return nil, errors.New("ledger: Options.Signer (the ledger key) is required")
	}
	// The latest checkpoint is read before the head: a store never holds a checkpoint
	// beyond its head, and its head only grows, so read in this order a checkpoint beyond
	// the head means entries were lost, not that another writer appended and signed in
	// between (which, read the other way round, looked like truncation).
	latest, latestErr := st.LatestCheckpoint(ctx)
	h, err := st.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading head: %w", err)
	}
	if h.Size == 0 {
		return nil, ErrNotInitialized
	}
	reg, err := LoadRegistry(ctx, st, h.Size)
	if err != nil {
		return nil, err
	}
	if reg.LedgerKey != opts.Signer.Public().ID() {
		return nil, fmt.Errorf("the ledger key %s is not the one named in the genesis entry (%s)", opts.Signer.Public().ID(), reg.LedgerKey)
	}
	t, err := loadTree(h.Size, func(ids []NodeID) ([]Hash, error) { return st.Nodes(ctx, ids) })
	if err != nil {
		return nil, fmt.Errorf("loading Merkle range: %w", err)
	}
	l := &Ledger{st: st, opts: opts, reqs: make(chan *request, 4*opts.MaxBatch), done: make(chan struct{}),
		at: position{size: h.Size, last: h.LastHash, tree: t, reg: reg}, stopCkpt: make(chan struct{}), ckptDone: make(chan struct{})}
	_, l.shared = st.(HeadLocker)
	if opts.Forward != nil && !l.shared {
		return nil, errors.New("ledger: Options.Forward needs a store several processes write (a HeadLocker)")
	}
	l.regFrom = 1
	if bl, ok := st.(BatchLimiter); ok {
		l.maxBytes = max(bl.MaxBatchBytes()-BatchReserve, 1)
	}
	l.reg.Store(reg)
	l.head.Store(&treeHead{Size: h.Size, LastHash: h.LastHash, Root: t.root()})
	if err := st.Entries(ctx, h.Size-1, h.Size, func(r RawEntry) error {
		if SumEntry(r.Bytes) != h.LastHash {
			return &ChainError{Seq: r.Seq, Reason: "bad_entry_hash", Detail: "the last entry does not hash to the stored head"}
		}
		e, err := ParseEntry(r.Bytes)
		if err != nil {
			return &ChainError{Seq: r.Seq, Reason: "malformed_entry", Detail: err.Error()}
		}
		l.at.recorded, _ = time.Parse(time.RFC3339Nano, e.RecordedAt)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("checking the log's end: %w", err)
	}
	if c, err := latest, latestErr; err == nil {
		if _, _, err := OpenCheckpoint(c.Note, reg.Origin, opts.Signer.Public()); err != nil {
			return nil, fmt.Errorf("latest stored checkpoint: %w", err)
		}
		if c.Size > h.Size {
			return nil, &ChainError{Seq: h.Size, Reason: "truncated", Detail: fmt.Sprintf("a checkpoint covers %d entries but the store holds %d", c.Size, h.Size)}
		}
		if c.Size == h.Size && c.Root != t.root() {
			return nil, &ChainError{Seq: h.Size - 1, Reason: "checkpoint_mismatch", Detail: "the stored entries do not produce the checkpointed root"}
		}
		l.ckpt.Store(&c)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("reading latest checkpoint: %w", err)
	}
	if opts.Publisher != nil {
		pc, err := openPublished(ctx, st, opts.Publisher, reg.Origin, opts.Signer.Public())
		if err != nil {
			return nil, err
		}
		if pc != nil {
			l.pubSize = pc.Size
		}
		if c := l.ckpt.Load(); c != nil {
			if err := l.publish(ctx, *c); err != nil {
				return nil, err
			}
		}
	}
	go l.run()
	go l.checkpointLoop()
	return l, nil
}

// LoadRegistry replays the registry stream up to (not including) size and returns the key
// registry in force there. Registry entries' signatures are checked on the way.
func LoadRegistry(ctx context.Context, st Store, size uint64) (*Registry, error) {
	var reg *Registry
	err := st.Stream(ctx, RegistryStream, 1, func(r RawEntry) error {
		if r.Seq >= size {
			return errStop
		}
		e, err := ParseEntry(r.Bytes)
		if err != nil {
			return &ChainError{Seq: r.Seq, Reason: "malformed_entry", Detail: err.Error()}
		}
		if reg == nil {
			g, lk, err := genesisRegistry(&e.Submission)
			if err != nil || r.Seq != 0 || !lk.Verify(e.SubmissionRaw, e.Signature) {
				return &ChainError{Seq: r.Seq, Reason: "bad_genesis", Detail: "entry 0 is not a valid genesis"}
			}
			reg = g
			return nil
		}
		k, err := reg.authorize(&e.Submission)
		if err != nil {
			return &ChainError{Seq: r.Seq, Reason: "unauthorised", Detail: err.Error()}
		}
		if !k.Key.Verify(e.SubmissionRaw, e.Signature) {
			return &ChainError{Seq: r.Seq, Reason: "bad_signature"}
		}
		if err := reg.apply(r.Seq, &e.Submission); err != nil {
			return &ChainError{Seq: r.Seq, Reason: "bad_registry_act", Detail: err.Error()}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("loading key registry: %w", err)
	}
	if reg == nil {
		return nil, &ChainError{Seq: 0, Reason: "bad_genesis", Detail: "no genesis entry on " + RegistryStream}
	}
	return reg, nil
}

var errStop = errors.New("stop")

// Registry returns the key registry as of the last committed entry.
func (l *Ledger) Registry() *Registry { return l.reg.Load() }

// Origin is the log's name, fixed at genesis; it is the checkpoint's first line.
func (l *Ledger) Origin() string { return l.reg.Load().Origin }

// Store returns the underlying store, for readers.
func (l *Ledger) Store() Store { return l.st }

// Size returns the number of durably committed entries.
func (l *Ledger) Size() uint64 { return l.head.Load().Size }

// Root returns the committed tree size and root.
func (l *Ledger) Root() (uint64, Hash) { h := l.head.Load(); return h.Size, h.Root }

// Limits returns the size limits in force, for transports that must cap reads.
func (l *Ledger) Limits() Limits { return l.opts.Limits }

// AppendJSON decodes a POST /v1/events body and appends it.
func (l *Ledger) AppendJSON(ctx context.Context, body []byte) (Receipt, error) {
	s, err := DecodeRequest(body, l.opts.Limits)
	if err != nil {
		return Receipt{}, err
	}
	return l.Append(ctx, s)
}

// Append admits one signed submission and returns once it is durably recorded (or was
// already). Every refusal is a *Problem and writes nothing. Signature verification runs
// in the caller's goroutine, so concurrent callers use every core.
func (l *Ledger) Append(ctx context.Context, s *Signed) (Receipt, error) {
	if f := l.forwarder(); f != nil {
		if err := l.admit(ctx, s, admitToFwd); err != nil {
			return Receipt{}, err
		}
		rcs, errs := f.Forward(ctx, []*Signed{s})
		return rcs[0], errs[0]
	}
	if err := l.admit(ctx, s, admitWhole); err != nil {
		return Receipt{}, err
	}
	return l.enqueue(ctx, s)
}

// enqueue hands a request to the sequencer and waits for its result.
func (l *Ledger) enqueue(ctx context.Context, s *Signed) (Receipt, error) {
	reqs, errs := l.hand(ctx, []*Signed{s})
	if errs[0] != nil {
		return Receipt{}, errs[0]
	}
	return reqs[0].wait(ctx)
}

// hand gives the sequencer each of ss (nil: a request to fold in what other writers
// committed), in order, under one hold of the queue's lock, so that nothing of another
// caller comes between them. It returns each one's request, or in errs why it was not
// handed (the ledger closed, ctx ended).
func (l *Ledger) hand(ctx context.Context, ss []*Signed) ([]*request, []error) {
	reqs, errs := make([]*request, len(ss)), make([]error, len(ss))
	l.mu.RLock()
	defer l.mu.RUnlock()
	for i, s := range ss {
		if l.closed {
			errs[i] = ErrClosed
			continue
		}
		req := &request{s: s, done: make(chan result, 1)}
		select {
		case l.reqs <- req:
			reqs[i] = req
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
	}
	return reqs, errs
}

// wait is the sequencer's answer to r, or ctx's end.
func (r *request) wait(ctx context.Context) (Receipt, error) {
	select {
	case res := <-r.done:
		return res.r, res.err
	case <-ctx.Done():
		return Receipt{}, ctx.Err()
	}
}

// admit runs every check that needs no position, in the order an insider's attempt
// must meet them: time skew; who signed (the key is registered, not revoked, bound to
// the acting institution and person, and its role may sign the type: Registry.Authorize,
// the rule verification applies too); the signature; then the domain rule. The domain
// rule runs last so that nobody learns anything of the registry's state from a
// submission they could not sign. how says which of the last two this process applies
// (forward.go).
func (l *Ledger) admit(ctx context.Context, s *Signed, how admission) error {
	sub := &s.Submission
	if sub.Type == TypeInitialized {
		return unauthorized("type_not_allowed", "submission.type", "the genesis entry is written once, at initialisation", "创世记录只能在初始化时写入一次")
	}
	if t := sub.Time(); t.After(l.opts.Now().Add(l.opts.MaxSkew)) {
		return invalid("future_time", "submission.occurred_at",
			fmt.Sprintf("occurred_at is more than %v in the future", l.opts.MaxSkew),
			fmt.Sprintf("occurred_at 晚于当前时间超过 %v", l.opts.MaxSkew))
	}
	reg := l.reg.Load()
	if _, ok := reg.Key(sub.Actor.KeyID); !ok && l.shared {
		// Another writer on the same store may have registered the key a moment ago:
		// fold in what it committed before refusing.
		if _, err := l.enqueue(ctx, nil); err != nil {
			return err
		}
		reg = l.reg.Load()
	}
	k, err := reg.authorize(sub)
	if err != nil {
		return err
	}
	if how != admitVerified && !k.Key.Verify(s.Canonical, s.Signature) {
		return unauthorized("bad_signature", "signature", "the signature does not verify with the actor's key over the canonical submission",
			"签名无法用提交者密钥对规范化提交内容验证通过")
	}
	if l.opts.Check != nil && how != admitToFwd {
		if err := l.opts.Check(s); err != nil {
			return err
		}
	}
	return nil
}

// Close stops taking submissions, commits everything already queued, stops the
// checkpoint timer after a final checkpoint, and returns. It does not close the store.
func (l *Ledger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return nil
	}
	l.closed = true
	close(l.reqs)
	l.mu.Unlock()
	<-l.done
	close(l.stopCkpt)
	<-l.ckptDone
	_, err := l.Checkpoint(context.Background())
	return err
}

// run is the sequencer. A store this ledger writes alone takes the pipelined loop
// (pipeline.go); a store shared with other writers commits one batch at a time, each under
// the head lock, and so does a store that caps a batch's bytes (a BatchLimiter), whose
// batches are cut as they are formed.
func (l *Ledger) run() {
	if !l.shared && l.maxBytes == 0 {
		l.runPipelined()
		return
	}
	defer close(l.done)
	// With other writers on the store, follow their commits even while idle, so that
	// keys they register and parties they suspend are known here within FollowEvery.
	var follow <-chan time.Time
	if l.shared && l.opts.FollowEvery > 0 {
		t := time.NewTicker(l.opts.FollowEvery)
		defer t.Stop()
		follow = t.C
	}
	batch := make([]*request, 0, l.opts.MaxBatch)
	for {
		var req *request
		if l.carry != nil {
			req, l.carry = l.carry, nil
		} else {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					return
				}
				req = r
			case <-follow:
				if time.Since(l.looked) < l.opts.FollowEvery/2 {
					continue // busy committing: each batch looks at the store anyway
				}
				if err := l.follow(context.Background()); err != nil {
					l.opts.Logger.Error("following other writers failed", "err", err)
				}
				continue
			}
		}
		batch = append(batch[:0], req)
		l.batchBytes = estimate(req)
		open := l.drain(&batch)
		if open && l.carry == nil && len(batch) >= lingerBusy && l.opts.Linger > 0 {
			l.linger(&batch)
		}
		batch = l.answerSyncs(batch)
		if len(batch) > 0 {
			l.commit(batch)
		}
		if !open {
			if l.carry != nil {
				l.commit(l.answerSyncs([]*request{l.carry}))
				l.carry = nil
			}
			return
		}
	}
}

// estimate is the sequencer's estimate of what r adds to a batch, against a
// BatchLimiter's MaxBatchBytes.
func estimate(r *request) int {
	if r.s == nil {
		return 0
	}
	return len(r.s.Canonical) + len(r.s.Submission.Stream) + BatchEntryOverhead
}

// add appends r to batch unless that would pass the store's MaxBatchBytes; then r is
// kept as the carry, first in the next batch, and add reports false. A batch's first
// request is always taken, whatever its size.
func (l *Ledger) add(batch *[]*request, r *request) bool {
	n := l.batchBytes + estimate(r)
	if l.maxBytes > 0 && len(*batch) > 0 && n > l.maxBytes {
		l.carry = r
		return false
	}
	*batch, l.batchBytes = append(*batch, r), n
	return true
}

// follow folds in entries other writers committed since our last look.
func (l *Ledger) follow(ctx context.Context) error {
	if _, ok := l.st.(LeafReader); ok {
		// One round trip: read whatever follows what this writer holds. A batch is
		// committed whole, so what is read is a run of whole batches.
		return l.catchUpTo(ctx, Head{Size: openEnded})
	}
	h, err := l.st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading head: %w", err)
	}
	return l.catchUpTo(ctx, h)
}

// preFollowAfter is how long after its last look at the store a writer on a shared
// store folds what the others committed before queueing for the head lock: after an idle
// spell or a pause, whose backlog is then folded outside the lock; not in a run of
// commits, where the look before queueing finds little (measured with four front-ends:
// about 5% of what was folded) and costs a round trip per batch.
const preFollowAfter = 20 * time.Millisecond

// openEnded, as a Head's Size for catchUpTo, means "to the end of the log, wherever that
// is": the head is not known, and the entries read are checked by their own hashes.
const openEnded = math.MaxUint64

// topUp adds to batch what arrived while the sequencer waited for the head lock: on a
// shared store the wait is the batching window, and a batch formed only before it
// would leave those submissions for another turn of the lock. Sync requests among them
// are answered at once: the sequencer has just caught up with the head read under the
// lock.
func (l *Ledger) topUp(batch []*request) []*request {
	n := len(batch)
	if l.carry != nil {
		return batch
	}
	l.drain(&batch)
	if len(batch) == n {
		return batch
	}
	out := batch[:n]
	for _, r := range batch[n:] {
		if r.s == nil {
			r.done <- result{}
		} else {
			out = append(out, r)
		}
	}
	return out
}

// answerSyncs removes the sync requests (nil submissions) from batch, answering them
// after one catch-up with the store.
func (l *Ledger) answerSyncs(batch []*request) []*request {
	var syncs []*request
	out := batch[:0]
	for _, r := range batch {
		if r.s == nil {
			syncs = append(syncs, r)
		} else {
			out = append(out, r)
		}
	}
	if len(syncs) > 0 {
		err := l.follow(context.Background())
		for _, r := range syncs {
			r.done <- result{err: err}
		}
	}
	return out
}

// lingerBusy is the queue depth that marks the sequencer as busy: below it submissions
// are arriving slower than commits finish, and waiting would only add latency.
const lingerBusy = 16

// lingerGap is how long the queue may stay silent before a lingering batch is closed:
// longer than the gap between arrivals when callers are verifying signatures flat out,
// short enough that a closed-loop client (everything already queued) barely notices.
const lingerGap = 250 * time.Microsecond

// drain moves whatever is queued into batch without waiting. It reports false when the
// queue is closed.
func (l *Ledger) drain(batch *[]*request) bool {
	for len(*batch) < l.opts.MaxBatch && l.carry == nil {
		select {
		case r, ok := <-l.reqs:
			if !ok {
				return false
			}
			l.add(batch, r)
		default:
			return true
		}
	}
	return true
}

// linger keeps a busy batch open while submissions keep arriving: until Linger has
// passed, the batch is full, or the queue has been silent for lingerGap.
func (l *Ledger) linger(batch *[]*request) {
	deadline := time.Now().Add(l.opts.Linger)
	gap := time.NewTimer(lingerGap)
	defer gap.Stop()
	for len(*batch) < l.opts.MaxBatch && l.carry == nil && time.Now().Before(deadline) {
		select {
		case r, ok := <-l.reqs:
			if !ok {
				return
			}
			if !l.add(batch, r) || !l.drain(batch) {
				return
			}
			gap.Reset(lingerGap)
		case <-gap.C:
			return
		}
	}
}

// commit seals and writes one batch, catching up and re-sealing if another writer moved
// the store's head (bounded: a store that keeps moving fails the batch). On a store
// several writers share (a HeadLocker) every attempt queues for the head lock, so that a
// retry after a lost lease waits its turn instead of racing the others.
func (l *Ledger) commit(batch []*request) {
	ctx := context.Background()
	hl, shared := l.st.(HeadLocker)
	var err error
	for attempt := 0; ; attempt++ {
		unlock := func() {}
		if shared {
			// Fold what the others committed before queueing for the lock, so that only
			// what they commit while this writer waits is left to fold inside it. A writer
			// that looked moments ago (committing batch after batch) has little to fold
			// and skips the round trip.
			if time.Since(l.looked) > preFollowAfter {
				if err = l.follow(ctx); err != nil {
					break
				}
			}
			if h, u, lerr := hl.LockHead(ctx); lerr != nil {
				l.opts.Logger.Warn("head lock unavailable; appending optimistically", "err", lerr)
			} else {
				unlock = u
				if err = l.catchUpTo(ctx, h); err == nil {
					batch = l.topUp(batch)
				}
			}
		}
		if err == nil {
			err = l.tryCommit(ctx, batch)
		}
		unlock()
		if !errors.Is(err, ErrHeadMoved) {
			break
		}
		if attempt == 7 {
			err = fmt.Errorf("%w: other writers kept moving the head", ErrHeadMoved)
			break
		}
		if err = l.catchUp(ctx); err != nil {
			break
		}
	}
	if err != nil {
		l.opts.Logger.Error("append failed", "entries", len(batch), "err", err)
		failAll(batch, err)
	}
}

// duplicate answers a re-sent id: the original receipt if the submission is the same,
// a conflict if the id was used for something else.
func (l *Ledger) duplicate(ctx context.Context, seq uint64, s *Signed) result {
	var res result
	err := l.st.Entries(ctx, seq, seq+1, func(r RawEntry) error {
		e, err := ParseEntry(r.Bytes)
		if err != nil {
			return err
		}
		if !bytes.Equal(e.SubmissionRaw, s.Canonical) {
			res.err = idConflict(seq)
			return nil
		}
		res.r = Receipt{Seq: seq, Hash: r.Hash, StreamVersion: e.StreamVersion, Duplicate: true}
		return nil
	})
	if err != nil {
		return result{err: fmt.Errorf("reading entry %d: %w", seq, err)}
	}
	return res
}

func idConflict(seq uint64) *Problem {
	return conflict("id_conflict", "submission.id",
		fmt.Sprintf("this id was already recorded at seq %d with a different submission", seq),
		fmt.Sprintf("该 id 已于第 %d 条记录用于不同的提交内容", seq))
}

// reportCorrupt hands an integrity failure in err to Options.OnCorrupt.
func (l *Ledger) reportCorrupt(err error) {
	var ce *ChainError
	if l.opts.OnCorrupt != nil && errors.As(err, &ce) {
		l.opts.OnCorrupt(ce)
	}
}

// catchUp folds in entries another writer appended: registry, chain and tree.
func (l *Ledger) catchUp(ctx context.Context) error {
	h, err := l.st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading head: %w", err)
	}
	return l.catchUpTo(ctx, h)
}

// rehashBelow is, for a store that is no LeafReader, the catch-up size below which the
// sequencer hashes the new leaves itself; from it on, it reads the Merkle frontier from
// the store's nodes (one lookup of at most 64 nodes, whatever the catch-up's size).
const rehashBelow = 32

// catchUpTo folds in the entries another writer appended up to h, which the store
// reported: the registry, the chain and the tree, and the OnCatchUp hook.
//
// It is the work each writer on a shared store does for every entry the others commit,
// so it does not redo what the store already holds: an entry's hash is the one recorded
// with it (the chain check compares each prev_hash with the hash recorded for the entry
// before; the head's hash must be the last one's, and the last entry's bytes must hash
// to it), and only the last entry's recorded_at is read. The tree grows from a
// LeafReader's stored leaves; for other stores the leaves of a short catch-up are hashed
// here and the frontier after a long one is read from the stored nodes. Full
// verification (ledger.Verify) re-hashes everything.
func (l *Ledger) catchUpTo(ctx context.Context, h Head) error {
	if l.skimming() {
		return l.skim(ctx)
	}
	l.looked = time.Now()
	if h.Size <= l.at.size {
		return nil
	}
	reg, regDirty := l.at.reg, false
	size, prev := l.at.size, l.at.last
	var caught []*Entry
	var leaves []Hash
	var lastBytes []byte
	var lastRecorded string
	lr, stored := l.st.(LeafReader)
	rehash := !stored && h.Size-l.at.size < rehashBelow
	fold := func(r RawEntry, leaf Hash) error {
		b := r.Bytes
		if l.opts.OnCatchUp != nil {
			b = bytes.Clone(b) // kept past the callback
			lastBytes = b
		} else {
			lastBytes = append(lastBytes[:0], b...)
		}
		e, err := parseStored(b, r.Hash)
		if err != nil {
			return &ChainError{Seq: r.Seq, Reason: "malformed_entry", Detail: err.Error()}
		}
		if r.Seq != size || e.Seq != size || e.PrevHash != prev {
			return &ChainError{Seq: r.Seq, Reason: "bad_prev_hash", Detail: "another writer's entry does not extend our chain"}
		}
		if e.Submission.Stream == RegistryStream {
			// The registry's part of the rule for every position: another writer's
			// registry act is authorised and applied as ours are.
			next, _, ce := reg.Step(e.Seq, &e.Submission)
			if ce != nil {
				return ce
			}
			reg, regDirty = next, true
		}
		switch {
		case stored:
			leaves = append(leaves, leaf)
		case rehash:
			leaves = append(leaves, LeafHash(b))
		}
		prev, size = r.Hash, size+1
		lastRecorded = e.RecordedAt
		if l.opts.OnCatchUp != nil {
			caught = append(caught, e)
		}
		return nil
	}
	var err error
	if stored {
		err = lr.EntriesWithLeaves(ctx, size, h.Size, fold)
	} else {
		err = l.st.Entries(ctx, size, h.Size, func(r RawEntry) error { return fold(r, Hash{}) })
	}
	if h.Size == openEnded {
		if err == nil && size == l.at.size {
			return nil // nothing new
		}
		h.Size, h.LastHash = size, prev
	}
	if err == nil && size != h.Size {
		err = &ChainError{Seq: size, Reason: "missing_entry", Detail: fmt.Sprintf("the store's head is at %d but its entries end at %d", h.Size, size)}
	}
	if err == nil && (prev != h.LastHash || SumEntry(lastBytes) != prev) {
		err = &ChainError{Seq: size - 1, Reason: "bad_entry_hash", Detail: "the head's hash, the last entry's recorded hash and its bytes disagree"}
	}
	var tr tree
	if err == nil {
		if leaves != nil {
			tr = l.at.tree.clone()
			for _, lf := range leaves {
				tr.append(lf, func(Node) {})
			}
		} else if tr, err = loadTree(size, func(ids []NodeID) ([]Hash, error) { return l.st.Nodes(ctx, ids) }); err != nil {
			err = fmt.Errorf("loading the Merkle frontier at %d: %w", size, err)
		}
	}
	if err != nil {
		l.reportCorrupt(err)
		return fmt.Errorf("catching up with other writers: %w", err)
	}
	if t, err := time.Parse(time.RFC3339Nano, lastRecorded); err == nil && t.After(l.at.recorded) {
		l.at.recorded = t
	}
	l.at.size, l.at.last, l.at.tree = size, prev, tr
	if regDirty {
		l.at.reg = reg
		l.reg.Store(reg)
	}
	l.head.Store(&treeHead{Size: size, LastHash: prev, Root: tr.root()})
	if len(caught) > 0 {
		l.opts.OnCatchUp(caught)
	}
	return nil
}

// parseStored parses an entry read back from the store, taking its hash as recorded
// rather than recomputing it (catchUpTo checks the chain's links and the last hash).
func parseStored(b []byte, h Hash) (*Entry, error) {
	if e := parseSealedLayout(b); e != nil {
		e.Hash = h
		return e, nil
	}
	return parseEntryJSON(b)
}

// Checkpoint signs and stores a checkpoint for the committed head if it has grown since
// the last one, and returns the latest. Checkpoints are issued under one lock from the
// committed head only, so two checkpoints are always of one growing log.
func (l *Ledger) Checkpoint(ctx context.Context) (Checkpoint, error) {
	l.ckptMu.Lock()
	defer l.ckptMu.Unlock()
	h := l.head.Load()
	if c := l.ckpt.Load(); c != nil && c.Size >= h.Size {
		return *c, l.publish(ctx, *c)
	}
	c, err := SignCheckpoint(l.Origin(), h.Size, h.Root, l.opts.Signer)
	if err != nil {
		return Checkpoint{}, err
	}
	if err := l.st.PutCheckpoint(ctx, c); err != nil {
		return Checkpoint{}, fmt.Errorf("storing checkpoint: %w", err)
	}
	l.ckpt.Store(&c)
	return c, l.publish(ctx, c)
}

// LatestCheckpoint returns the newest issued checkpoint without signing a new one.
func (l *Ledger) LatestCheckpoint() (Checkpoint, bool) {
	c := l.ckpt.Load()
	if c == nil {
		return Checkpoint{}, false
	}
	return *c, true
}

func (l *Ledger) checkpointLoop() {
	defer close(l.ckptDone)
	if l.opts.CheckpointEvery < 0 {
		<-l.stopCkpt
		return
	}
	t := time.NewTicker(l.opts.CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stopCkpt:
			return
		case <-t.C:
			if _, err := l.Checkpoint(context.Background()); err != nil {
				l.opts.Logger.Error("checkpoint failed", "err", err)
			}
		}
	}
}
