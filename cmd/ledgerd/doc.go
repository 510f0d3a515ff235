// Command ledgerd serves the embedded ledger over HTTP: it takes SM2-signed submissions,
// seals them into the SM3 hash chain and Merkle tree with group commit, and serves entries
// with inclusion proofs, signed checkpoints, health, readiness and Prometheus metrics.
//
//	ledgerd [--data DIR] [--listen ADDR] [--root-pub FILE] [flags]
//
// Every flag can also be set from the environment as LEDGER_<FLAG> (upper case, dashes as
// underscores: --data is LEDGER_DATA, --checkpoint-interval LEDGER_CHECKPOINT_INTERVAL); a
// flag on the command line wins over the environment.
//
// On first start it creates the ledger in DIR: the ledger key (signs checkpoints) and the
// genesis entry. With --root-pub the authority's root public key is written into genesis
// and its private half never touches the server (production). Without it a root key is
// generated in DIR/keys/root.key (single-operator mode, for development and demonstrations).
//
// SIGTERM or SIGINT drains: readiness answers 503, the listener closes and requests in
// flight finish (up to --shutdown-timeout), the sequencer commits everything queued and a
// final checkpoint is signed and published, then the store closes. A second signal stops
// at once.
//
// Exit codes: 0 after a clean drain; 1 if serving or draining failed; 2 for bad flags or a
// data directory that cannot be opened.
package main
