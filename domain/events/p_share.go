package events

import "github.com/aba-prefecture/dataledger/domain"

// ShareApplicationSubmitted is an institution's application, through the platform, to use
// another's resource for its duties (Art. 25); the provider answers conditional
// applications within 7 working days.
type ShareApplicationSubmitted struct {
	Application string   `json:"application"`
	Resource    string   `json:"resource"`
	Provider    string   `json:"provider" jsonschema:"description=the institution holding the resource"`
	Purposes    []string `json:"purposes" jsonschema:"description=the duties the data is needed for (Art. 27)"`
	Duty        string   `json:"duty" jsonschema:"description=the statutory duty that needs it"`
}

// Validate implements Payload.
func (x *ShareApplicationSubmitted) Validate(p *domain.Problems) {
	p.ID("application", x.Application, art(25))
	p.ID("resource", x.Resource, art(25))
	p.ID("provider", x.Provider, art(25))
	p.Texts("purposes", x.Purposes, art(27))
	p.Text("duty", x.Duty, art(25))
}

// ShareGranted is the provider's approval: the grant and the purposes it covers (Art. 25,
// 27: shared data may serve only these).
type ShareGranted struct {
	Application string   `json:"application"`
	Grant       string   `json:"grant"`
	Purposes    []string `json:"purposes"`
	Conditions  string   `json:"conditions,omitempty"`
	ValidUntil  string   `json:"valid_until,omitempty" jsonschema:"format=date"`
}

// Validate implements Payload.
func (x *ShareGranted) Validate(p *domain.Problems) {
	p.ID("application", x.Application, art(25))
	p.ID("grant", x.Grant, art(25))
	p.Texts("purposes", x.Purposes, art(27))
	if x.ValidUntil != "" {
		p.Date("valid_until", x.ValidUntil, art(25))
	}
}

// ShareRefused is the provider's refusal, with its reason (Art. 25).
type ShareRefused struct {
	Application string `json:"application"`
	Reason      string `json:"reason"`
}

// Validate implements Payload.
func (x *ShareRefused) Validate(p *domain.Problems) {
	p.ID("application", x.Application, art(25))
	p.Text("reason", x.Reason, art(25))
}

// ShareDataObtained records an institution obtaining shared data: directly for
// unconditional data, under a grant otherwise; offline only with a reason (Art. 25).
type ShareDataObtained struct {
	Resource      string         `json:"resource"`
	Grant         string         `json:"grant,omitempty" jsonschema:"description=grant id (conditional data)"`
	Records       int64          `json:"records"`
	Channel       domain.Channel `json:"channel"`
	OfflineReason string         `json:"offline_reason,omitempty" jsonschema:"description=why online sharing was truly difficult (required offline)"`
}

// Validate implements Payload.
func (x *ShareDataObtained) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(25))
	p.OptionalID("grant", x.Grant, art(25))
	p.Positive("records", x.Records, art(25))
	if domain.RequireEnum(p, "channel", x.Channel) && x.Channel == domain.ChannelOffline {
		p.RequiredFor("offline_reason", x.OfflineReason != "", art(25).ParaOf(3), "for offline sharing", "线下共享须说明线上共享确有困难的理由")
	}
}

// ShareDataUsed records a use of shared data and its purpose (Art. 27). A use outside the
// granted purposes is recorded as it happened and raised as a finding.
type ShareDataUsed struct {
	Resource string `json:"resource"`
	Grant    string `json:"grant,omitempty"`
	Purpose  string `json:"purpose"`
	Records  int64  `json:"records"`
}

// Validate implements Payload.
func (x *ShareDataUsed) Validate(p *domain.Problems) {
	p.ID("resource", x.Resource, art(27))
	p.OptionalID("grant", x.Grant, art(27))
	p.RequiredFor("purpose", x.Purpose != "", art(27), "on every use of shared data", "使用共享数据须注明用途")
	p.Positive("records", x.Records, art(27))
}

// ShareVerificationRequested asks a provider to verify or compare data it does not share
// (Art. 25 para 2: 核实、比对需求).
type ShareVerificationRequested struct {
	Request  string `json:"request"`
	Resource string `json:"resource"`
	Provider string `json:"provider"`
	Purpose  string `json:"purpose"`
}

// Validate implements Payload.
func (x *ShareVerificationRequested) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(25))
	p.ID("resource", x.Resource, art(25))
	p.ID("provider", x.Provider, art(25))
	p.Text("purpose", x.Purpose, art(25))
}

// ShareVerificationAnswered is the provider's answer to a verification request.
type ShareVerificationAnswered struct {
	Request string `json:"request"`
	Result  string `json:"result"`
}

// Validate implements Payload.
func (x *ShareVerificationAnswered) Validate(p *domain.Problems) {
	p.ID("request", x.Request, art(25))
	p.Text("result", x.Result, art(25))
}
