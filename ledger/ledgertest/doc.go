// Package ledgertest builds ledgers for tests: fresh keys for the ledger, the authority's
// root and institutions, the genesis entry, key registrations and signed submissions, so
// that every test starts from a provably valid log in a few lines.
package ledgertest
