// Package bus publishes committed ledger entries on a watermill pub/sub, so that read
// models in this process or in others hear of them at once.
//
// The bus is a fast path, never the record: the store is. A message can be lost,
// duplicated or reordered and nothing changes, because consumers (ledger/follow)
// apply entries strictly by position and read the store for whatever they did not get.
// That is why publishing never holds up the sequencer: Publisher.OnCommit copies the
// batch into a bounded queue and returns; a background goroutine publishes; when the
// queue is full the batch is dropped and counted.
//
// # Basics
//
// Open picks the pub/sub from a URL:
//
//	""  or "gochannel:"   in-process GoChannel (the default; one per process)
//	nats://HOST:PORT      NATS JetStream; the stream is created with a retention limit
//	postgres://…          watermill-sql on PostgreSQL (a table per topic, offsets per consumer)
//
// Each committed batch becomes one or more messages (at most MaxEntries entries and about
// MaxBytes bytes each) on the topic (default Topic). A message's payload is a Batch in
// JSON: the entries' exact canonical bytes in base64 with their seq and hash, so a
// consumer can check them against the chain it holds. Its UUID is derived from its first
// entry's hash and its size, so a republished batch carries the same id (JetStream drops
// it as a duplicate within its window).
//
// # Caveats
//
// watermill-sql keeps every message in its table: prune it (the store already holds the
// entries) or use NATS, whose stream keeps MaxAge. GoChannel reaches only subscribers in
// the same process.
package bus
