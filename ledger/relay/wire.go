package relay

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Path is the relay's one route on the sequencing point's relay listener.
const Path = "/relay/v1/append"

// Headers carrying the MACs. A request's MAC covers its body; a response's covers the
// request's MAC and the response body, so an answer cannot be replayed for another
// request.
const (
	HeaderMAC = "X-Ledger-Relay-Mac"
)

// MinSecret is the shortest relay secret accepted: 32 bytes, as much as the MAC.
const MinSecret = 32

// maxItems is the most submissions one relayed request carries: a few client batches
// (ledger.MaxBatchItems each), so that several of them fill one group commit.
const maxItems = 4 * ledger.MaxBatchItems

// maxBody bounds one relayed request: the client closes a parcel before it passes it
// (a single submission larger than this is sent alone, under the ledger's own limit).
const maxBody = 16 << 20

// ErrSecret: the relay secret is missing or too short.
var ErrSecret = fmt.Errorf("the relay secret must be at least %d bytes", MinSecret)

// mac is HMAC-SM3 of parts under secret, hex-encoded.
func mac(secret []byte, parts ...[]byte) string {
	m := hmac.New(func() hash.Hash { return crypto.NewSM3() }, secret)
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

var (
	reqLabel  = []byte("dataledger relay request\n")
	respLabel = []byte("dataledger relay response\n")
)

// result is one item's answer on the wire: its receipt, or why it was refused.
type result struct {
	Receipt  *receipt  `json:"receipt,omitempty"`
	Problems []problem `json:"problems,omitempty"`
}

type receipt struct {
	Seq           uint64 `json:"seq"`
	Hash          string `json:"hash"`
	StreamVersion uint64 `json:"stream_version"`
	Duplicate     bool   `json:"duplicate,omitempty"`
}

type problem struct {
	Kind      string `json:"kind"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
	Cite      string `json:"cite,omitempty"`
	CiteEN    string `json:"cite_en,omitempty"`
}

// kinds name the ledger's refusal sentinels on the wire.
var kinds = []struct {
	name string
	err  error
}{
	{"invalid", ledger.ErrInvalid},
	{"too_large", ledger.ErrTooLarge},
	{"unauthorized", ledger.ErrUnauthorized},
	{"conflict", ledger.ErrConflict},
	{"not_found", ledger.ErrNotFound},
	{"closed", ledger.ErrClosed},
	{"unavailable", ledger.ErrUnavailable},
}

func kindName(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "unavailable"
}

func kindOf(name string) error {
	for _, k := range kinds {
		if k.name == name {
			return k.err
		}
	}
	return ledger.ErrUnavailable
}

// encodeResult is the wire form of one item's answer. An error that is no refusal (the
// store failed, the sequencing point is closing) travels as "unavailable": nothing of it
// was acknowledged and the client may retry with the same id.
func encodeResult(rc ledger.Receipt, err error) result {
	if err == nil {
		return result{Receipt: &receipt{Seq: rc.Seq, Hash: hex.EncodeToString(rc.Hash[:]), StreamVersion: rc.StreamVersion, Duplicate: rc.Duplicate}}
	}
	ps := ledger.Problems(err)
	if len(ps) == 0 {
		ps = []*ledger.Problem{unavailable(err)}
	}
	out := result{Problems: make([]problem, len(ps))}
	for i, p := range ps {
		out.Problems[i] = problem{Kind: kindName(p.Kind), Code: p.Code, Field: p.Field, Message: p.Message, MessageZH: p.MessageZH, Cite: p.Cite, CiteEN: p.CiteEN}
	}
	return out
}

// decodeResult turns a wire answer back into what the sequencing point's ledger said.
func decodeResult(r result) (ledger.Receipt, error) {
	if len(r.Problems) > 0 {
		errs := make([]error, len(r.Problems))
		for i, p := range r.Problems {
			errs[i] = &ledger.Problem{Kind: kindOf(p.Kind), Code: p.Code, Field: p.Field, Message: p.Message, MessageZH: p.MessageZH, Cite: p.Cite, CiteEN: p.CiteEN}
		}
		if len(errs) == 1 {
			return ledger.Receipt{}, errs[0]
		}
		return ledger.Receipt{}, errors.Join(errs...)
	}
	if r.Receipt == nil {
		return ledger.Receipt{}, unavailable(errors.New("the sequencing point's answer holds neither a receipt nor a refusal"))
	}
	var h ledger.Hash
	if b, err := hex.DecodeString(r.Receipt.Hash); err != nil || len(b) != len(h) {
		return ledger.Receipt{}, unavailable(errors.New("the sequencing point's receipt carries a malformed hash"))
	} else {
		copy(h[:], b)
	}
	return ledger.Receipt{Seq: r.Receipt.Seq, Hash: h, StreamVersion: r.Receipt.StreamVersion, Duplicate: r.Receipt.Duplicate}, nil
}

// unavailable is the refusal a front-end gives when the sequencing point could not
// record a submission: nothing was acknowledged; retrying with the same id is safe.
func unavailable(cause error) *ledger.Problem {
	return &ledger.Problem{Kind: ledger.ErrUnavailable, Code: "sequencer_unavailable",
		Message:   "the deployment's sequencing point could not record the submission now (" + cause.Error() + "); retry with the same id",
		MessageZH: "部署的定序节点暂时无法记录该提交；请以相同 id 重试"}
}

// appendItem writes one submission as POST /v1/events takes it.
func appendItem(b []byte, s *ledger.Signed) []byte {
	b = append(b, `{"submission":`...)
	b = append(b, s.Canonical...)
	b = append(b, `,"signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, s.Signature)
	return append(b, `"}`...)
}
