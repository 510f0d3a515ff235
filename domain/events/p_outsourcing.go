package events

import "github.com/aba-prefecture/dataledger/domain"

// SecurityReviewed is the security review of a service provider before outsourcing
// (Art. 39 para 1).
type SecurityReviewed struct {
	Contract string       `json:"contract" jsonschema:"description=the contract the review is for"`
	Provider string       `json:"provider"`
	Passed   bool         `json:"passed"`
	Report   *DocumentRef `json:"report"`
}

// Validate implements Payload.
func (x *SecurityReviewed) Validate(p *domain.Problems) {
	p.ID("contract", x.Contract, art(39))
	p.ID("provider", x.Provider, art(39))
	doc(p, "report", x.Report, art(39), true)
}

// ContractSigned records an outsourcing contract for building or running a platform or
// system (Art. 39). Signing without a passed review or a confidentiality agreement is
// recorded as it happened and raised as a finding.
type ContractSigned struct {
	Contract                 string       `json:"contract"`
	Provider                 string       `json:"provider"`
	Scope                    string       `json:"scope"`
	Systems                  []string     `json:"systems"`
	ConfidentialityAgreement *DocumentRef `json:"confidentiality_agreement,omitempty" jsonschema:"description=服务安全保护及保密协议 signed at the same time"`
	LiabilityDefined         bool         `json:"liability_defined" jsonschema:"description=liability for breach is defined"`
}

// Validate implements Payload.
func (x *ContractSigned) Validate(p *domain.Problems) {
	p.ID("contract", x.Contract, art(39))
	p.ID("provider", x.Provider, art(39))
	p.Text("scope", x.Scope, art(39))
	p.IDs("systems", x.Systems, art(39))
	doc(p, "confidentiality_agreement", x.ConfidentialityAgreement, art(39), false)
}

// ConfidentialityAgreementSigned records the security and confidentiality agreement of an
// outsourcing contract, if signed separately (Art. 39 para 1).
type ConfidentialityAgreementSigned struct {
	Contract         string       `json:"contract"`
	Provider         string       `json:"provider"`
	Agreement        *DocumentRef `json:"agreement"`
	LiabilityDefined bool         `json:"liability_defined"`
}

// Validate implements Payload.
func (x *ConfidentialityAgreementSigned) Validate(p *domain.Problems) {
	p.ID("contract", x.Contract, art(39))
	p.ID("provider", x.Provider, art(39))
	doc(p, "agreement", x.Agreement, art(39), true)
}

// ContractTerminated records that a contract did not take effect, was invalid, revoked or
// ended (Art. 39 para 2): accounts (D9) and deletion (D10) deadlines run from EndedOn.
type ContractTerminated struct {
	Contract string             `json:"contract"`
	Provider string             `json:"provider"`
	Reason   domain.ContractEnd `json:"reason"`
	EndedOn  string             `json:"ended_on" jsonschema:"format=date"`
}

// Validate implements Payload.
func (x *ContractTerminated) Validate(p *domain.Problems) {
	p.ID("contract", x.Contract, art(39))
	p.ID("provider", x.Provider, art(39))
	domain.RequireEnum(p, "reason", x.Reason)
	p.Date("ended_on", x.EndedOn, art(39).ParaOf(2))
}

// AccountsRevoked records revoking the provider's accounts or resetting passwords
// (Art. 39 para 2).
type AccountsRevoked struct {
	Contract string               `json:"contract"`
	Action   domain.AccountAction `json:"action"`
	Accounts int64                `json:"accounts"`
}

// Validate implements Payload.
func (x *AccountsRevoked) Validate(p *domain.Problems) {
	p.ID("contract", x.Contract, art(39))
	domain.RequireEnum(p, "action", x.Action)
	p.Positive("accounts", x.Accounts, art(39))
}

// ProviderDeletionEvidenced records evidence that the provider deleted the data
// irreversibly (overwrite, physical destruction; Art. 39 para 2).
type ProviderDeletionEvidenced struct {
	Contract string                `json:"contract"`
	Method   domain.DeletionMethod `json:"method"`
	Evidence *DocumentRef          `json:"evidence"`
}

// Validate implements Payload.
func (x *ProviderDeletionEvidenced) Validate(p *domain.Problems) {
	p.ID("contract", x.Contract, art(39))
	domain.RequireEnum(p, "method", x.Method)
	doc(p, "evidence", x.Evidence, art(39).ParaOf(2), true)
}

// ContractAmended records a change to an outsourcing contract (Art. 39): its scope, the
// systems and data it covers, the provider's staff with access, its term, a renewal. An
// amendment that widens the data or the provider's access (systems or data it did not
// cover, more provider staff) needs what a new contract needs: a passed security review
// of the provider after the contract's last widening, and updated confidentiality terms
// signed with it (in the amendment or the same day); otherwise F14.
type ContractAmended struct {
	Contract  string `json:"contract"`
	Provider  string `json:"provider"`
	Amendment string `json:"amendment" jsonschema:"description=the amendment's document number"`
	// Scope is the scope as amended, if it changed.
	Scope string `json:"scope,omitempty"`
	// Systems and Data are everything the contract covers after the amendment: systems
	// the provider builds or runs, resources (catalog ids) it may touch.
	Systems []string `json:"systems,omitempty"`
	Data    []string `json:"data,omitempty" jsonschema:"description=catalog resources the provider may access after the amendment"`
	// ProviderStaff is the number of the provider's staff with access after it (0: unchanged).
	ProviderStaff int64 `json:"provider_staff,omitempty"`
	// TermUntil is the contract's end as amended; Renewal says the amendment renews it.
	TermUntil                string       `json:"term_until,omitempty" jsonschema:"format=date"`
	Renewal                  bool         `json:"renewal,omitempty"`
	ConfidentialityAgreement *DocumentRef `json:"confidentiality_agreement,omitempty" jsonschema:"description=updated 服务安全保护及保密协议 signed with the amendment"`
	Reason                   string       `json:"reason"`
}

// Validate implements Payload.
func (x *ContractAmended) Validate(p *domain.Problems) {
	a := art(39).ParaOf(1)
	p.ID("contract", x.Contract, a)
	p.ID("provider", x.Provider, a)
	p.ID("amendment", x.Amendment, a)
	if len(x.Systems) > 0 {
		p.IDs("systems", x.Systems, a)
	}
	if len(x.Data) > 0 {
		p.IDs("data", x.Data, a)
	}
	p.NonNegative("provider_staff", x.ProviderStaff, a)
	if x.TermUntil != "" {
		p.Date("term_until", x.TermUntil, a)
	}
	doc(p, "confidentiality_agreement", x.ConfidentialityAgreement, a, false)
	p.Text("reason", x.Reason, a)
	if x.Scope == "" && len(x.Systems) == 0 && len(x.Data) == 0 && x.ProviderStaff == 0 && x.TermUntil == "" && !x.Renewal {
		p.Add("scope", "empty_amendment", a, "an amendment changes the scope, systems, data, provider staff, term or renews the contract",
			"变更须涉及范围、系统、数据、服务方人员、期限或续签")
	}
}
