// Package esdbstore is the EventStoreDB / KurrentDB ledger.Store
// (github.com/EventStore/EventStore-Client-Go/v4), for when one machine is outgrown and
// the log should live in a replicated cluster.
//
// # Guarantees
//
//   - One chain, whatever the number of writers: every append names the revision it
//     expects the entries stream to be at, so a second writer's batch for the same
//     position is refused (ledger.ErrHeadMoved) and its sequencer catches up and
//     seals again. This rests on the server, not on process memory or a lock.
//   - A batch is atomic: it is one append, or it is refused before anything is sent
//     (ErrBatchTooLarge).
//   - Append returns nil only for bytes the log holds at their seqs: written by the
//     server under the expected revision, acknowledged by the server for event ids
//     derived from these very entries' hashes (EntryEventID), or read back and
//     compared after an answer was lost. A second sealing of the same submission by
//     another writer (other recorded_at, other bytes) is never acknowledged.
//   - Every call asks for the leader (the requires-leader header), so reads see every
//     acknowledged entry even when the client is connected to a lagging follower.
//   - No call waits unbounded: each has a deadline (CallTimeout), failures in transit
//     are retried with backoff for RetryFor (long enough for a leader election), and
//     a client that gave up connecting is replaced by a new one.
//
// # Basics
//
// Streams, under a prefix (default "ledger"; esdb://…?prefix=NAME or Options.Prefix):
//
//	PREFIX-entries      one event per entry; event number = seq; event id = UUIDv5 of
//	                    the entry's hash (EntryEventID); data = the canonical entry
//	                    bytes (binary content type, stored verbatim); metadata = JSON
//	                    {seq, hash, id, stream, stream_version, nodes}, where id is the
//	                    submission's id and nodes are the Merkle nodes this entry
//	                    completes (its leaf and each perfect subtree it closes)
//	PREFIX-checkpoints  one event per signed checkpoint, in growing size (appended with
//	                    an expected revision, so the stream is monotonic)
//
// A batch is one AppendToStream call (atomic on the server) with ExpectedRevision =
// first seq − 1 (NoStream for seq 0), so entries and their nodes arrive together. The
// node scheme needs no second stream: node (level L, index I) is completed by the entry
// with seq (I+1)·2^L − 1, and is read from that event's metadata. Logs written when
// the event id was the submission's id are still read and indexed.
//
// The server acknowledges an append whose event ids match the events already after
// the expected revision without writing it; it compares ids, never data. Because the
// event id is derived from the entry's hash, that acknowledgement means the log holds
// these very bytes, and an identical append sent again after a failure in transit is
// a no-op. An append whose answer is lost (Unknown, Unavailable, a dropped
// connection, no answer in time) may or may not have committed; the store reads its
// positions back before sending it again: the same bytes are success, other entries
// are ErrHeadMoved, nothing means send again. When RetryFor runs out without a
// definite answer, Append returns an error saying the batch may or may not be stored;
// the ledger then finds out when it next catches up, and submitters retrying with
// the same id get the stored entry.
//
// Lookups by submission id and by application stream use an index kept in a local
// bbolt file (Options.IndexPath, index= in the URL), which the Store extends by
// reading PREFIX-entries from where it stopped before each use (one round trip when
// nothing is new; concurrent callers share a refresh, and none holds a lock while the
// server is asked). The index is a cache of the log, never its authority: at Open the
// Store compares the index's last entry with the log's (entries chain by hash, so the
// last vouches for all before it) and rebuilds the index from the log if they differ.
// Idempotency by submission id is checked there before appending; a concurrent writer
// of the same id is caught by the expected revision.
//
// The client library (v4.2.0) needs care, and gets it in conn.go: its RequiresLeader
// option never reaches the server (the store sends the header itself); when discovery
// fails it stops for good, answering ConnectionClosed and leaving callers blocked on
// an unbuffered channel (every call runs in a goroutine the caller can leave at its
// deadline, and a new client replaces the old); closing a client under a blocked
// caller panics (an old client is closed only after the store's last call on it);
// streaming reads have no deadline (a read is abandoned after CallTimeout of silence);
// an unexpected answer makes it panic (recovered, and counted as failed in transit).
//
// # Caveats
//
//   - The index costs disk, not memory: roughly 250 bytes of file per entry (ids,
//     stream positions, bbolt's pages), read through the page cache. With an index
//     file, Open reads only the entries appended since the file was last written; a
//     new file, or none (a temporary one, removed at Close), is built by reading the
//     whole entries stream once. One Store at a time may hold a file (a second fails
//     after a second), so give each ledgerd its own. New entries are indexed in
//     memory and written to the file together (every 200 ms, every 4096 entries, and
//     at Close), so appends do not wait for an fsync; a crash loses only that tail,
//     which the next Open reads from the log. If the file cannot be written (a full
//     disk), the tail stays in memory and a warning is logged at each attempt.
//   - Reading an application stream reads its entries one by one (point reads grouped
//     into runs); the ledger does this for the key registry at Open.
//   - A batch larger than one append may carry (MaxBatchBytes: Options.MaxAppendBytes,
//     default MaxAppend = 768 KiB, under the server's default MaxAppendSize of 1 MiB)
//     is refused whole with ErrBatchTooLarge; nothing is written and its submitters
//     get an error. The Store is a ledger.BatchLimiter, so the sequencer closes each
//     batch before its estimated size passes MaxBatchBytes and carries the rest into
//     the next: with any --max-batch, ErrBatchTooLarge is left for a single entry
//     larger than an append. If the server's MaxAppendSize is raised, raise
//     maxAppendBytes to match.
//   - Several ledgerd on one cluster follow each other: the Store is a
//     ledger.HeadLocker, so each sequencer folds in the others' commits before sealing,
//     follows them while idle, and catches up before refusing a key it does not know.
//     But EventStoreDB has no lock to queue writers on (pgstore's is an advisory lock;
//     a lease written to a stream would cost two quorum appends per batch and rest on
//     clocks), so LockHead only returns the head as the leader has it and queues this
//     process's callers. Across processes the expected revision decides: the writer
//     whose append arrives second catches up and seals again, and a batch that loses
//     eight times in a row fails with ErrHeadMoved (its submitters retry). Flat out,
//     four writers in the harness lose about one submission in ten that way. Several
//     ledgerd are for availability and modest rates; for throughput, one writes.
//   - Reads go to the leader, never to followers: the cluster's read capacity is the
//     leader's.
//   - A client that gave up while a call of ours was stuck inside it is never closed
//     (closing it would panic that call): a few goroutines and a connection can leak
//     per outage that outlasts the client's discovery attempts.
//   - EventStoreDB can truncate ($tb) or delete streams; ledger.Verify reports what
//     went missing, and signed checkpoints kept elsewhere prove the truncation.
//
// The package is tested against internal/harness, a fault-injection stand-in for the
// server's gRPC API that models only the commit rules and failures above (its doc
// says what it leaves out), and against a real server when LEDGER_ESDB_URL is set.
package esdbstore
