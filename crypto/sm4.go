package crypto

import (
	"crypto/cipher"
	"fmt"

	"github.com/emmansun/gmsm/sm4"
)

// SM4KeySize is the SM4 key length in bytes.
const SM4KeySize = 16

// NewSM4GCM returns SM4 in Galois/Counter Mode (RFC 8998) with a 12-byte nonce and a
// 16-byte tag. It is built from the standard library's GCM over the SM4 block, which
// checks the tag on every Open.
func NewSM4GCM(key []byte) (cipher.AEAD, error) {
	if len(key) != SM4KeySize {
		return nil, fmt.Errorf("%w: SM4 key must be %d bytes, got %d", ErrBadKey, SM4KeySize, len(key))
	}
	b, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("SM4 key: %w", err)
	}
	return cipher.NewGCM(b)
}
