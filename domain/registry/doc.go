// Package registry is the small read model the command side authorises against: which
// institutions exist and which are data authorities, who holds each catalog entry and
// with which attributes, open applications and who must answer them, rectification
// orders, contracts, emergencies, correction requests and active Art. 42 suspensions.
//
// It guarantees that folding is idempotent by position (an entry at or below the last
// applied seq is ignored), so the same State can be fed by a catch-up read of the store
// and by the ledger's OnCommit hook without double counting, and a rebuild from zero
// equals the incremental run.
//
// # Basics
//
//	st := registry.New()
//	err := st.CatchUp(ctx, store)        // fold everything committed so far
//	opts.OnCommit = st.ApplyBatch         // then stay current
//	st.IsAuthority("aba-data-bureau")
//
// # Caveats
//
// It is in memory and rebuilt at start (a few hundred bytes per registry object; data
// acts are skipped cheaply by type). It folds what the log says, valid or not: entries
// written before the command checks existed are read leniently. Methods are safe for
// concurrent use.
package registry
