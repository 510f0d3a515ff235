package witness

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"golang.org/x/mod/sumdb/note"
)

// Collector is the ledger's side: it accepts cosigned checkpoints, keeps the cosignatures
// of configured witnesses and adds them to the published checkpoint. Cosignatures by keys
// it does not know are ignored, never published: a cosignature is only worth the trust in
// the witness that made it.
type Collector struct {
	origin    string
	ledgerKey *crypto.PublicKey
	witnesses []note.Verifier
	pub       ledger.Cosigned
}

// WitnessKey is a witness the ledger accepts cosignatures from.
type WitnessKey struct {
	Name string
	Key  *crypto.PublicKey
}

// ErrNoWitness: the note carries no valid cosignature by a configured witness.
var ErrNoWitness = errors.New("no cosignature by a configured witness")

// NewCollector accepts cosignatures on checkpoints of origin (signed by ledgerKey) from
// the given witnesses, storing them through pub.
func NewCollector(origin string, ledgerKey *crypto.PublicKey, pub ledger.Cosigned, witnesses ...WitnessKey) *Collector {
	c := &Collector{origin: origin, ledgerKey: ledgerKey, pub: pub}
	for _, w := range witnesses {
		c.witnesses = append(c.witnesses, NewVerifier(w.Name, w.Key))
	}
	return c
}

// Witnesses returns the configured witnesses' names.
func (c *Collector) Witnesses() []string {
	out := make([]string, len(c.witnesses))
	for i, v := range c.witnesses {
		out[i] = v.Name()
	}
	return out
}

// Add takes a checkpoint note carrying the ledger's signature and one or more witness
// cosignatures, verifies them, and adds the configured witnesses' lines to the published
// checkpoint with the same body. It returns the names of the witnesses whose
// cosignatures were kept. Errors wrap ledger.ErrInvalid (malformed or unsigned note),
// ErrNoWitness, ledger.ErrNotFound (no such checkpoint published) or ledger.ErrConflict
// (the ledger published another checkpoint of that size).
func (c *Collector) Add(ctx context.Context, text []byte) ([]string, error) {
	verifiers := append([]note.Verifier{ledger.NewNoteVerifier(c.origin, c.ledgerKey)}, c.witnesses...)
	n, err := note.Open(text, note.VerifierList(verifiers...))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ledger.ErrInvalid, err)
	}
	if _, err := ledger.ParseCheckpointBody(n.Text); err != nil || !strings.HasPrefix(n.Text, c.origin+"\n") {
		return nil, fmt.Errorf("%w: not a checkpoint of %s", ledger.ErrInvalid, c.origin)
	}
	ledgerHash := verifiers[0].KeyHash()
	signedByLedger := false
	var names []string
	var lines [][]byte
	for _, s := range n.Sigs {
		if s.Name == c.origin && s.Hash == ledgerHash {
			signedByLedger = true
			continue
		}
		names = append(names, s.Name)
		lines = append(lines, []byte("— "+s.Name+" "+s.Base64+"\n"))
	}
	if !signedByLedger {
		return nil, fmt.Errorf("%w: the checkpoint is not signed by the ledger", ledger.ErrInvalid)
	}
	if len(lines) == 0 {
		return nil, ErrNoWitness
	}
	if err := c.pub.AddSignatures(ctx, n.Text, lines); err != nil {
		return nil, err
	}
	return names, nil
}

// Cosigned returns c's note with the cosignatures published for it, if the publisher can
// read its checkpoints back and holds one with the same body; otherwise c's own note.
func (c *Collector) Cosigned(ck ledger.Checkpoint) []byte {
	g, ok := c.pub.(interface {
		Get(size uint64) (ledger.Checkpoint, error)
	})
	if !ok {
		return ck.Note
	}
	p, err := g.Get(ck.Size)
	if err != nil || p.Root != ck.Root {
		return ck.Note
	}
	return p.Note
}
