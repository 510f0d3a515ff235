// Package pgmigrate applies each component's numbered SQL migrations to a PostgreSQL
// database once, in order, whoever starts first: the ledger's store (ledger/pgstore)
// and the read models' tables (projections/readmodel) use it with their own names and
// files, so the rule for evolving a schema is written once.
package pgmigrate
