// Package foldtest builds ledger entries by hand for the report folds' tests: only the
// fields a fold reads (seq, type, occurred_at, actor, payload) are set, and seqs are
// consecutive. Rows reads a rendered report back the way a program would. Random makes a
// seeded random log of every catalogue type, for property tests of the read models.
package foldtest
