package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Forwarder is the way from a front-end to its deployment's one sequencing point, for
// a store several front-ends share. Every front-end admits what it is sent — the
// signature, the key's standing, the envelope — on its own cores; only the process
// holding the sequencing lease seals and commits, so the others add verification
// capacity instead of each catching up on, and queueing behind, every other's commits.
//
// A process that is not the sequencing point does not follow the log entry by entry
// either: it skims it (the head, the Merkle frontier, the key registry's acts), which is
// what its own admission and reads of the log need. The domain's rule (Options.Check and
// Sequence) runs at the sequencing point, against the state its commits keep current.
type Forwarder interface {
	// Sequencing reports whether this process is the sequencing point now.
	Sequencing() bool
	// Forward hands submissions whose signatures this process verified to the
	// sequencing point and returns, at each index, its receipt or why it was refused
	// (or could not be recorded: *Problem of kind ErrUnavailable, safe to retry).
	Forward(ctx context.Context, ss []*Signed) ([]Receipt, []error)
}

// admission is how much of the admission rule a process applies to a submission.
type admission uint8

const (
	admitWhole    admission = iota // the signature and the domain rule: a submission sent to this process
	admitVerified                  // a peer front-end verified the signature (AppendVerified)
	admitToFwd                     // the signature only: the sequencing point applies the domain rule
)

// forwarder is the Forwarder to send this process's submissions to, or nil when this
// process sequences them itself.
func (l *Ledger) forwarder() Forwarder {
	if f := l.opts.Forward; f != nil && !f.Sequencing() {
		return f
	}
	return nil
}

// AppendVerified records submissions a peer front-end admitted and forwarded (the
// relay's server side): the signature is taken as verified by that peer, which proved
// itself with the deployment's relay secret; everything else — the key's standing, the
// domain rule, the order — is applied here as for AppendBatch. It never forwards.
func (l *Ledger) AppendVerified(ctx context.Context, items []*Signed) ([]Receipt, []error) {
	return l.appendBatch(ctx, items, admitVerified)
}

// skimming reports whether the sequencer skims the log rather than folds it: this
// process forwards its submissions, so it seals nothing and needs of what the others
// commit only what admission and reads of the log use.
func (l *Ledger) skimming() bool { return l.forwarder() != nil }

// skim brings the position level with the store's head without reading its entries: the
// Merkle frontier from the stored nodes, the key registry from its own stream, the last
// entry's bytes checked against the head's hash. The links of the entries between are
// not checked here (full verification and the sequencing point's own catch-up check
// them); a process that becomes the sequencing point folds from this position on.
func (l *Ledger) skim(ctx context.Context) error {
	l.looked = time.Now()
	h, err := l.st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading head: %w", err)
	}
	if h.Size <= l.at.size {
		return nil
	}
	reg, regFrom := l.at.reg, l.regFrom
	err = l.st.Stream(ctx, RegistryStream, regFrom, func(r RawEntry) error {
		if r.Seq >= h.Size {
			return errStop
		}
		e, err := parseStored(r.Bytes, r.Hash)
		if err != nil {
			return &ChainError{Seq: r.Seq, Reason: "malformed_entry", Detail: err.Error()}
		}
		regFrom = e.StreamVersion + 1
		if r.Seq < l.at.size {
			return nil // folded already
		}
		next, _, ce := reg.Step(e.Seq, &e.Submission)
		if ce != nil {
			return ce
		}
		reg = next
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		l.reportCorrupt(err)
		return fmt.Errorf("skimming the key registry: %w", err)
	}
	tr, err := loadTree(h.Size, func(ids []NodeID) ([]Hash, error) { return l.st.Nodes(ctx, ids) })
	if err != nil {
		return fmt.Errorf("loading the Merkle frontier at %d: %w", h.Size, err)
	}
	var recorded time.Time
	if err := l.st.Entries(ctx, h.Size-1, h.Size, func(r RawEntry) error {
		if SumEntry(r.Bytes) != h.LastHash {
			return &ChainError{Seq: r.Seq, Reason: "bad_entry_hash", Detail: "the last entry does not hash to the stored head"}
		}
		e, err := parseStored(r.Bytes, r.Hash)
		if err != nil {
			return &ChainError{Seq: r.Seq, Reason: "malformed_entry", Detail: err.Error()}
		}
		recorded, _ = time.Parse(time.RFC3339Nano, e.RecordedAt)
		return nil
	}); err != nil {
		l.reportCorrupt(err)
		return fmt.Errorf("skimming the log's end: %w", err)
	}
	if recorded.After(l.at.recorded) {
		l.at.recorded = recorded
	}
	l.at.size, l.at.last, l.at.tree, l.regFrom = h.Size, h.LastHash, tr, regFrom
	if reg != l.at.reg {
		l.at.reg = reg
		l.reg.Store(reg)
	}
	l.head.Store(&treeHead{Size: h.Size, LastHash: h.LastHash, Root: tr.root()})
	return nil
}
