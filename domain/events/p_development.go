package events

import "github.com/aba-prefecture/dataledger/domain"

// QualificationApplied is an organisation's application to the data authority for a
// public-data development qualification (Art. 35). Natural persons may not apply.
type QualificationApplied struct {
	Application string `json:"application"`
	Party
	Purpose            string `json:"purpose"`
	TechnicalCapacity  string `json:"technical_capacity"`
	SecurityManagement string `json:"security_management"`
}

// Validate implements Payload.
func (x *QualificationApplied) Validate(p *domain.Problems) {
	a := art(35)
	p.ID("application", x.Application, a)
	x.check(p, a)
	if x.PartyKind == domain.PartyNaturalPerson {
		p.Add("party_kind", "not_eligible", a, "only legal persons and unincorporated organisations may apply", "仅法人或者非法人组织可申请开发资格")
	}
	p.Text("purpose", x.Purpose, a)
	p.Text("technical_capacity", x.TechnicalCapacity, a)
	p.Text("security_management", x.SecurityManagement, a)
}

// QualificationGranted confers the qualification, with the data-security and revenue
// agreements Art. 35 requires.
type QualificationGranted struct {
	Application       string       `json:"application"`
	Party             string       `json:"party" sensitive:"personal"`
	SecurityAgreement *DocumentRef `json:"security_agreement"`
	RevenueAgreement  *DocumentRef `json:"revenue_agreement"`
}

// Validate implements Payload.
func (x *QualificationGranted) Validate(p *domain.Problems) {
	a := art(35)
	p.ID("application", x.Application, a)
	p.ID("party", x.Party, a)
	doc(p, "security_agreement", x.SecurityAgreement, a, true)
	doc(p, "revenue_agreement", x.RevenueAgreement, a, true)
}

// QualificationRefused refuses an application after evaluation (Art. 35).
type QualificationRefused struct {
	Application string `json:"application"`
	Party       string `json:"party" sensitive:"personal"`
	Reason      string `json:"reason"`
}

// Validate implements Payload.
func (x *QualificationRefused) Validate(p *domain.Problems) {
	p.ID("application", x.Application, art(35))
	p.ID("party", x.Party, art(35))
	p.Text("reason", x.Reason, art(35))
}

// DataDeveloped records development (开发) under a qualification; products must cite the
// data's source and date (Art. 35, 36).
type DataDeveloped struct {
	Application string `json:"application" jsonschema:"description=the qualification's application id"`
	Resource    string `json:"resource"`
	Party
	Product     string `json:"product"`
	SourceCited bool   `json:"source_cited" jsonschema:"description=the product names the data source and date (Art. 36)"`
}

// Validate implements Payload.
func (x *DataDeveloped) Validate(p *domain.Problems) {
	p.ID("application", x.Application, art(35))
	p.ID("resource", x.Resource, art(35))
	x.check(p, art(36))
	p.Text("product", x.Product, art(36))
}
