package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
)

// The proof messages are the client package's.
type (
	InclusionProof   = client.InclusionProof
	ConsistencyProof = client.ConsistencyProof
)

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
