// Command gen writes projections/readmodel/fold_identity.go: the digest of the code
// that decides what a read model's snapshot means (go generate ./projections/readmodel).
package main
