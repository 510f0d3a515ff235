package events

import (
	"fmt"
	"regexp"

	"github.com/aba-prefecture/dataledger/domain"
)

var findingRE = regexp.MustCompile(`^F([1-9]|1[0-9])$`)

// RectificationOrdered is the data authority's order to rectify by a deadline (限期整改,
// Art. 41).
type RectificationOrdered struct {
	Order       string   `json:"order"`
	Institution string   `json:"institution"`
	Findings    []string `json:"findings" jsonschema:"description=finding rules (F1–F19) the order answers"`
	Items       []int    `json:"items" jsonschema:"description=items of Art. 41 breached (1–11)"`
	Evidence    []string `json:"evidence,omitempty" jsonschema:"description=event ids"`
	Deadline    string   `json:"deadline" jsonschema:"format=date"`
}

// Validate implements Payload.
func (x *RectificationOrdered) Validate(p *domain.Problems) {
	a := art(41)
	p.ID("order", x.Order, a)
	p.ID("institution", x.Institution, a)
	if p.Required("findings", len(x.Findings) > 0, a) {
		for i, f := range x.Findings {
			if !findingRE.MatchString(f) {
				p.Add(fmt.Sprintf("findings[%d]", i), "bad_finding", a, "must be a finding rule F1–F19", "须为 F1–F19 之一")
			}
		}
	}
	if p.Required("items", len(x.Items) > 0, a) {
		for i, it := range x.Items {
			if it < 1 || it > 11 {
				p.Add(fmt.Sprintf("items[%d]", i), "bad_item", a, "Art. 41 has items 1 to 11", "第四十一条共 11 项")
			}
		}
	}
	for i, e := range x.Evidence {
		p.ID(fmt.Sprintf("evidence[%d]", i), e, a)
	}
	p.Date("deadline", x.Deadline, a)
}

// RectificationCompleted reports the rectification done (Art. 41).
type RectificationCompleted struct {
	Order    string   `json:"order"`
	Measures string   `json:"measures"`
	Evidence []string `json:"evidence,omitempty"`
}

// Validate implements Payload.
func (x *RectificationCompleted) Validate(p *domain.Problems) {
	p.ID("order", x.Order, art(41))
	p.Text("measures", x.Measures, art(41))
	for i, e := range x.Evidence {
		p.ID(fmt.Sprintf("evidence[%d]", i), e, art(41))
	}
}

// RectificationEscalated refers a refused or serious case to the competent organs
// (拒不整改或者情节严重, Art. 41).
type RectificationEscalated struct {
	Order  string `json:"order"`
	To     string `json:"to" jsonschema:"description=the competent organ"`
	Reason string `json:"reason"`
}

// Validate implements Payload.
func (x *RectificationEscalated) Validate(p *domain.Problems) {
	p.ID("order", x.Order, art(41))
	p.Text("to", x.To, art(41))
	p.Text("reason", x.Reason, art(41))
}

// AccessSuspended closes a party's access to public data (Art. 42) from the day it counts
// on (acttime) until the restoration's. Resources narrows the suspension to those
// resources; empty means all public data; the findings it leads to (F18) say which. Parties may be external (party_kind) or a
// public institution (institution: true).
type AccessSuspended struct {
	Suspension string                  `json:"suspension"`
	Party      string                  `json:"party" sensitive:"personal"`
	PartyKind  domain.PartyKind        `json:"party_kind"`
	Ground     domain.SuspensionGround `json:"ground"`
	Resources  []string                `json:"resources,omitempty" jsonschema:"description=narrows the suspension to these catalog resources (the Art. 42 '相关公共数据'); absent or empty: all public data. A resource's holder may suspend only access to resources it holds and must name them; every report that shows the suspension says which."`
	Reason     string                  `json:"reason"`
	Correction string                  `json:"correction" jsonschema:"description=what the party must correct (督促改正)"`
}

// Validate implements Payload.
func (x *AccessSuspended) Validate(p *domain.Problems) {
	a := art(42)
	p.ID("suspension", x.Suspension, a)
	p.ID("party", x.Party, a)
	domain.RequireEnum(p, "party_kind", x.PartyKind)
	domain.RequireEnum(p, "ground", x.Ground)
	for i, r := range x.Resources {
		p.ID(fmt.Sprintf("resources[%d]", i), r, a)
	}
	p.Text("reason", x.Reason, a)
	p.Text("correction", x.Correction, a)
}

// AccessRestored lifts a suspension once corrected (Art. 42).
type AccessRestored struct {
	Suspension string `json:"suspension"`
	Party      string `json:"party" sensitive:"personal"`
	Reason     string `json:"reason"`
}

// Validate implements Payload.
func (x *AccessRestored) Validate(p *domain.Problems) {
	p.ID("suspension", x.Suspension, art(42))
	p.ID("party", x.Party, art(42))
	p.Text("reason", x.Reason, art(42))
}

// AccessRefused is the ledger's own record that it refused an act by a suspended party
// (Art. 42). It names the refused submission by id, type and SM3 digest of its canonical
// bytes, so the attempt is provable without storing it.
type AccessRefused struct {
	Party            string `json:"party" sensitive:"personal"`
	Suspension       string `json:"suspension"`
	RefusedID        string `json:"refused_id"`
	RefusedType      string `json:"refused_type"`
	RefusedSM3       string `json:"refused_sm3"`
	ActorInstitution string `json:"actor_institution"`
	ActorPerson      string `json:"actor_person"`
}

// Validate implements Payload.
func (x *AccessRefused) Validate(p *domain.Problems) {
	a := art(42)
	p.ID("party", x.Party, a)
	p.ID("suspension", x.Suspension, a)
	p.Required("refused_id", x.RefusedID != "", a)
	p.Required("refused_type", x.RefusedType != "", a)
	if p.Required("refused_sm3", x.RefusedSM3 != "", a) && !hexSM3.MatchString(x.RefusedSM3) {
		p.Add("refused_sm3", "bad_digest", a, "must be 64 lowercase hex digits (SM3)", "须为 64 位小写十六进制（SM3 摘要）")
	}
	p.Required("actor_institution", x.ActorInstitution != "", a)
	p.Required("actor_person", x.ActorPerson != "", a)
}
