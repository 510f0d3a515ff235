package relay

import (
	"crypto/hmac"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Path is the relay's one route on the sequencing point's relay listener.
const Path = "/relay/v1/append"

// HeaderMAC carries a MAC. A request's covers its body; an answer's covers the request's
// MAC and the answer's body, so that an answer cannot be replayed for another request.
const HeaderMAC = "X-Ledger-Relay-Mac"

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

// The wire format is the relay's own, between processes of one build: a request is a
// format byte, then each submission as a length-prefixed canonical submission and a
// length-prefixed DER signature (uvarint lengths); an answer is, for each submission in
// order, a receipt (tagReceipt, seq, stream version, duplicate flag, hash) or its
// refusals (tagProblems, a length-prefixed JSON array). The submissions are decoded by
// the same strict decoder as POST /v1/events (ledger.DecodeSigned): the MAC says who
// sent them, not that they are well formed.
const (
	formatV1    byte = 1
	tagReceipt  byte = 0
	tagProblems byte = 1
)

// appendItem adds one submission to a request body.
func appendItem(b []byte, s *ledger.Signed) []byte {
	b = binary.AppendUvarint(b, uint64(len(s.Canonical)))
	b = append(b, s.Canonical...)
	b = binary.AppendUvarint(b, uint64(len(s.Signature)))
	return append(b, s.Signature...)
}

// errMalformed: a relayed body does not follow the wire format.
var errMalformed = errors.New("the relayed body does not follow the relay's wire format")

// field reads one length-prefixed field of b at *off.
func field(b []byte, off *int, max int) ([]byte, error) {
	n, k := binary.Uvarint(b[*off:])
	if k <= 0 || n > uint64(max) || n > uint64(len(b)-*off-k) {
		return nil, errMalformed
	}
	start := *off + k
	*off = start + int(n)
	return b[start:*off], nil
}

// decodeItems reads a request body: each submission decoded on its own (a refusal at
// its index), or the whole body refused.
func decodeItems(body []byte, lim ledger.Limits) ([]*ledger.Signed, []error, error) {
	if len(body) == 0 || body[0] != formatV1 {
		return nil, nil, errMalformed
	}
	var items []*ledger.Signed
	var errs []error
	for off := 1; off < len(body); {
		sub, err := field(body, &off, len(body))
		if err != nil {
			return nil, nil, err
		}
		sig, err := field(body, &off, 128)
		if err != nil {
			return nil, nil, err
		}
		if len(items) == maxItems {
			return nil, nil, fmt.Errorf("more than %d submissions in one relayed request", maxItems)
		}
		s, err := ledger.DecodeSigned(sub, sig, lim)
		items, errs = append(items, s), append(errs, err)
	}
	return items, errs, nil
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

// appendResult adds one submission's answer to an answer body. An error that is no
// refusal (the store failed, the sequencing point is closing) travels as
// "unavailable": nothing of it was acknowledged and the client may retry with the same id.
func appendResult(b []byte, rc ledger.Receipt, err error) []byte {
	if err == nil {
		b = append(b, tagReceipt)
		b = binary.AppendUvarint(b, rc.Seq)
		b = binary.AppendUvarint(b, rc.StreamVersion)
		dup := byte(0)
		if rc.Duplicate {
			dup = 1
		}
		b = append(b, dup)
		return append(b, rc.Hash[:]...)
	}
	ps := ledger.Problems(err)
	if len(ps) == 0 {
		ps = []*ledger.Problem{unavailable(err)}
	}
	out := make([]problem, len(ps))
	for i, p := range ps {
		out[i] = problem{Kind: kindName(p.Kind), Code: p.Code, Field: p.Field, Message: p.Message, MessageZH: p.MessageZH, Cite: p.Cite, CiteEN: p.CiteEN}
	}
	j, _ := json.Marshal(out) // strings only: cannot fail
	b = append(b, tagProblems)
	b = binary.AppendUvarint(b, uint64(len(j)))
	return append(b, j...)
}

// decodeResults reads an answer body of n submissions' answers.
func decodeResults(b []byte, n int) ([]ledger.Receipt, []error, error) {
	rcs, errs := make([]ledger.Receipt, n), make([]error, n)
	off := 0
	for i := range n {
		if off >= len(b) {
			return nil, nil, errMalformed
		}
		tag := b[off]
		off++
		switch tag {
		case tagReceipt:
			seq, k := binary.Uvarint(b[off:])
			if k <= 0 {
				return nil, nil, errMalformed
			}
			off += k
			ver, k := binary.Uvarint(b[off:])
			if k <= 0 || len(b)-off-k < 1+len(ledger.Hash{}) {
				return nil, nil, errMalformed
			}
			off += k
			rcs[i] = ledger.Receipt{Seq: seq, StreamVersion: ver, Duplicate: b[off] == 1}
			copy(rcs[i].Hash[:], b[off+1:])
			off += 1 + len(ledger.Hash{})
		case tagProblems:
			j, err := field(b, &off, len(b))
			if err != nil {
				return nil, nil, err
			}
			var ps []problem
			if json.Unmarshal(j, &ps) != nil || len(ps) == 0 {
				return nil, nil, errMalformed
			}
			pe := make([]error, len(ps))
			for k, p := range ps {
				pe[k] = &ledger.Problem{Kind: kindOf(p.Kind), Code: p.Code, Field: p.Field, Message: p.Message, MessageZH: p.MessageZH, Cite: p.Cite, CiteEN: p.CiteEN}
			}
			errs[i] = pe[0]
			if len(pe) > 1 {
				errs[i] = errors.Join(pe...)
			}
		default:
			return nil, nil, errMalformed
		}
	}
	if off != len(b) {
		return nil, nil, errMalformed
	}
	return rcs, errs, nil
}

// unavailable is the refusal a front-end gives when the sequencing point could not
// record a submission: nothing was acknowledged; retrying with the same id is safe.
func unavailable(cause error) *ledger.Problem {
	return &ledger.Problem{Kind: ledger.ErrUnavailable, Code: "sequencer_unavailable",
		Message:   "the deployment's sequencing point could not record the submission now (" + cause.Error() + "); retry with the same id",
		MessageZH: "部署的定序节点暂时无法记录该提交；请以相同 id 重试"}
}
