package privacy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/aba-prefecture/dataledger/crypto"
)

// KEK is a key-encryption key: it wraps the data keys in a DirStore. Its bytes are as
// secret as every data key together.
type KEK struct{ key []byte }

// ParseKEK reads 32 hex digits (16 bytes), surrounding whitespace allowed.
func ParseKEK(s []byte) (*KEK, error) {
	s = bytes.TrimSpace(s)
	if len(s) != 2*crypto.SM4KeySize {
		return nil, fmt.Errorf("a key-encryption key is %d hex digits, got %d characters", 2*crypto.SM4KeySize, len(s))
	}
	k := make([]byte, crypto.SM4KeySize)
	if _, err := hex.Decode(k, s); err != nil {
		return nil, errors.New("a key-encryption key is hex digits only")
	}
	return &KEK{key: k}, nil
}

// ReadKEKFile reads a KEK from a file that only its owner can read (mode 0600 or
// stricter), as crypto.ReadPrivateKeyFile does for SM2 keys.
func ReadKEKFile(path string) (*KEK, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading the key-encryption key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key-encryption key %s has mode %v; it must be 0600 (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the key-encryption key: %w", err)
	}
	k, err := ParseKEK(b)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key %s: %w", path, err)
	}
	return k, nil
}

// GenerateKEKFile writes a fresh random KEK to path (mode 0600), refusing to overwrite
// one: replacing a KEK makes every data key it wraps unreadable.
func GenerateKEKFile(path string) (*KEK, error) {
	k := make([]byte, crypto.SM4KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the key-encryption key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return &KEK{key: k}, f.Close()
}

// ID names the KEK without revealing it: the first 8 bytes of SM3 over a label and the
// key, in hex. A store records the id of the KEK that wraps its keys.
func (k *KEK) ID() string {
	h := crypto.SM3(append([]byte("dataledger/kek-id/v1\x00"), k.key...))
	return hex.EncodeToString(h[:8])
}

// String never prints the key.
func (k *KEK) String() string { return "KEK(" + k.ID() + ")" }

// wrapAAD binds a wrapped data key to its subject and id.
func wrapAAD(subject, kid string) []byte {
	return []byte("dataledger/keystore/v1\x00" + subject + "\x00" + kid)
}

func (k *KEK) wrap(subject, kid string, dk []byte) (nonce, ct []byte, err error) {
	g, err := crypto.NewSM4GCM(k.key)
	if err != nil {
		return nil, nil, err
	}
	nonce = make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	return nonce, g.Seal(nil, nonce, dk, wrapAAD(subject, kid)), nil
}

func (k *KEK) unwrap(subject, kid string, nonce, ct []byte) ([]byte, error) {
	g, err := crypto.NewSM4GCM(k.key)
	if err != nil {
		return nil, err
	}
	if len(nonce) != g.NonceSize() {
		return nil, errors.New("bad nonce length")
	}
	dk, err := g.Open(nil, nonce, ct, wrapAAD(subject, kid))
	if err != nil {
		return nil, fmt.Errorf("the wrapped key of subject %s (kid %s) does not unwrap: wrong KEK or a corrupted store", subject, kid)
	}
	return dk, nil
}
