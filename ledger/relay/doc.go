// Package relay carries admitted submissions from a deployment's front-ends to its one
// sequencing point: the process holding the sequencing lease on a store several
// front-ends share (PostgreSQL). Each front-end verifies signatures and keys on its own
// cores (ledger.Options.Forward); the sequencing point applies the domain's rule,
// seals and commits, in group commits fed by every front-end, and nobody else catches
// up on the log entry by entry or queues for the head lock.
//
// The relay is a route of its own, on a listener of its own that only the front-ends
// reach, and every request and answer carries an HMAC-SM3 of the deployment's relay
// secret: over the request's body, and over the request's MAC and the answer's body.
// The sequencing point takes the signatures of what it is sent as verified, so the
// secret is worth as much as the front-ends' database credentials and the ledger key,
// and is kept as they are (docs/storage.md, "One sequencing point"). A replayed request
// repeats signed submissions with their ids, which the ledger answers as duplicates; a
// replayed answer does not match another request's MAC.
//
// Where the sequencing point is, the store says (pgstore.Store.Advertise): the lease's
// holder advertises its relay address once it has taken the lease and caught up, and a
// front-end that finds the address stale (unreachable, or no longer the holder: 421)
// looks again and retries for a while — an election takes a lease or two — before its
// clients are told the ledger is unavailable, with nothing acknowledged.
package relay
