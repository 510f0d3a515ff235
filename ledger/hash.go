package ledger

import (
	"encoding/hex"
	"fmt"

	"github.com/aba-prefecture/dataledger/crypto"
)

// Hash is an SM3 digest: entry hashes, chain links and Merkle nodes.
type Hash [crypto.HashSize]byte

// ZeroHash is the prev_hash of entry 0: nothing came before it.
var ZeroHash Hash

// String returns lowercase hex, the form used in entries and bundles.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes as lowercase hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText accepts exactly 64 lowercase hex digits, so one hash has one spelling.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash reads 64 lowercase hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("hash must be %d hex digits, got %d", 2*len(h), len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return h, fmt.Errorf("hash must be lowercase hex")
		}
	}
	_, err := hex.Decode(h[:], []byte(s))
	return h, err
}

// SumEntry is the entry hash: SM3 over the exact canonical entry bytes.
func SumEntry(entry []byte) Hash { return crypto.SM3(entry) }
