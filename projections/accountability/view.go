package accountability

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
)

// Act is one recorded act: the day it happened and its ledger position.
type Act struct {
	On  calendar.Date
	Seq uint64
}

// Collection is who collected a resource (谁收集): one institution's collections of it.
type Collection struct {
	Institution string
	Count       int
	Records     int64
	Emergencies []string // emergencies some of them were collected under (Art. 21)
	First, Last Act
}

// How an institution came to hold a resource.
const (
	HeldResponsible = "responsible" // the catalog names it 责任主体 (Art. 14)
	HeldCollected   = "collected"   // it collected the data
	HeldStored      = "stored"      // it stored the data in its system
	HeldObtained    = "obtained"    // it obtained the data by sharing (Art. 25)
	HeldCopied      = "copied"      // it made a copy (Art. 37(5))
	HeldReceived    = "received"    // the data was transmitted to it
	HeldDisposed    = "disposed"    // first seen sealing or destroying it
)

// Custody states.
const (
	CustodyHolding   = "holding"
	CustodySealed    = "sealed"
	CustodyDestroyed = "destroyed"
)

// Holding is who holds a resource (谁持有): an institution, how it came to hold it, and
// whether it still does.
type Holding struct {
	Institution string
	How         string // Held*: the first way it came to hold the data
	State       string // Custody*
	Since       Act
	Last        Act // the act that set State
}

// Kinds of use.
const (
	UseShared    = "shared_use"   // share.data_used.v1 (Art. 27)
	UseProcessed = "processed"    // data.processed.v1 (Art. 2)
	UseExported  = "exported"     // data.exported.v1 (Art. 37(5))
	UseDesens    = "desensitised" // data.desensitised.v1 (Art. 37(5))
	UseOpenData  = "open_data"    // opening.data_obtained.v1 (Art. 32)
	UseDeveloped = "developed"    // development.data_developed.v1 (Art. 35)
)

// Use is who uses a resource (谁使用): by which grant, for which purpose.
type Use struct {
	User        string // the institution, or for open data and development the application (the party is personal data)
	Kind        string // Use*
	Grant       string
	Purpose     string
	WithinGrant *bool // shared use only: the purpose is among the grant's purposes (Art. 27)
	Count       int
	Records     int64
	First, Last Act
}

// Operation is who runs a system a resource lives in (谁运行).
type Operation struct {
	System   string
	Operator string
	Role     string // "institution", "platform" or "provider" (outsourced, Art. 39)
	Contract string // provider only
	Client   string // provider only: the institution that contracted
	Ended    *Act   // provider only: contract terminated
	First    Act
}

// Resource is one data resource's accountability.
type Resource struct {
	ID          string
	TitleZH     string
	TitleEN     string
	Responsible string // 责任主体 per the catalog
	Source      string // designated collector (一数一源), if any
	// SourceVia is the designated entry when this one was designated a duplicate of it
	// (catalog.source_designated.v1's duplicates); SourceSeq the designation's position.
	SourceVia   string
	SourceSeq   uint64
	Systems     []string
	Collections []*Collection
	Holdings    []*Holding
	Uses        []*Use
	Operators   []*Operation // by institutions and the platform; providers are derived from contracts
}

// Post is a person in a post (Art. 7, 37(3)).
type Post struct {
	Person string
	Post   domain.Post
	Since  string
	Ended  *Act
	Seq    uint64
}

// Institution is one institution's people who answer for its data (Art. 7, 37).
type Institution struct {
	ID               string
	NameZH, NameEN   string
	Level            domain.Level
	County           string
	DataAuthority    bool
	Responsible      string // first responsible person (第一责任人)
	ResponsibleTitle string
	ResponsibleSince string
	ResponsibleSeq   uint64
	Posts            []*Post
	titles           map[string]string
}

// Title returns a person's title as the institution registered it ("" if none): reports
// show people by id and title, since names are personal data.
func (in *Institution) Title(person string) string { return in.titles[person] }

