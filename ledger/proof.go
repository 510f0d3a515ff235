package ledger

import (
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
)

// InclusionProof returns the audit path proving that leaf seq is in the tree of the first
// size entries, built from persisted nodes: O(log n) node reads at any size. The path is
// RFC 6962's PATH(seq, D[size]), leaf-side first.
func InclusionProof(ctx context.Context, st Store, seq, size uint64) ([]Hash, error) {
	if seq >= size {
		return nil, fmt.Errorf("%w: seq %d is not below tree size %d", ErrNotFound, seq, size)
	}
	if err := within(ctx, st, size); err != nil {
		return nil, err
	}
	n, err := proof.Inclusion(seq, size)
	if err != nil {
		return nil, err
	}
	return rehash(ctx, st, n)
}

// ConsistencyProof returns the proof that the tree of size1 entries is a prefix of the
// tree of size2 entries: RFC 6962's PROOF(size1, D[size2]); empty when size1 is 0 or
// equal to size2.
func ConsistencyProof(ctx context.Context, st Store, size1, size2 uint64) ([]Hash, error) {
	if size1 > size2 {
		return nil, fmt.Errorf("consistency from %d to %d: sizes out of order", size1, size2)
	}
	if err := within(ctx, st, size2); err != nil {
		return nil, err
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return rehash(ctx, st, n)
}

// RootAt returns the Merkle root of the first size entries from persisted nodes: the
// O(log n) perfect-subtree roots covering [0, size), folded right to left. It is how a
// published or witnessed checkpoint is compared with the store without a full walk.
func RootAt(ctx context.Context, st Store, size uint64) (Hash, error) {
	if err := within(ctx, st, size); err != nil {
		return Hash{}, err
	}
	t, err := loadTree(size, func(ids []NodeID) ([]Hash, error) { return st.Nodes(ctx, ids) })
	if err != nil {
		return Hash{}, fmt.Errorf("reading the tree of size %d: %w", size, err)
	}
	return t.root(), nil
}

// within refuses tree sizes beyond the stored log with a clear error rather than a
// missing-node one.
func within(ctx context.Context, st Store, size uint64) error {
	h, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading head: %w", err)
	}
	if size > h.Size {
		return fmt.Errorf("%w: tree size %d is beyond the log's %d entries", ErrNotFound, size, h.Size)
	}
	return nil
}

// rehash fetches the nodes a proof names and folds the ephemeral ones (the right edge of
// a tree whose size is not a power of two) as the merkle library prescribes.
func rehash(ctx context.Context, st Store, n proof.Nodes) ([]Hash, error) {
	ids := make([]NodeID, len(n.IDs))
	for i, id := range n.IDs {
		ids[i] = NodeID{Level: uint8(id.Level), Index: id.Index}
	}
	hs, err := st.Nodes(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading proof nodes: %w", err)
	}
	raw := make([][]byte, len(hs))
	for i := range hs {
		raw[i] = hs[i][:]
	}
	out, err := n.Rehash(raw, Hasher{}.HashChildren)
	if err != nil {
		return nil, err
	}
	p := make([]Hash, len(out))
	for i := range out {
		copy(p[i][:], out[i])
	}
	return p, nil
}

// VerifyInclusion checks an inclusion proof for entry bytes against a root.
func VerifyInclusion(entry []byte, seq, size uint64, p []Hash, root Hash) error {
	leaf := LeafHash(entry)
	return proof.VerifyInclusion(Hasher{}, seq, size, leaf[:], raw(p), root[:])
}

// VerifyConsistency checks that root1 (size1) is a prefix of root2 (size2).
func VerifyConsistency(size1, size2 uint64, p []Hash, root1, root2 Hash) error {
	return proof.VerifyConsistency(Hasher{}, size1, size2, raw(p), root1[:], root2[:])
}

func raw(p []Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}
