package witness

import (
	"encoding/binary"
	"fmt"
	"github.com/aba-prefecture/dataledger/ledger"
	"strconv"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"golang.org/x/mod/sumdb/note"
)

// cosigAlg names the signature scheme in the key ID, after the 0xff "other algorithm"
// byte that C2SP signed-note reserves for schemes it assigns no type to.
const cosigAlg = "cosignature/v1-sm2-sm3/gmt-0009-default-uid"

// KeyHash is the signed-note key ID of a witness's SM2 cosigning key under its name:
//
//	SHA-256(name ‖ 0x0A ‖ 0xff ‖ "cosignature/v1-sm2-sm3/gmt-0009-default-uid" ‖ PKIX DER)[:4]
//
// The algorithm string differs from the checkpoint signature's, so a witness key can never
// be mistaken for a log key even under the same name.
func KeyHash(name string, k *crypto.PublicKey) uint32 {
	return ledger.OtherAlgKeyHash(name, cosigAlg, k)
}

// CosignedMessage is what a cosignature signs: the tlog-cosignature/v1 header with the
// timestamp, then the checkpoint body.
func CosignedMessage(t uint64, body []byte) []byte {
	m := make([]byte, 0, 40+len(body))
	m = append(m, "cosignature/v1\ntime "...)
	m = strconv.AppendUint(m, t, 10)
	m = append(m, '\n')
	return append(m, body...)
}

// signer produces cosignatures: 8-byte big-endian timestamp ‖ DER SM2 signature.
type signer struct {
	name string
	key  crypto.Signer
	hash uint32
	now  func() time.Time
}

// NewSigner adapts an SM2 key to note.Signer as a cosigner.
func NewSigner(name string, key crypto.Signer, now func() time.Time) note.Signer {
	if now == nil {
		now = time.Now
	}
	return &signer{name: name, key: key, hash: KeyHash(name, key.Public()), now: now}
}

func (s *signer) Name() string    { return s.name }
func (s *signer) KeyHash() uint32 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) {
	t := uint64(s.now().Unix())
	sig, err := s.key.SignMessage(CosignedMessage(t, msg))
	if err != nil {
		return nil, fmt.Errorf("cosigning: %w", err)
	}
	out := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(sig)), t)
	return append(out, sig...), nil
}

// verifier checks cosignatures by one witness key.
type verifier struct {
	name string
	key  *crypto.PublicKey
	hash uint32
}

// NewVerifier adapts a witness's SM2 public key to note.Verifier.
func NewVerifier(name string, key *crypto.PublicKey) note.Verifier {
	return &verifier{name: name, key: key, hash: KeyHash(name, key)}
}

func (v *verifier) Name() string    { return v.name }
func (v *verifier) KeyHash() uint32 { return v.hash }
func (v *verifier) Verify(msg, sig []byte) bool {
	if len(sig) < 9 {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	return v.key.Verify(CosignedMessage(t, msg), sig[8:])
}

// Timestamp returns the time a cosignature (the bytes after the key ID) was made.
func Timestamp(sig []byte) (time.Time, bool) {
	if len(sig) < 9 {
		return time.Time{}, false
	}
	return time.Unix(int64(binary.BigEndian.Uint64(sig[:8])), 0).UTC(), true
}
