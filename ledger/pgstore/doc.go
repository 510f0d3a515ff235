// Package pgstore is the PostgreSQL ledger.Store (pgx v5, pgxpool), for institutions that
// already run PostgreSQL and want its replication and backups.
//
// It guarantees, through the database and not through process memory, that any number
// of writers on one database — several ledgerd processes, say — extend one chain: no
// fork, no gap, no seq twice. An append is acknowledged only once its commit record is
// flushed.
//
// # Basics
//
// Open connects, applies the embedded migrations it has not applied yet (recorded in
// schema_migrations, under an advisory lock so concurrent starters queue) and returns
// the store. Each Append is one SQL statement, hence one round trip and one transaction:
// a conditional UPDATE moves the single head row from the batch's first seq to its end
// (UPDATE ... WHERE size = $expected), and the entries and interior Merkle nodes are
// inserted from arrays only if that row moved. A concurrent writer blocks on the head
// row's lock, then finds the size changed, inserts nothing and gets ledger.ErrHeadMoved;
// the sequencer catches up and re-seals. Unique constraints on seq, id and (stream,
// stream_version) back the head check up.
//
// Tables: ledger_head (one row: size, last hash), ledger_entries (seq, id, stream,
// stream_version, hash, leaf, body = the canonical entry bytes), ledger_nodes (interior
// Merkle nodes), ledger_checkpoints (size, root, signed note). Entries, nodes and
// checkpoints are append-only: triggers refuse UPDATE, DELETE and TRUNCATE.
//
// Every committed append sends NOTIFY ledger_appended with the new size; Store.Watch
// delivers them, for readers that want to wake up rather than poll.
//
// # Several writers
//
// The store is a ledger.HeadLocker: writers take turns on a head lock (an advisory lock,
// then the head row's, with the head read) held on a session of its own, and the
// holder's append commits the lock's transaction. The lock is a lease (lock.go): the
// server ends a holder's session after Options.Lease (default 2 s) of silence inside the
// lock (idle_in_transaction_session_timeout), so a paused or cut-off holder stops nobody
// for longer; keepalives find vanished peers; waits are bounded by Options.LockWait, after
// which a writer queues on the head row until the advisory lock is free again; and a
// holder whose session failed mid-append reads the log to learn whether its batch
// committed. Lease and LockWait can also be given in the connection string
// (ledger_lease=, ledger_lock_wait=), which Open removes before pgx sees it.
//
// It is also a ledger.LeafReader (entries with their stored Merkle leaves, so a writer
// catching up on the others' entries grows its tree without hashing them) and a
// ledger.Leaser: Lease(name) competes for a named deployment-wide lease, a session
// advisory lock that the server ends after a lease of silence (idle_session_timeout,
// PostgreSQL 14 and later), for work that must run in one process of a deployment.
//
// # Caveats
//
// The triggers stop mistakes, not a database owner, who can disable them: what a
// privileged person changes in the tables is found by ledger.Verify (a changed body at
// its seq as bad_entry_hash, a deleted row as missing_entry), and rewriting the chain
// consistently is caught by the signed checkpoints published outside the database.
//
// Durability is the server's: Open turns synchronous_commit on for its sessions when it
// is off, keeps any stronger setting (remote_apply with a synchronous standby), and logs
// an error if the server runs with fsync off. See README.md for the life of an entry.
package pgstore
