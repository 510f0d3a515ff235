package accountability

import (
	"slices"
	"strings"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/registry"
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

// grant is what a share grant allows (its fields are exported for the snapshot).
type grant struct {
	Application string
	Purposes    []string
}

// View is the accountability fold. Apply entries in seq order; not safe for concurrent
// use (the caller serialises Apply against the queries). It keeps every resource's
// custody timeline, so that a report on any resource is read from it.
type View struct {
	reg          *registry.State
	next         uint64
	resources    map[string]*Resource
	institutions map[string]*Institution
	contracts    map[string]*Contract
	pending      map[string][]ContractAct // acts on a contract not yet signed (its security review)
	grants       map[string]grant
	timeline     *timeline
}

// New returns an empty view.
func New() *View { return NewWith(registry.New()) }

// NewWith returns an empty view that folds reg and counts each act's day by it (its
// policy, calendar and migration declarations: acttime).
func NewWith(reg *registry.State) *View {
	return &View{reg: reg, resources: map[string]*Resource{}, institutions: map[string]*Institution{},
		contracts: map[string]*Contract{}, grants: map[string]grant{}, pending: map[string][]ContractAct{}, timeline: newTimeline()}
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
