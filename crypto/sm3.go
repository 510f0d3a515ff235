package crypto

import (
	"hash"

	"github.com/emmansun/gmsm/sm3"
)

// HashSize is the length of an SM3 digest in bytes.
const HashSize = sm3.Size

// NewSM3 returns a streaming SM3 hash, for callers that hash in pieces (Merkle nodes with
// a domain-separation prefix, large exports).
func NewSM3() hash.Hash { return sm3.New() }

// SM3 returns the SM3 digest of b.
func SM3(b []byte) [HashSize]byte { return sm3.Sum(b) }
