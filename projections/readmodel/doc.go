// Package readmodel keeps the report read models — findings, obligations,
// accountability, emergencies, assessment — persisted with their position, so that a
// report is read from a model kept level with the log, not folded from the first entry
// each time, and a restart folds only what came after the last snapshot.
//
// # Basics
//
// A Model wraps one report kind's fold (report.Model). It is a follow.Model: a
// follow.Follower feeds it, and every so often (Options.SaveEvery entries or SaveAfter)
// it encodes the fold and saves it with the position and the hash of the last entry
// folded, as one Snapshot, in a Store:
//
//   - DirStore: DATA/readmodels/NAME.snapshot beside the embedded store, one file per
//     model replaced atomically (magic line, JSON header with the state's SM3, state);
//   - PGStore: the ledger's PostgreSQL database, table readmodel_snapshots, and the
//     model's current view as rows (readmodel_rows) that the documented views
//     readmodel_findings, readmodel_obligations, readmodel_assessment and
//     readmodel_institutions expose to Grafana's PostgreSQL data source.
//
// Open restores a model from its snapshot only when the snapshot was written by this
// fold code (FoldIdentity, the digest of the folds' and the domain's sources, written by
// go generate and checked by a test) and ends at an entry the log holds; otherwise the
// model starts from zero and the follower folds the whole log. A Set opens every kind
// and answers reports: from the live state when the as-of day is not before the latest
// act folded, else by report.Build from zero.
//
// # Caveats
//
// A snapshot is the fold's whole state: saving costs time proportional to it (see
// docs/performance.md), which is why it is not done per batch. Position and state are
// always saved together, so a crash loses only work, never consistency: the follower
// folds again what came after the snapshot.
package readmodel
