// Package storeurl opens a ledger.Store from the one string an operator gives in
// --store, so that every command speaks of storage the same way:
//
//	bolt:PATH                       the embedded bbolt file PATH
//	DIR                             a data directory's embedded store (DIR/ledger.db)
//	postgres://… or postgresql://…  PostgreSQL (ledger/pgstore)
//	esdb://…, esdb+discover://…     EventStoreDB / KurrentDB (ledger/esdbstore);
//	kurrentdb://…                   kurrentdb[+discover]:// is accepted as a synonym
//
// Basics: Open returns the store ready for use (PostgreSQL migrated, EventStoreDB
// indexed). Redact hides a password before the string reaches a log. Caveats: a bare
// path is a data directory, not a file (write bolt:FILE for a file elsewhere), and the
// bolt file may be open in one process only.
package storeurl
