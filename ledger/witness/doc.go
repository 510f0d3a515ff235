// Package witness lets a second party check that the ledger's log only ever grows, and
// say so with a signature: a cosignature on a checkpoint it has verified to be consistent
// with every checkpoint it cosigned before.
//
// It follows C2SP tlog-witness (old size + consistency proof + checkpoint in, cosignature
// out) and tlog-cosignature (a timestamped signature over "cosignature/v1", the time and
// the checkpoint body), with SM2 over SM3 (GM/T 0009 default user ID) in place of
// Ed25519. docs/formats.md gives the exact bytes.
//
// # Basics
//
// A Witness holds its SM2 key, the logs it watches (origin and ledger public key) and a
// state file with the last size and root it cosigned per origin. AddCheckpoint refuses
// anything that does not extend that state, and persists the new state before it returns
// a cosignature, so a witness never cosigns two inconsistent checkpoints, even across
// restarts. Handler serves the tlog-witness POST /add-checkpoint endpoint; `ledgerctl
// witness` runs the same check in pull mode against a ledgerd.
//
// On the ledger's side, Collector checks cosignatures from configured witness keys and
// adds them to the published checkpoint, so GET /v1/checkpoint shows them.
//
// # Caveats
//
// The state file is the witness's memory: losing it lets the witness be walked back to an
// older fork. Keep it with the witness key, on storage the log operator does not control.
// One process per state file: there is no cross-process lock.
package witness
