package ledger

import "context"

// Store persists sealed entries. It is deliberately small: hashing, chaining, signing and
// proofs live in this package, once, for every backend; a Store only keeps bytes and
// indexes and answers lookups. Implementations must be safe for concurrent use.
//
// A Store MUST NOT acknowledge an Append (return nil) until the batch is durable, and MUST
// apply a batch entirely or not at all. It MUST refuse a batch whose first seq is not its
// current size with ErrHeadMoved, so that several writers on one database never fork the
// chain: this check belongs to the database (a constraint or an expected revision), never
// to process memory.
type Store interface {
	// Head returns the number of entries and the hash of the last one (ZeroHash if none).
	Head(ctx context.Context) (Head, error)
	// Append writes a batch of consecutive entries and their Merkle nodes atomically and
	// durably.
	Append(ctx context.Context, b *Batch) error
	// Entries calls fn for each entry with from <= seq < to, in order. The RawEntry's
	// Bytes are only valid during the call.
	Entries(ctx context.Context, from, to uint64, fn func(RawEntry) error) error
	// Stream calls fn, in order, for each entry of stream whose stream version is at least
	// from (versions start at 1).
	Stream(ctx context.Context, stream string, from uint64, fn func(RawEntry) error) error
	// Lookup maps event ids to positions; unknown ids are absent from the result.
	Lookup(ctx context.Context, ids []string) (map[string]uint64, error)
	// StreamVersions returns each stream's current version (absent streams: absent).
	StreamVersions(ctx context.Context, streams []string) (map[string]uint64, error)
	// Nodes returns the stored Merkle node hashes for ids, in order; a missing node is an
	// error wrapping ErrNotFound.
	Nodes(ctx context.Context, ids []NodeID) ([]Hash, error)
	// PutCheckpoint stores a signed checkpoint for a tree size no larger than Head.
	PutCheckpoint(ctx context.Context, c Checkpoint) error
	// Checkpoints calls fn for stored checkpoints in increasing size order.
	Checkpoints(ctx context.Context, fn func(Checkpoint) error) error
	// LatestCheckpoint returns the checkpoint with the largest size; ErrNotFound if none.
	LatestCheckpoint(ctx context.Context) (Checkpoint, error)
	// Close releases the store. Appends after Close fail.
	Close() error
}

// HeadLocker is an optional Store power for databases that several processes write. The
// sequencer takes the lock, with the head as it stands under the lock, before it seals
// a batch, and releases it after the append, so that writers queue in the database
// (fairly, in lock order) instead of racing, losing and re-sealing. The lock is a
// courtesy: correctness still rests on Append refusing a moved head, so a store may
// hand out the lock loosely, and the sequencer appends optimistically when LockHead
// fails. A store may release the lock early, when the append under it commits.
type HeadLocker interface {
	LockHead(ctx context.Context) (Head, func(), error)
}

// LeafReader is an optional Store power for stores that keep each entry's Merkle leaf
// hash beside it: EntriesWithLeaves is Entries with the stored leaf. A writer catching up
// on what others appended extends its tree from the stored leaves instead of hashing
// every entry again or reading the tree's frontier in a further round trip. (Like every
// hash a store returns, the leaves are trusted here and re-checked by Verify.)
type LeafReader interface {
	EntriesWithLeaves(ctx context.Context, from, to uint64, fn func(e RawEntry, leaf Hash) error) error
}

// Leaser is an optional Store power for stores that several processes share: a named
// lease, held by one process of the deployment at a time. Work that must run once per
// deployment rather than once per process (derived read models, compliance metrics)
// runs where the lease is held. A holder that stops (crashes, is paused, is cut off)
// loses the lease within the store's lease time and another process takes it; a holder
// that resumes learns it no longer holds it. The lease is about not doing work twice,
// never about correctness: for a moment after a pause two processes may both believe
// they hold it, so the guarded work must be safe to do twice.
type Leaser interface {
	// Lease starts competing for the named lease and returns at once.
	Lease(name string) Lease
}

// Lease is one process's claim on a named lease (Leaser).
type Lease interface {
	// Held reports whether this process holds the lease now.
	Held() bool
	// Close gives the lease up and stops competing for it.
	Close() error
}

// BatchLimiter is an optional Store power for stores whose one atomic append carries a
// bounded number of bytes (EventStoreDB: one AppendToStream, under the server's
// MaxAppendSize). A batch is atomic, so such a store cannot split one; it refuses it.
// MaxBatchBytes is the most one Append may carry, counting the entries' canonical bytes
// and what the store adds for each (ids, hashes, Merkle nodes: a few hundred bytes). The
// sequencer closes a batch before its estimate of the sealed batch would pass the limit
// (a submission's canonical bytes, its stream, and BatchEntryOverhead for the rest), so
// only a single submission too large for one append is ever refused for its size.
type BatchLimiter interface {
	MaxBatchBytes() int
}

// BatchEntryOverhead is what the sequencer counts per entry, beyond its submission's
// canonical bytes and stream name, against a BatchLimiter's MaxBatchBytes: the sealed
// envelope (prev_hash, recorded_at, seq, signature, stream_version: about 290 bytes) and
// a store's per-entry metadata (ids, hashes, about two Merkle nodes on average), with
// room to spare. A batch also reserves BatchReserve for the nodes that only its last
// entry completes (up to one per level of the tree).
const (
	BatchEntryOverhead = 1024
	BatchReserve       = 8 << 10
)

// Head is the state of the log's end.
type Head struct {
	Size     uint64 // number of entries; the next seq
	LastHash Hash   // hash of entry Size-1
}

// RawEntry is an entry as stored: its position, its hash as recorded at append time, and
// its canonical bytes. Verification recomputes the hash and compares.
type RawEntry struct {
	Seq   uint64
	Hash  Hash
	Bytes []byte
}

// SealedEntry is one entry ready for a Store, with the index keys the store maintains.
type SealedEntry struct {
	Seq           uint64
	ID            string
	Stream        string
	StreamVersion uint64
	Hash          Hash
	Bytes         []byte
}

// NodeID names a Merkle tree node: Level 0 is the leaves; Index counts from the left.
type NodeID struct {
	Level uint8
	Index uint64
}

// Node is a persisted perfect-subtree hash. Nodes never change once written.
type Node struct {
	ID   NodeID
	Hash Hash
}

// Batch is one atomic, durable append.
type Batch struct {
	Entries []SealedEntry // consecutive, starting at the store's current size
	Nodes   []Node        // every Merkle node completed by these entries
}

// Checkpoint is a signed tree head in C2SP signed-note form.
type Checkpoint struct {
	Size uint64
	Root Hash
	Note []byte // the full signed note text
}
