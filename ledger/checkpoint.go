package ledger

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
	"golang.org/x/mod/sumdb/note"
)

// SM2 in C2SP signed notes. The signed-note spec assigns no identifier byte to SM2, so we
// use the reserved 0xff followed by a long identifier, as the spec recommends:
//
//	key ID = SHA-256(key name ‖ 0x0A ‖ 0xff ‖ "sm2-sm3/gmt-0009-default-uid" ‖ PKIX DER)[:4]
//
// The signature in the note line is the 4-byte key ID followed by the DER SM2 signature
// (SM3, default user ID) over the note text. OpenSSL 3 verifies it directly.
const sm2NoteAlg = "sm2-sm3/gmt-0009-default-uid"

// NoteKeyHash is the signed-note key ID of an SM2 key under a name.
func NoteKeyHash(name string, k *crypto.PublicKey) uint32 {
	return OtherAlgKeyHash(name, sm2NoteAlg, k)
}

// OtherAlgKeyHash is the signed-note key ID for a scheme C2SP assigns no type byte to:
// SHA-256(name ‖ 0x0A ‖ 0xff ‖ alg ‖ PKIX DER)[:4]. Checkpoint signatures and witness
// cosignatures differ only in alg, so a key of one kind never passes for the other.
func OtherAlgKeyHash(name, alg string, k *crypto.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', 0xff})
	h.Write([]byte(alg))
	h.Write(k.PKIX())
	return binary.BigEndian.Uint32(h.Sum(nil))
}

type noteSigner struct {
	name string
	s    crypto.Signer
	hash uint32
}

// NewNoteSigner adapts an SM2 signer to golang.org/x/mod/sumdb/note.
func NewNoteSigner(name string, s crypto.Signer) note.Signer {
	return &noteSigner{name: name, s: s, hash: NoteKeyHash(name, s.Public())}
}

func (n *noteSigner) Name() string                    { return n.name }
func (n *noteSigner) KeyHash() uint32                 { return n.hash }
func (n *noteSigner) Sign(msg []byte) ([]byte, error) { return n.s.SignMessage(msg) }

type noteVerifier struct {
	name string
	k    *crypto.PublicKey
	hash uint32
}

// NewNoteVerifier adapts an SM2 public key to golang.org/x/mod/sumdb/note.
func NewNoteVerifier(name string, k *crypto.PublicKey) note.Verifier {
	return &noteVerifier{name: name, k: k, hash: NoteKeyHash(name, k)}
}

func (n *noteVerifier) Name() string                { return n.name }
func (n *noteVerifier) KeyHash() uint32             { return n.hash }
func (n *noteVerifier) Verify(msg, sig []byte) bool { return n.k.Verify(msg, sig) }

// CheckpointBody is the C2SP tlog-checkpoint text: origin, tree size, base64 root, each on
// its own line.
func CheckpointBody(origin string, size uint64, root Hash) string {
	return origin + "\n" + strconv.FormatUint(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// SignCheckpoint produces the signed note for a tree head.
func SignCheckpoint(origin string, size uint64, root Hash, s crypto.Signer) (Checkpoint, error) {
	msg, err := note.Sign(&note.Note{Text: CheckpointBody(origin, size, root)}, NewNoteSigner(origin, s))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("signing checkpoint: %w", err)
	}
	return Checkpoint{Size: size, Root: root, Note: msg}, nil
}

// OpenCheckpoint verifies a signed checkpoint against the ledger key and returns its tree
// head. The origin is the key name; the body must be exactly origin, size and root (no
// extension lines are issued by this ledger).
func OpenCheckpoint(text []byte, origin string, ledgerKey *crypto.PublicKey) (Checkpoint, *note.Note, error) {
	n, err := note.Open(text, note.VerifierList(NewNoteVerifier(origin, ledgerKey)))
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := ParseCheckpointBody(n.Text)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if lines := strings.SplitN(n.Text, "\n", 2); lines[0] != origin {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint origin %q, want %q", lines[0], origin)
	}
	c.Note = text
	return c, n, nil
}

// ParseCheckpointBody reads origin, size and root lines.
func ParseCheckpointBody(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return Checkpoint{}, fmt.Errorf("checkpoint body must be exactly origin, size and root lines")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint size %q is not a decimal number", lines[1])
	}
	r, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(r) != crypto.HashSize {
		return Checkpoint{}, fmt.Errorf("checkpoint root is not a base64 SM3 hash")
	}
	var c Checkpoint
	c.Size = size
	copy(c.Root[:], r)
	return c, nil
}
