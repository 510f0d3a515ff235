package events

import (
	"regexp"

	"github.com/aba-prefecture/dataledger/domain"
)

// Payload is the typed body of one event type. Validate reports, into p, every problem a
// payload has on its own (without the ledger's state); commands add the rules that need
// state (who holds a resource, who is suspended).
type Payload interface {
	Validate(p *domain.Problems)
}

// DocumentRef points at a document kept outside the ledger (an agreement, a report, a
// commitment) and, optionally, pins its content with its SM3 digest so that the ledger
// proves which version was meant.
type DocumentRef struct {
	ID  string `json:"id" jsonschema:"description=document identifier in the institution's records"`
	SM3 string `json:"sm3,omitempty" jsonschema:"description=hex SM3 digest of the document,pattern=^[0-9a-f]{64}$"`
}

var hexSM3 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// doc checks a document reference: required when need is true, well-formed if present.
func doc(p *domain.Problems, field string, d *DocumentRef, art domain.Article, need bool) {
	if d == nil {
		if need {
			p.Required(field, false, art)
		}
		return
	}
	q := p.At(field)
	q.ID("id", d.ID, art)
	if d.SM3 != "" && !hexSM3.MatchString(d.SM3) {
		q.Add("sm3", "bad_digest", art, "must be 64 lowercase hex digits (SM3)", "须为 64 位小写十六进制（SM3 摘要）")
	}
}

var art = domain.Art
