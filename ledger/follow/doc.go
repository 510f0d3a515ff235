// Package follow is the one way anything in this project reads the log from a stored
// position: the write model the checker judges by (the registry), the read models the
// reports, metrics and console read (findings, obligations, accountability, emergencies,
// assessment, the investigation index) and the shredder that destroys keys when the
// Measures say so. Each is a Model with a name and a position; a Follower keeps it level
// with the log.
//
// What it guarantees: a model sees every entry exactly once, in seq order, whatever
// brought it. Bus messages lost, duplicated, reordered or forged change nothing, nor
// does a commit hook that fires twice: the follower applies only entries that start at
// the model's position and extend the chain it holds (prev_hash), and reads the store
// for everything else. A rebuild from zero therefore gives the same state as the
// incremental run, and as a run killed and resumed anywhere.
//
// # Basics
//
// A model stores its position with its state, atomically: in the same transaction
// (the search index, PostgreSQL read models), in the same snapshot (the report read
// models of projections/readmodel), or in memory together (the registry). The follower
// asks the model for its position rather than keeping one of its own, so a crash
// between applying and acknowledging replays nothing twice.
//
// Three ways feed a model, all through the same rule:
//
//   - CatchUp reads the store from the position to the head as it is now, a chunk at a
//     time, parsing each chunk's entries on every core: start-up, rebuilds, tests.
//   - Offer takes entries the ledger just committed, synchronously: the registry is fed
//     this way from ledger.Options.OnCommit and OnCatchUp, so it is current before the
//     next submission is sequenced.
//   - Run keeps a model live until its context ends, woken by Wake (a commit in this
//     process), by the watermill bus (ledger/bus: another process's commits, over NATS
//     JetStream or PostgreSQL), by the store's own announcements (pgstore's
//     LISTEN/NOTIFY) and by a poll (PollEvery). Deliver hands it this process's commits
//     already parsed; with Options.Gather those that arrive close together are applied
//     together, so a model pays its per-Apply cost once per Gather, not per commit.
//
// # Caveats
//
// Model names are stable: renaming one starts it again from zero. Two followers of the
// same persisted model may run at once (an Apply whose first seq is not the stored
// position is refused with ErrPositionMoved and the follower re-reads the position),
// but they do the work twice.
package follow
