package ledger_test

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Checking that entry "b" is the second of three, from its audit path and the root alone:
// what an investigator does with an inclusion proof from a bundle or GET /v1/proofs/inclusion.
func ExampleVerifyInclusion() {
	h := ledger.Hasher{}
	la, lb, lc := h.HashLeaf([]byte("a")), h.HashLeaf([]byte("b")), h.HashLeaf([]byte("c"))
	var root, pa, pc ledger.Hash
	copy(root[:], h.HashChildren(h.HashChildren(la, lb), lc))
	copy(pa[:], la)
	copy(pc[:], lc)
	fmt.Println(root)
	fmt.Println(ledger.VerifyInclusion([]byte("b"), 1, 3, []ledger.Hash{pa, pc}, root) == nil)
	fmt.Println(ledger.VerifyInclusion([]byte("x"), 1, 3, []ledger.Hash{pa, pc}, root) == nil)
	// Output:
	// 2706e4e4d41c1ed9c3fe7f7822bf360a67abcc052cc2c00022c1313ec3ded965
	// true
	// false
}
