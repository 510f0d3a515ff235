package ledger

// Accumulator builds the Merkle tree of a log from its entries in order, as the sequencer
// does, for code that carries sealed entries elsewhere instead of sealing new ones: a
// backup computes the root of what it copied, and a restore writes each batch with the
// nodes its entries complete, so the restored store answers proofs exactly as the source
// did. The hashing is the sequencer's own (one tree type), not a second implementation.
type Accumulator struct{ t tree }

// NewAccumulator starts an empty tree.
func NewAccumulator() *Accumulator { return &Accumulator{newTree()} }

// Add appends the entry whose canonical bytes are entry and calls visit (if not nil) for
// every node it completes, its own leaf included.
func (a *Accumulator) Add(entry []byte, visit func(Node)) {
	if visit == nil {
		visit = func(Node) {}
	}
	a.t.append(LeafHash(entry), visit)
}

// Size is the number of entries added.
func (a *Accumulator) Size() uint64 { return a.t.size() }

// Root is the tree hash over every entry added (the empty root for none).
func (a *Accumulator) Root() Hash { return a.t.root() }
