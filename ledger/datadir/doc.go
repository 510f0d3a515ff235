// Package datadir is the on-disk layout of an embedded ledger, shared by ledgerd and
// ledgerctl so that both find the same store and keys in a data directory:
//
//	DIR/ledger.db          the bbolt store (ledger/boltstore)
//	DIR/keys/ledger.key    the ledger's SM2 key (PKCS#8 PEM, 0600): signs checkpoints
//	DIR/keys/ledger.pub
//	DIR/keys/root.key      the authority's root key, only in single-operator mode
//	DIR/keys/root.pub
//	DIR/checkpoints/       published checkpoints (outside the store)
//
// # Caveats
//
// Single-operator mode (no root public key given at initialisation) generates the root
// key beside the store. That suits a demonstration or a developer's machine; in
// production the authority generates its root key offline and passes only the public
// half (ledgerd --root-pub), so the server never holds it.
package datadir
