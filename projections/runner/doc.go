// Package runner feeds read models (projections) from the ledger: a named consumer with
// a stored position, fed live from the bus and caught up from the store by position.
//
// What it guarantees: a consumer sees every entry exactly once in seq order, whatever the
// bus does. Messages lost, duplicated, reordered or forged change nothing: the runner
// applies only entries that start exactly at the consumer's position and extend the
// chain it holds (prev_hash), and reads the store for everything else. A rebuild from
// zero therefore gives the same state as the incremental run.
//
// # Basics
//
// A Consumer stores its position (the number of entries it has folded) with its read
// model, in the same transaction as the effects of Apply; the runner asks it for the
// position rather than keeping one, so a crash between apply and acknowledgement
// replays nothing twice. Run keeps a consumer live until its context ends: it catches
// up from the store, then applies bus messages as they come, and catches up again when
// a message is ahead of it, on a timer (PollEvery), and when the store announces an
// append (pgstore's LISTEN/NOTIFY). RunToEnd catches up to the store's head and returns:
// what tests and rebuilds use.
//
// # Caveats
//
// Consumer names are stable: renaming one starts it again from zero. Two runners of
// the same consumer may run at once (an Apply whose first seq is not the stored position
// is refused with ErrPositionMoved and the runner re-reads the position), but they do
// the work twice.
package runner
