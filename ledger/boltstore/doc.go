// Package boltstore is the embedded default ledger.Store: one bbolt file, every append one
// ACID transaction fsynced before it is acknowledged.
//
// # Basics
//
// The sequencer in package ledger hands over whole batches (group commit): one bbolt
// transaction, hence one fsync, for up to thousands of entries. Buckets:
//
//	entries      seq (8 bytes, big-endian) → entry hash (32) ‖ canonical entry bytes
//	ids          event id → seq
//	streams      stream ‖ 0x00 ‖ version (8 bytes) → seq
//	streamheads  stream → current version
//	nodes        level (1) ‖ index (8) → Merkle node hash
//	checkpoints  tree size (8) → signed checkpoint note
//	meta         "head" → size (8) ‖ last entry hash (32)
//
// # Life of an entry
//
// An entry exists once the transaction holding its batch has committed: bbolt writes the
// dirty pages, fsyncs, then writes and fsyncs the meta page that makes them current. A
// crash before the meta page leaves the previous state intact; there is no partial batch
// and no recovery step. Only one process may open the file (bbolt takes an exclusive
// file lock), so the head check in Append never sees another writer.
//
// # Damaged files
//
// bbolt trusts its file: a page cut off, zero-filled or overwritten makes it panic (on
// start it walks every page in a goroutine of its own, where no caller can recover) or
// fault on memory past the end of its mapping. Open therefore validates an existing file
// under the same lock bbolt then holds, before bbolt maps it (ValidateFile: both meta
// pages, the length, every reachable page), and refuses a damaged one with a
// *DamagedError naming the file and the damage. Every read and write after that runs
// under a guard that turns a bbolt panic or a fault (the file changed while open) into
// the same error, and the store then stays damaged. Check is bbolt's own consistency
// check, for verification. A flipped byte inside an entry leaves the structure whole and
// is the verifier's to find, at its position.
//
// # Caveats
//
// Pages read through the memory map count towards the process's resident set; random
// stream lookups touch more of them than appends do.
//
// Snapshot copies the whole file inside one read transaction while appends continue
// (ledgerd serves it as GET /v1/snapshot, so that offline tools need not stop the
// ledger). bbolt cannot grow its memory map while a read transaction is open, so a copy
// that drains slowly delays appends that need a larger file: bound each write.
package boltstore