// Contract is an outsourcing contract (Art. 39).
type Contract struct {
	ID, Client, Provider, Scope string
	Systems                     []string
	Data                        []string // resources amendments let the provider access
	Signed                      Act
	Ended                       *Act
	// History is every act on the contract in order: review, signing, confidentiality
	// agreement, amendments, termination, accounts, deletion (第三十九条).
	History []ContractAct
}

// ContractAct is one act in a contract's history.
type ContractAct struct {
	Act
	Type   string
	ZH, EN string // what changed, in words
}

// Contracts lists the outsourcing contracts by id.
func (v *View) Contracts() []*Contract {
	out := make([]*Contract, 0, len(v.contracts))
	for _, c := range v.contracts {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Contract) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// contractAct adds an act to a contract's history; acts before the signing (the review)
// wait for it.
func (v *View) contractAct(id string, ca ContractAct) {
	if id == "" {
		return
	}
	if c, ok := v.contracts[id]; ok {
		c.History = append(c.History, ca)
		return
	}
	v.pending[id] = append(v.pending[id], ca)
}

// TimelineEntry is one act on a resource, for its custody timeline.
type TimelineEntry struct {
	Seq         uint64
	On          calendar.Date
	Type        string
	Institution string
	Person      string
	ID          string
}

type grant struct {
	application string
	purposes    []string
}

// View is the accountability fold. Apply entries in seq order; not safe for concurrent
// use. Set Track to a resource id before folding to keep that resource's timeline.
type View struct {
	Track string

	reg          *registry.State
	next         uint64
	resources    map[string]*Resource
	institutions map[string]*Institution
	contracts    map[string]*Contract
	pending      map[string][]ContractAct // acts on a contract not yet signed (its security review)
	grants       map[string]grant
	timeline     []TimelineEntry
}

// New returns an empty view.
func New() *View { return NewWith(registry.New()) }

// NewWith returns an empty view that folds reg and counts each act's day by it (its
// policy, calendar and migration declarations: acttime).
func NewWith(reg *registry.State) *View {
	return &View{reg: reg, resources: map[string]*Resource{}, institutions: map[string]*Institution{},
		contracts: map[string]*Contract{}, grants: map[string]grant{}, pending: map[string][]ContractAct{}}
}

func (v *View) resource(id string) *Resource {
	r, ok := v.resources[id]
	if !ok {
		r = &Resource{ID: id}
		v.resources[id] = r
	}
	return r
}

func (v *View) institution(id string) *Institution {
	in, ok := v.institutions[id]
	if !ok {
		in = &Institution{ID: id, titles: map[string]string{}}
		v.institutions[id] = in
	}
	return in
}

func addString(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func (r *Resource) hold(inst, how, state string, a Act) {
	if inst == "" {
		return
	}
	for _, h := range r.Holdings {
		if h.Institution == inst {
			if state != CustodyHolding || h.State != CustodyHolding {
				h.State, h.Last = state, a
			}
			return
		}
	}
	r.Holdings = append(r.Holdings, &Holding{Institution: inst, How: how, State: state, Since: a, Last: a})
}

func (r *Resource) use(u Use, records int64, a Act) {
	for _, x := range r.Uses {
		if x.User == u.User && x.Kind == u.Kind && x.Grant == u.Grant && x.Purpose == u.Purpose {
			x.Count++
			x.Records += records
			x.Last = a
			return
		}
	}
	u.Count, u.Records, u.First, u.Last = 1, records, a, a
	r.Uses = append(r.Uses, &u)
}

func (r *Resource) operate(system, operator, role string, a Act) {
	if system == "" {
		return
	}
	r.Systems = addString(r.Systems, system)
	for _, o := range r.Operators {
		if o.System == system && o.Operator == operator {
			return
		}
	}
	if operator != "" {
		r.Operators = append(r.Operators, &Operation{System: system, Operator: operator, Role: role, First: a})
	}
}

// touched is the part of every payload that names the resource(s) it acts on.
type touched struct {
	Resource    string   `json:"resource"`
	Resources   []string `json:"resources"`
	Output      string   `json:"output"`
	Application string   `json:"application"`
}

// Apply folds one entry; entries below the position already folded are ignored.
func (v *View) Apply(e *ledger.Entry) {
	if e.Seq < v.next {
		return
	}
	v.next = e.Seq + 1
	v.reg.Apply(e)
	sub := &e.Submission
	actor := sub.Actor.Institution
	a := Act{On: fold.Day(v.reg, e), Seq: e.Seq}
	if v.Track != "" {
		t := fold.Read[touched](e)
		hit := t.Resource == v.Track || t.Output == v.Track || slices.Contains(t.Resources, v.Track)
		if !hit && t.Application != "" && sub.Type == "share.granted.v1" {
			c, ok := v.reg.Case("share", t.Application)
			hit = ok && c.Resource == v.Track
		}
		if hit {
			v.timeline = append(v.timeline, TimelineEntry{Seq: e.Seq, On: a.On, Type: sub.Type, Institution: actor, Person: sub.Actor.Person, ID: sub.ID})
		}
	}
	switch sub.Type {
	case "institution.registered.v1", "institution.updated.v1":
		p := fold.Read[events.InstitutionRegistered](e)
		if p.Institution == "" {
			return
		}
		in := v.institution(p.Institution)
		in.NameZH, in.NameEN, in.Level, in.County, in.DataAuthority = p.NameZH, p.NameEN, p.Level, p.County, p.DataAuthority
	case "person.registered.v1":
		p := fold.Read[events.PersonRegistered](e)
		v.institution(actor).titles[p.Person] = p.Title
	case "person.responsible_designated.v1":
		p := fold.Read[events.ResponsibleDesignated](e)
		in := v.institution(actor)
		in.Responsible, in.ResponsibleSince, in.ResponsibleSeq = p.Person, p.Since, e.Seq
	case "person.post_assigned.v1":
		p := fold.Read[events.PostAssigned](e)
		in := v.institution(actor)
		in.Posts = append(in.Posts, &Post{Person: p.Person, Post: p.Post, Since: p.Since, Seq: e.Seq})
	case "person.post_ended.v1":
		p := fold.Read[events.PostEnded](e)
		for _, po := range v.institution(actor).Posts {
			if po.Person == p.Person && po.Post == p.Post && po.Ended == nil {
				po.Ended = &Act{On: a.On, Seq: e.Seq}
			}
		}
	case "catalog.entry_registered.v1", "catalog.entry_updated.v1":
		p := fold.Read[events.CatalogEntry](e)
		if p.Resource == "" {
			return
		}
		r := v.resource(p.Resource)
		r.TitleZH, r.TitleEN = p.TitleZH, p.TitleEN
		r.Responsible = p.Responsible
		if r.Responsible == "" {
			r.Responsible = actor
		}
		r.hold(r.Responsible, HeldResponsible, CustodyHolding, a)
		r.operate(p.System, r.Responsible, "institution", a)
	case "catalog.source_designated.v1":
		p := fold.Read[events.SourceDesignated](e)
		if p.Resource != "" {
			r := v.resource(p.Resource)
			r.Source, r.SourceVia, r.SourceSeq = p.Source, "", e.Seq
			for _, d := range p.Duplicates {
				dr := v.resource(d)
				dr.Source, dr.SourceVia, dr.SourceSeq = p.Source, p.Resource, e.Seq
			}
		}
	case "data.collected.v1":
		p := fold.Read[events.DataCollected](e)
		if p.Resource == "" {
			return
		}
		r := v.resource(p.Resource)
		var c *Collection
		for _, x := range r.Collections {
			if x.Institution == actor {
				c = x
			}
		}
		if c == nil {
			c = &Collection{Institution: actor, First: a}
			r.Collections = append(r.Collections, c)
		}
		c.Count++
		c.Records += p.Records
		c.Last = a
		c.Emergencies = addString(c.Emergencies, p.Emergency)
		r.hold(actor, HeldCollected, CustodyHolding, a)
	case "data.aggregated.v1":
		p := fold.Read[events.DataAggregated](e)
		if p.Resource != "" {
			v.resource(p.Resource).operate(p.Database, v.reg.Authority(), "platform", a)
		}
	case "data.stored.v1":
		p := fold.Read[events.DataStored](e)
		if p.Resource != "" {
			r := v.resource(p.Resource)
			r.hold(actor, HeldStored, CustodyHolding, a)
			r.operate(p.System, actor, "institution", a)
		}
	case "data.processed.v1":
		p := fold.Read[events.DataProcessed](e)
		if p.Resource != "" {
			r := v.resource(p.Resource)
			r.operate(p.System, actor, "institution", a)
			r.use(Use{User: actor, Kind: UseProcessed, Purpose: p.Purpose}, p.Records, a)
		}
	case "data.transmitted.v1":
		p := fold.Read[events.DataTransmitted](e)
		if p.Resource != "" {
			r := v.resource(p.Resource)
			r.operate(p.System, actor, "institution", a)
			if _, ok := v.reg.Institution(p.To); ok {
				r.hold(p.To, HeldReceived, CustodyHolding, a)
			}
		}
	case "data.copied.v1":
		p := fold.Read[events.DataCopied](e)
		if p.Resource != "" {
			v.resource(p.Resource).hold(actor, HeldCopied, CustodyHolding, a)
		}
	case "data.exported.v1":
		p := fold.Read[events.DataExported](e)
		if p.Resource != "" {
			v.resource(p.Resource).use(Use{User: actor, Kind: UseExported, Grant: p.Approval, Purpose: p.Reason}, p.Records, a)
		}
	case "data.desensitised.v1":
		p := fold.Read[events.DataDesensitised](e)
		if p.Resource != "" {
			v.resource(p.Resource).use(Use{User: actor, Kind: UseDesens, Grant: p.Approval, Purpose: p.Reason}, p.Records, a)
		}
	case "data.sealed.v1", "emergency.data_sealed.v1":
		if res := fold.Read[touched](e).Resource; res != "" {
			v.resource(res).hold(actor, HeldDisposed, CustodySealed, a)
		}
	case "data.destroyed.v1", "emergency.data_destroyed.v1":
		if res := fold.Read[touched](e).Resource; res != "" {
			v.resource(res).hold(actor, HeldDisposed, CustodyDestroyed, a)
		}
	case "share.granted.v1":
		p := fold.Read[events.ShareGranted](e)
		if p.Grant != "" {
			v.grants[p.Grant] = grant{application: p.Application, purposes: p.Purposes}
		}
	case "share.data_obtained.v1":
		p := fold.Read[events.ShareDataObtained](e)
		if p.Resource != "" {
			v.resource(p.Resource).hold(actor, HeldObtained, CustodyHolding, a)
		}
	case "share.data_used.v1":
		p := fold.Read[events.ShareDataUsed](e)
		if p.Resource == "" {
			return
		}
		u := Use{User: actor, Kind: UseShared, Grant: p.Grant, Purpose: p.Purpose}
		if g, ok := v.grants[p.Grant]; ok {
			within := slices.Contains(g.purposes, p.Purpose)
			u.WithinGrant = &within
		}
		v.resource(p.Resource).use(u, p.Records, a)
	case "opening.data_obtained.v1":
		p := fold.Read[events.OpeningDataObtained](e)
		if p.Resource != "" {
			user := "opening/" + p.Application
			if p.Application == "" {
				user = "opening (unconditional)"
			}
			v.resource(p.Resource).use(Use{User: user, Kind: UseOpenData, Grant: p.Application}, p.Records, a)
		}
	case "development.data_developed.v1":
		p := fold.Read[events.DataDeveloped](e)
		if p.Resource != "" {
			v.resource(p.Resource).use(Use{User: "development/" + p.Application, Kind: UseDeveloped, Grant: p.Application, Purpose: p.Product}, 0, a)
		}
	case "outsourcing.contract_signed.v1":
		p := fold.Read[events.ContractSigned](e)
		if p.Contract != "" {
			prior := v.pending[p.Contract]
			delete(v.pending, p.Contract)
			v.contracts[p.Contract] = &Contract{ID: p.Contract, Client: actor, Provider: p.Provider, Scope: p.Scope, Systems: p.Systems, Signed: a,
				History: append(prior, ContractAct{Act: a, Type: sub.Type, ZH: "签订：" + p.Scope + "；系统 " + strings.Join(p.Systems, "、"),
					EN: "signed: " + p.Scope + "; systems " + strings.Join(p.Systems, ", ")})}
		}
	case "outsourcing.security_reviewed.v1":
		p := fold.Read[events.SecurityReviewed](e)
		zh, en := "安全审查未通过", "security review failed"
		if p.Passed {
			zh, en = "安全审查通过", "security review passed"
		}
		v.contractAct(p.Contract, ContractAct{Act: a, Type: sub.Type, ZH: zh, EN: en})
	case "outsourcing.confidentiality_agreement_signed.v1":
		p := fold.Read[events.ConfidentialityAgreementSigned](e)
		v.contractAct(p.Contract, ContractAct{Act: a, Type: sub.Type, ZH: "签订服务安全保护及保密协议", EN: "confidentiality agreement signed"})
	case "outsourcing.contract_amended.v1":
		p := fold.Read[events.ContractAmended](e)
		var zh, en []string
		if p.Scope != "" {
			zh, en = append(zh, "范围："+p.Scope), append(en, "scope: "+p.Scope)
		}
		if len(p.Systems) > 0 {
			zh, en = append(zh, "系统："+strings.Join(p.Systems, "、")), append(en, "systems: "+strings.Join(p.Systems, ", "))
		}
		if len(p.Data) > 0 {
			zh, en = append(zh, "数据："+strings.Join(p.Data, "、")), append(en, "data: "+strings.Join(p.Data, ", "))
		}
		if p.ProviderStaff > 0 {
			zh, en = append(zh, fmt.Sprintf("服务方人员 %d 人", p.ProviderStaff)), append(en, fmt.Sprintf("provider staff %d", p.ProviderStaff))
		}
		if p.TermUntil != "" {
			zh, en = append(zh, "期限至 "+p.TermUntil), append(en, "term until "+p.TermUntil)
		}
		if p.Renewal {
			zh, en = append(zh, "续签"), append(en, "renewed")
		}
		if c, ok := v.contracts[p.Contract]; ok {
			for _, s := range p.Systems {
				c.Systems = addString(c.Systems, s)
			}
			for _, d := range p.Data {
				c.Data = addString(c.Data, d)
			}
			if p.Scope != "" {
				c.Scope = p.Scope
			}
		}
		v.contractAct(p.Contract, ContractAct{Act: a, Type: sub.Type, ZH: "变更 " + p.Amendment + "：" + strings.Join(zh, "；"), EN: "amendment " + p.Amendment + ": " + strings.Join(en, "; ")})
	case "outsourcing.contract_terminated.v1":
		p := fold.Read[events.ContractTerminated](e)
		if c, ok := v.contracts[p.Contract]; ok && c.Ended == nil {
			c.Ended = &Act{On: a.On, Seq: e.Seq}
			if d, err := calendar.Parse(p.EndedOn); err == nil {
				c.Ended.On = d
			}
		}
		v.contractAct(p.Contract, ContractAct{Act: a, Type: sub.Type, ZH: "终止（" + p.Reason.ZH() + "，" + p.EndedOn + "）", EN: "ended (" + p.Reason.String() + ", " + p.EndedOn + ")"})
	case "outsourcing.accounts_revoked.v1":
		p := fold.Read[events.AccountsRevoked](e)
		v.contractAct(p.Contract, ContractAct{Act: a, Type: sub.Type, ZH: fmt.Sprintf("撤销账号或重置密码 %d 个", p.Accounts), EN: fmt.Sprintf("%d accounts revoked or reset", p.Accounts)})
	case "outsourcing.provider_deletion_evidenced.v1":
		p := fold.Read[events.ProviderDeletionEvidenced](e)
		v.contractAct(p.Contract, ContractAct{Act: a, Type: sub.Type, ZH: "服务方不可逆删除已证明", EN: "provider's irreversible deletion evidenced"})
	}
}
