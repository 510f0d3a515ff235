// Package bench is the measuring machinery behind `ledgerctl bench`, `ledgerctl load`
// and `ledgerctl soak`: the in-process benchmark (this machine's SM2/SM3 ceiling, durable
// ingest and full verification in one run), the load generator that sends realistic
// signed submissions to a running ledgerd through package client, and the soak that
// mixes appends, proofs, searches and reports against one for a bounded time and then
// reads back every acknowledgement.
//
// It lives apart from cmd/ledgerctl so that the officer's tool stays wiring: the
// benchmark needs the SM library directly (the ceiling is measured with the library's own
// verifier, not the ledger's), and only crypto and this package may import it
// (internal/archtest). Figures are returned as values; printing them is the command's.
package bench
