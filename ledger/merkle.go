package ledger

import (
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/transparency-dev/merkle"
	"github.com/transparency-dev/merkle/compact"
)

// Hasher is RFC 6962's Merkle hashing with SM3: leaf = SM3(0x00 ‖ entry bytes), interior
// node = SM3(0x01 ‖ left ‖ right), empty tree = SM3(""). The leaf index is the seq.
type Hasher struct{}

var _ merkle.LogHasher = Hasher{}

// EmptyRoot is the root of a tree with no leaves.
func (Hasher) EmptyRoot() []byte { h := crypto.SM3(nil); return h[:] }

// HashLeaf hashes one entry's canonical bytes with the leaf prefix.
func (Hasher) HashLeaf(leaf []byte) []byte {
	h := LeafHash(leaf)
	return h[:]
}

// HashChildren hashes two child nodes with the interior prefix.
func (Hasher) HashChildren(l, r []byte) []byte {
	d := crypto.NewSM3()
	d.Write([]byte{1})
	d.Write(l)
	d.Write(r)
	return d.Sum(nil)
}

// Size is the digest length.
func (Hasher) Size() int { return crypto.HashSize }

// LeafHash is the Merkle leaf hash of an entry.
func LeafHash(entry []byte) Hash {
	d := crypto.NewSM3()
	d.Write([]byte{0})
	d.Write(entry)
	var h Hash
	d.Sum(h[:0])
	return h
}

var rangeFactory = compact.RangeFactory{Hash: Hasher{}.HashChildren}

// tree is the compact range [0, size): the O(log n) perfect-subtree roots from which the
// root and every new node are computed.
type tree struct{ r *compact.Range }

func newTree() tree { return tree{rangeFactory.NewEmptyRange(0)} }

// loadTree rebuilds the compact range for size from persisted nodes.
func loadTree(size uint64, nodes func([]NodeID) ([]Hash, error)) (tree, error) {
	ids := compact.RangeNodes(0, size, nil)
	req := make([]NodeID, len(ids))
	for i, id := range ids {
		req[i] = NodeID{Level: uint8(id.Level), Index: id.Index}
	}
	hs, err := nodes(req)
	if err != nil {
		return tree{}, err
	}
	raw := make([][]byte, len(hs))
	for i := range hs {
		raw[i] = append([]byte(nil), hs[i][:]...)
	}
	r, err := rangeFactory.NewRange(0, size, raw)
	if err != nil {
		return tree{}, err
	}
	return tree{r}, nil
}

func (t tree) size() uint64 { return t.r.End() }

// clone returns an independent copy, so a batch that fails to commit can be discarded.
func (t tree) clone() tree {
	hs := t.r.Hashes()
	cp := make([][]byte, len(hs))
	copy(cp, hs)
	r, _ := rangeFactory.NewRange(t.r.Begin(), t.r.End(), cp)
	return tree{r}
}

// append adds a leaf and reports every node it completes (the leaf included).
func (t tree) append(leaf Hash, visit func(Node)) {
	_ = t.r.Append(append([]byte(nil), leaf[:]...), func(id compact.NodeID, h []byte) {
		var n Node
		n.ID = NodeID{Level: uint8(id.Level), Index: id.Index}
		copy(n.Hash[:], h)
		visit(n)
	})
}

// root is the tree hash of the whole range.
func (t tree) root() Hash {
	var h Hash
	if t.r.End() == 0 {
		copy(h[:], Hasher{}.EmptyRoot())
		return h
	}
	r, _ := t.r.GetRootHash(nil)
	copy(h[:], r)
	return h
}
