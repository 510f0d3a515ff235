package events

import "github.com/aba-prefecture/dataledger/domain"

// CorrectionRequested is a party's correction request (校核申请), received by the
// collecting institution or by the data authority (Art. 20 paras 2, 3).
type CorrectionRequested struct {
	Request  string `json:"request"`
	Resource string `json:"resource"`
	Party
	Description string `json:"description" sensitive:"personal"`
}

// Validate implements Payload.
func (x *CorrectionRequested) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(20))
	p.ID("resource", x.Resource, art(20))
	x.check(p, art(20))
	p.Text("description", x.Description, art(20))
}

// CorrectionForwarded is the authority passing a request to the institution (Art. 20
// para 3, within 2 working days).
type CorrectionForwarded struct {
	Request     string `json:"request"`
	Institution string `json:"institution"`
}

// Validate implements Payload.
func (x *CorrectionForwarded) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(20).ParaOf(3))
	p.ID("institution", x.Institution, art(20).ParaOf(3))
}

// CorrectionExtended records the head's approval to extend to 10 working days (Art. 20
// para 2).
type CorrectionExtended struct {
	Request    string `json:"request"`
	ApprovedBy string `json:"approved_by" jsonschema:"description=the institution's head (person id)"`
	Reason     string `json:"reason"`
}

// Validate implements Payload.
func (x *CorrectionExtended) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(20).ParaOf(2))
	p.ID("approved_by", x.ApprovedBy, art(20).ParaOf(2))
	p.Text("reason", x.Reason, art(20).ParaOf(2))
}

// CorrectionCompleted finishes the check and tells the party (Art. 20 para 2).
type CorrectionCompleted struct {
	Request  string         `json:"request"`
	Outcome  domain.Outcome `json:"outcome"`
	Result   string         `json:"result" sensitive:"personal" jsonschema:"description=what was found and done about the party's data (personal: encrypted under {actor}/party/<party>)"`
	Notified bool           `json:"notified" jsonschema:"description=the party was told the result"`
}

// Validate implements Payload.
func (x *CorrectionCompleted) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(20))
	domain.RequireEnum(p, "outcome", x.Outcome)
	p.Text("result", x.Result, art(20))
}

// SubjectRequestReceived is a data subject's request to access, copy, correct or delete
// its data (Art. 22).
type SubjectRequestReceived struct {
	Request string                    `json:"request"`
	Kind    domain.SubjectRequestKind `json:"kind"`
	Party
	Resource string `json:"resource,omitempty"`
}

// Validate implements Payload.
func (x *SubjectRequestReceived) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(22))
	domain.RequireEnum(p, "kind", x.Kind)
	x.check(p, art(22))
	p.OptionalID("resource", x.Resource, art(22))
}

// SubjectRequestAnswered answers a data-subject request (Art. 22).
type SubjectRequestAnswered struct {
	Request  string         `json:"request"`
	Outcome  domain.Outcome `json:"outcome"`
	Measures string         `json:"measures" sensitive:"personal" jsonschema:"description=what was done for the data subject (personal: encrypted under {actor}/party/<party>)"`
}

// Validate implements Payload.
func (x *SubjectRequestAnswered) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(22))
	domain.RequireEnum(p, "outcome", x.Outcome)
	p.Text("measures", x.Measures, art(22))
}
