// Package bundle writes and verifies evidence bundles: the entries an investigation
// needs, with their inclusion proofs, a signed checkpoint and the public keys, in one JSON
// file that verifies offline, with no server and no database.
//
// # Guarantees
//
// A bundle that Verify accepts proves, to anyone who trusts the ledger key (pin it with
// VerifyOptions.LedgerKey, or compare the reported key ID with the published one):
//
//   - every entry is, byte for byte, the entry at its position in the log that the
//     checkpoint commits to (SM3 inclusion proofs against the signed root);
//   - every entry's submission was signed by the key the key registry bound to the acting
//     institution at that position, with that key's role allowing the event type; the
//     registry is replayed from the genesis entry using the registry entries the bundle
//     carries, each proven like any other entry;
//   - the export itself is an entry (ledger.bundle_exported.v1, Art. 37(5)), signed by the
//     ledger key, naming who exported what and why; its payload states how many entries the
//     selection held and how many registry acts preceded it, so an exporter cannot leave out
//     an entry of the selection or a key revocation without verification failing.
//
// # Basics
//
// Export records the export event through a running Ledger, signs a checkpoint covering
// it, and builds the bundle from the store; Write encodes it. Read and Verify check one.
// docs/formats.md describes the format with test vectors.
//
// # Caveats
//
// The completeness claims (entries, registry_version) are the ledger's signed word, not a
// proof: they are as trustworthy as the ledger key, which also signs the checkpoints. A
// bundle is built in memory; very large selections (millions of entries) should be split
// by --seq ranges.
package bundle
