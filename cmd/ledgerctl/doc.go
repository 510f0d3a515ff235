// Command ledgerctl is the security officer's and operator's tool: keys, verification,
// demonstration data, load and benchmarks, proofs, evidence bundles and reports.
//
// Exit codes: 0 success; 1 the ledger or bundle is tampered (the first bad position is
// named); 2 usage, input or I/O error, with one line saying what is wrong.
package main
