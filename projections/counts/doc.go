// Package counts is the simplest read model: how many entries each institution recorded
// of each event type. It exists to prove the consumer runner (ledger/follow) end
// to end — live from the bus, caught up from the store, its position kept with its
// counts in one transaction — and gives dashboards a first table.
//
// # Basics
//
// NewPG keeps the counts in PostgreSQL (tables projection_positions and counts_by_type,
// created by an embedded migration); NewBolt in a bbolt file for the embedded mode.
// Several consumers may share one database under different names. Apply refuses a batch
// that does not start at the stored position (follow.ErrPositionMoved), so two
// processes running the same consumer never count an entry twice.
//
// # Caveats
//
// Counts include every entry, the key registry's too (type key.registered.v1 by the
// authority).
package counts
