package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/aba-prefecture/dataledger/ledger"
)

// InclusionProof is the body of GET /v1/proofs/inclusion: the entry at Seq, its audit
// path in the tree of Size entries and that tree's root. Checkpoint is the signed
// checkpoint of that size when the request named no size (the latest checkpoint) or the
// size is the latest checkpoint's; otherwise the root is only the server's word and the
// client should ask for a size it holds a signed checkpoint for.
type InclusionProof struct {
	Seq            uint64        `json:"seq"`
	Size           uint64        `json:"size"`
	Entry          []byte        `json:"entry"` // base64 of the exact canonical entry bytes
	Hash           ledger.Hash   `json:"hash"`
	Root           ledger.Hash   `json:"root"`
	InclusionProof []ledger.Hash `json:"inclusion_proof"`
	Checkpoint     string        `json:"checkpoint,omitempty"`
}

// ConsistencyProof is the body of GET /v1/proofs/consistency: the RFC 6962 proof that
// the tree of From entries is a prefix of the tree of To entries, with both roots.
type ConsistencyProof struct {
	From       uint64        `json:"from"`
	To         uint64        `json:"to"`
	FromRoot   ledger.Hash   `json:"from_root"`
	ToRoot     ledger.Hash   `json:"to_root"`
	Proof      []ledger.Hash `json:"proof"`
	Checkpoint string        `json:"checkpoint,omitempty"` // signed checkpoint of size To, if it is the latest
}

// uintParam reads a decimal query parameter; ok is false if it is absent.
func uintParam(r *http.Request, name string) (v uint64, ok bool, err error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, false, nil
	}
	v, err = strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(v, 10) != s {
		return 0, false, problem(ledger.ErrInvalid, "bad_parameter", name,
			name+" must be a non-negative decimal integer", name+" 必须是非负十进制整数")
	}
	return v, true, nil
}

// treeSize resolves an optional size parameter: absent means the latest checkpoint's
// size (signing one if none exists yet). It returns the checkpoint when the size is its.
func (s *Server) treeSize(r *http.Request, name string) (uint64, *ledger.Checkpoint, error) {
	v, ok, err := uintParam(r, name)
	if err != nil {
		return 0, nil, err
	}
	c, have := s.l.LatestCheckpoint()
	if !have {
		if c, err = s.l.Checkpoint(r.Context()); err != nil {
			return 0, nil, fmt.Errorf("signing a checkpoint: %w", err)
		}
	}
	if !ok {
		v = c.Size
	}
	if v > s.l.Size() {
		return 0, nil, problem(ledger.ErrNotFound, "beyond_log", name,
			fmt.Sprintf("%s %d is beyond the log's %d entries", name, v, s.l.Size()),
			fmt.Sprintf("%s %d 超出日志的 %d 条记录", name, v, s.l.Size()))
	}
	if v == c.Size {
		return v, &c, nil
	}
	return v, nil, nil
}

func (s *Server) getInclusionProof(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	seq, ok, err := uintParam(r, "seq")
	if err == nil && !ok {
		err = problem(ledger.ErrInvalid, "missing_parameter", "seq", "seq is required", "缺少 seq 参数")
	}
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	size, c, err := s.treeSize(r, "size")
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	if seq >= size {
		s.refuse(w, r, problem(ledger.ErrInvalid, "seq_not_below_size", "seq",
			fmt.Sprintf("seq %d is not below the tree size %d", seq, size), fmt.Sprintf("seq %d 不小于树大小 %d", seq, size)))
		return
	}
	out := InclusionProof{Seq: seq, Size: size}
	if err := s.l.Store().Entries(ctx, seq, seq+1, func(e ledger.RawEntry) error {
		out.Entry, out.Hash = bytes.Clone(e.Bytes), e.Hash
		return nil
	}); err != nil || out.Entry == nil {
		s.refuse(w, r, fmt.Errorf("reading entry %d: %w", seq, errors.Join(err, ledger.ErrNotFound)))
		return
	}
	if out.InclusionProof, err = ledger.InclusionProof(ctx, s.l.Store(), seq, size); err != nil {
		s.refuse(w, r, fmt.Errorf("inclusion proof %d in %d: %w", seq, size, err))
		return
	}
	if out.Root, err = ledger.RootAt(ctx, s.l.Store(), size); err != nil {
		s.refuse(w, r, fmt.Errorf("root at %d: %w", size, err))
		return
	}
	if c != nil {
		out.Checkpoint = string(s.cosigned(*c))
	}
	if out.InclusionProof == nil {
		out.InclusionProof = []ledger.Hash{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getConsistencyProof(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	from, ok, err := uintParam(r, "from")
	if err == nil && !ok {
		err = problem(ledger.ErrInvalid, "missing_parameter", "from", "from is required", "缺少 from 参数")
	}
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	to, c, err := s.treeSize(r, "to")
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	if from > to {
		s.refuse(w, r, problem(ledger.ErrInvalid, "sizes_out_of_order", "from",
			fmt.Sprintf("from %d is larger than to %d", from, to), fmt.Sprintf("from %d 大于 to %d", from, to)))
		return
	}
	out := ConsistencyProof{From: from, To: to}
	if out.Proof, err = ledger.ConsistencyProof(ctx, s.l.Store(), from, to); err != nil {
		s.refuse(w, r, fmt.Errorf("consistency proof %d→%d: %w", from, to, err))
		return
	}
	if out.FromRoot, err = ledger.RootAt(ctx, s.l.Store(), from); err == nil {
		out.ToRoot, err = ledger.RootAt(ctx, s.l.Store(), to)
	}
	if err != nil {
		s.refuse(w, r, fmt.Errorf("roots %d, %d: %w", from, to, err))
		return
	}
	if c != nil {
		out.Checkpoint = string(s.cosigned(*c))
	}
	if out.Proof == nil {
		out.Proof = []ledger.Hash{}
	}
	writeJSON(w, http.StatusOK, out)
}
