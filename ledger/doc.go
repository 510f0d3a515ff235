// Package ledger is the tamper-evident core of the public-data audit ledger: the record,
// its canonical encoding, the sequencer, the SM3 hash chain and Merkle tree, checkpoints,
// proofs and verification. It imports the project's crypto package and nothing else of the
// project; commands and projections build on it, never the other way round.
//
// # Invariant
//
// Entry n carries SM3 of entry n−1 (prev_hash), and its hash is SM3 over its exact
// canonical bytes; entry n is Merkle leaf n. Entries are never rewritten: the bytes that
// were hashed and signed are the bytes stored and exported.
//
// # Basics
//
// A record has two layers. The submission is the actor's: id (UUIDv7), stream, type,
// occurred_at, actor {institution, person, key_id}, payload and an optional expected
// version, encoded with RFC 8785 and signed with SM2 (default user ID). The entry is the
// ledger's: seq, recorded_at, stream_version, prev_hash, the signature and the submission
// bytes verbatim.
//
// [Ledger.Append] verifies the signature in the caller's goroutine, so concurrent callers
// use every core ([Ledger.AppendBatch] spreads a batch's over the cores); a single
// sequencer goroutine then checks the key registry, idempotency and expected versions,
// seals a batch into the chain and tree, and writes it to the [Store] in one durable
// transaction (group commit). On a store it writes alone, the next batch is sealed while
// the one below it is being made durable, and a failed commit voids what was sealed on it
// (pipeline.go). Nothing is acknowledged before its batch is durable. A refused
// submission writes nothing.
//
// Who may sign what is itself recorded: the key registry is a stream of events
// ([RegistryStream]) founded by the genesis entry, and [Verify] applies the same rule at
// each position that ingest applied, so a signature by a key revoked at seq r is valid
// before r and refused after.
//
// # Caveats
//
// A Store only persists; it must refuse an append that does not start at its head
// ([ErrHeadMoved]) through the database itself, so that several processes on one database
// never fork the chain. Verification trusts nothing the store says about an entry except
// its bytes; it compares the recorded hash and Merkle leaf to detect rewriting, and signed
// checkpoints to detect a rewritten tail with recomputed hashes.
package ledger
