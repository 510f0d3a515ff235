package crypto

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/aba-prefecture/dataledger/crypto/internal/sm2p256"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// DefaultUserID is the GM/T 0009 default signer identity used in ZA. Every signature in
// the ledger uses it, so that OpenSSL (distid:1234567812345678) and other SM2
// implementations verify our signatures without extra configuration.
const DefaultUserID = "1234567812345678"

// Signer signs whole messages with SM2 and returns an ASN.1 DER signature. It is the seam
// where a key file, a KMS or an HSM plugs in; implementations must be safe for concurrent
// use.
type Signer interface {
	// Public returns the verifying key; it must not change over the signer's life.
	Public() *PublicKey
	// SignMessage signs msg (not a digest) with the default user ID.
	SignMessage(msg []byte) ([]byte, error)
}

// PublicKey is an SM2 public key with its ZA value precomputed: ZA depends only on the key
// and the user ID, and computing it is a full SM3 pass per verification otherwise.
type PublicKey struct {
	key *ecdsa.PublicKey
	za  []byte
	id  string
	der []byte
	// fast carries the per-key precomputed table once the key has been used enough.
	fast *fastVerify
}

// NewPublicKey wraps an SM2 public key; it refuses keys on any other curve, because a
// P-256 key would verify nothing and fail far from where it was configured.
func NewPublicKey(pub *ecdsa.PublicKey) (*PublicKey, error) {
	if pub == nil || !sm2.IsSM2PublicKey(pub) {
		return nil, ErrNotSM2
	}
	za, err := sm2.CalculateZA(pub, []byte(DefaultUserID))
	if err != nil {
		return nil, fmt.Errorf("computing ZA: %w", err)
	}
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	sum := sm3.Sum(der)
	return &PublicKey{key: pub, za: za, id: hex.EncodeToString(sum[:16]), der: der, fast: new(fastVerify)}, nil
}

// ECDSA returns the underlying key for code that must hand it to the standard library
// (x509 templates, TLS).
func (p *PublicKey) ECDSA() *ecdsa.PublicKey { return p.key }

// ID is the key identifier used in submissions, registries and bundles: hex of the first
// 16 bytes of SM3(PKIX DER). Two encodings of one key always give one ID.
func (p *PublicKey) ID() string { return p.id }

// PKIX returns the DER SubjectPublicKeyInfo, the bytes the ID is computed from.
func (p *PublicKey) PKIX() []byte { return append([]byte(nil), p.der...) }

// Equal reports whether two keys are the same point.
func (p *PublicKey) Equal(q *PublicKey) bool { return q != nil && p.key.Equal(q.key) }

// Digest returns e = SM3(ZA ‖ msg), the value an SM2 signature over msg actually signs.
func (p *PublicKey) Digest(msg []byte) [32]byte {
	h := sm3.New()
	h.Write(p.za)
	h.Write(msg)
	var e [32]byte
	h.Sum(e[:0])
	return e
}

// Verify reports whether sig is a valid DER SM2 signature by this key over msg with the
// default user ID. It never panics on malformed signatures. A key used more than a few
// times is verified with its own precomputed table (about four times faster; see
// internal/sm2p256), which accepts exactly what the library accepts.
func (p *PublicKey) Verify(msg, sig []byte) bool {
	e := p.Digest(msg)
	if t := p.verifyTable(); t != nil {
		return sm2p256.Verify(t, &e, sig)
	}
	return sm2.VerifyASN1(p.key, e[:], sig)
}

// PrivateKey is an SM2 private key held in process memory. Prefer passing a [Signer]
// around: only key generation and key files need this type.
type PrivateKey struct {
	key *sm2.PrivateKey
	pub *PublicKey
}

// GenerateKey makes a new SM2 key from the operating system's random source.
func GenerateKey() (*PrivateKey, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating SM2 key: %w", err)
	}
	return newPrivateKey(k)
}

func newPrivateKey(k *sm2.PrivateKey) (*PrivateKey, error) {
	pub, err := NewPublicKey(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{key: k, pub: pub}, nil
}

// Public returns the verifying key.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// SignMessage signs msg with the default user ID (GM/T 0009), returning DER.
func (k *PrivateKey) SignMessage(msg []byte) ([]byte, error) {
	sig, err := k.key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, fmt.Errorf("SM2 signing: %w", err)
	}
	return sig, nil
}

var _ Signer = (*PrivateKey)(nil)
