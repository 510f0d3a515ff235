package api

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/witness"
)

// CosignatureResult is the client package's message.
type CosignatureResult = client.CosignatureResult

// postCosignature takes a checkpoint note (text/plain) carrying the ledger's signature
// and one or more witness cosignatures, and keeps those of configured witnesses with the
// published checkpoint: 200 with their names; 400 for a note the ledger did not sign;
// 403 when no configured witness cosigned; 404 when no witnesses are configured or the
// checkpoint was never published; 409 when another checkpoint of that size was.
func (s *Server) postCosignature(w http.ResponseWriter, r *http.Request) {
	col := s.cfg.Witnesses
	if col == nil {
		s.refuse(w, r, problem(ledger.ErrNotFound, "no_witnesses", "",
			"this ledger accepts no cosignatures: no witness keys are configured", "本账本未配置见证者公钥，不接收联署"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, witness.MaxRequestBytes))
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	names, err := col.Add(r.Context(), body)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, CosignatureResult{Accepted: names})
	case errors.Is(err, witness.ErrNoWitness):
		s.refuse(w, r, problem(ledger.ErrUnauthorized, "no_known_witness", "",
			"the note carries no valid cosignature by a configured witness ("+strings.Join(col.Witnesses(), ", ")+")",
			"该检查点不含已配置见证者的有效联署"))
	case errors.Is(err, ledger.ErrInvalid):
		s.refuse(w, r, problem(ledger.ErrInvalid, "bad_checkpoint", "", err.Error(), "检查点格式错误或未经本账本签名"))
	case errors.Is(err, ledger.ErrNotFound):
		s.refuse(w, r, problem(ledger.ErrNotFound, "checkpoint_not_published", "", err.Error(), "未发布该大小的检查点"))
	case errors.Is(err, ledger.ErrConflict):
		// Signed by the ledger key, yet not what was published for that size: a split view.
		s.cfg.Metrics.VerifyFailure(&ledger.ChainError{Reason: "checkpoint_conflict"})
		s.refuse(w, r, problem(ledger.ErrConflict, "checkpoint_conflict", "", err.Error(), "已发布的同大小检查点内容不同"))
	default:
		s.refuse(w, r, err)
	}
}

// cosigned returns the checkpoint's note with the witnesses' cosignatures the ledger
// holds for it, or the note alone.
func (s *Server) cosigned(c ledger.Checkpoint) []byte {
	if s.cfg.Witnesses == nil {
		return c.Note
	}
	return s.cfg.Witnesses.Cosigned(c)
}
