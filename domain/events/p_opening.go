package events

import "github.com/aba-prefecture/dataledger/domain"

// OpeningPublished records data opened to society on the platform's zone (Art. 31).
type OpeningPublished struct {
	Resource  string                  `json:"resource"`
	Attribute domain.OpeningAttribute `json:"attribute"`
	Zone      domain.Level            `json:"zone" jsonschema:"description=prefecture or county opening zone"`
	Dataset   string                  `json:"dataset"`
}

// Validate implements Payload.
func (x *OpeningPublished) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(31))
	if domain.RequireEnum(p, "attribute", x.Attribute) && x.Attribute == domain.OpeningNone {
		p.Add("attribute", "not_openable", art(30), "data classed none cannot be published; reclassify it first",
			"不予开放数据不得开放，须先调整开放属性")
	}
	domain.RequireEnum(p, "zone", x.Zone)
	p.ID("dataset", x.Dataset, art(31))
}

// Party names a natural person, legal person or unincorporated organisation by a
// pseudonymous identifier; who it is stays in the institution's records.
type Party struct {
	Party     string           `json:"party" sensitive:"personal" jsonschema:"description=pseudonymous party identifier"`
	PartyKind domain.PartyKind `json:"party_kind"`
}

func (x *Party) check(p *domain.Problems, a domain.Article) {
	p.ID("party", x.Party, a)
	domain.RequireEnum(p, "party_kind", x.PartyKind)
}

// OpeningApplicationSubmitted is a party's application for conditionally open data (Art. 32).
type OpeningApplicationSubmitted struct {
	Application string `json:"application"`
	Resource    string `json:"resource"`
	Party
	Purpose string `json:"purpose"`
}

// Validate implements Payload.
func (x *OpeningApplicationSubmitted) Validate(p *domain.Problems) {
	p.ID("application", x.Application, art(32))
	p.ID("resource", x.Resource, art(32))
	x.check(p, art(32))
	p.Text("purpose", x.Purpose, art(32))
}

// OpeningGranted approves an application. The applicant signs a security commitment and
// a use agreement (Art. 32); a grant without them is recorded and raised as a finding.
type OpeningGranted struct {
	Application        string       `json:"application"`
	Party              string       `json:"party" sensitive:"personal"`
	SecurityCommitment *DocumentRef `json:"security_commitment,omitempty" jsonschema:"description=安全承诺书"`
	UseAgreement       *DocumentRef `json:"use_agreement,omitempty" jsonschema:"description=开放利用协议"`
}

// Validate implements Payload.
func (x *OpeningGranted) Validate(p *domain.Problems) {
	p.ID("application", x.Application, art(32))
	p.ID("party", x.Party, art(32))
	doc(p, "security_commitment", x.SecurityCommitment, art(32), false)
	doc(p, "use_agreement", x.UseAgreement, art(32), false)
}

// OpeningRefused refuses an application, with the reason.
type OpeningRefused struct {
	Application string `json:"application"`
	Party       string `json:"party" sensitive:"personal"`
	Reason      string `json:"reason"`
}

// Validate implements Payload.
func (x *OpeningRefused) Validate(p *domain.Problems) {
	p.ID("application", x.Application, art(32))
	p.ID("party", x.Party, art(32))
	p.Text("reason", x.Reason, art(32))
}

// OpeningDataObtained records a party obtaining open data through the platform (Art. 32).
type OpeningDataObtained struct {
	Resource string `json:"resource"`
	Party
	Application string `json:"application,omitempty" jsonschema:"description=the granted application (conditional data)"`
	Records     int64  `json:"records"`
}

// Validate implements Payload.
func (x *OpeningDataObtained) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(32))
	x.check(p, art(32))
	p.OptionalID("application", x.Application, art(32))
	p.Positive("records", x.Records, art(32))
}

// WithdrawalRequested is a party's demand that open data infringing its rights be
// withdrawn (Art. 33 para 1).
type WithdrawalRequested struct {
	Request  string `json:"request"`
	Resource string `json:"resource"`
	Party
	Grounds string `json:"grounds" sensitive:"personal"`
}

// Validate implements Payload.
func (x *WithdrawalRequested) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(33))
	p.ID("resource", x.Resource, art(33))
	x.check(p, art(33))
	p.Text("grounds", x.Grounds, art(33))
}

// WithdrawalAnswered is the verified answer, told to the party (Art. 33 para 2).
type WithdrawalAnswered struct {
	Request  string                   `json:"request"`
	Resource string                   `json:"resource"`
	Outcome  domain.WithdrawalOutcome `json:"outcome"`
	Notified bool                     `json:"notified" jsonschema:"description=the party was told the result"`
}

// Validate implements Payload.
func (x *WithdrawalAnswered) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(33))
	p.ID("resource", x.Resource, art(33))
	domain.RequireEnum(p, "outcome", x.Outcome)
}

// OpeningSuspended suspends the opening of a resource, on a withdrawal request or a
// security risk (Art. 33).
type OpeningSuspended struct {
	Resource string `json:"resource"`
	Cause    string `json:"cause" jsonschema:"description=id of the withdrawal request or risk"`
	Reason   string `json:"reason"`
}

// Validate implements Payload.
func (x *OpeningSuspended) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(33))
	p.ID("cause", x.Cause, art(33))
	p.Text("reason", x.Reason, art(33))
}

// OpeningResumed reopens a resource once the problem or risk is removed (Art. 33).
type OpeningResumed struct {
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
}

// Validate implements Payload.
func (x *OpeningResumed) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(33))
	p.Text("reason", x.Reason, art(33))
}

// OpeningRiskFound records a security risk found in open data during supervision
// (Art. 33 para 3): opening must be suspended at once.
type OpeningRiskFound struct {
	Risk     string `json:"risk"`
	Resource string `json:"resource"`
	Detail   string `json:"detail"`
}

// Validate implements Payload.
func (x *OpeningRiskFound) Validate(p *domain.Problems) {
	p.ID("risk", x.Risk, art(33).ParaOf(3))
	p.ID("resource", x.Resource, art(33).ParaOf(3))
	p.Text("detail", x.Detail, art(33).ParaOf(3))
}
