// Package storetest is the contract every ledger.Store backend must pass, run in one line
// from each backend's own test:
//
//	func TestContract(t *testing.T) { storetest.Run(t, newOpener) }
//
// Each case drives the store both directly (atomicity, head checks, lookups) and through
// a real ledger.Ledger (append, read, streams, idempotency, concurrency, reopen), and
// every case ends with full verification of what the store holds, in the manner of
// bbolt's consistency check after every test.
package storetest
