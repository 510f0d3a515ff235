package findings

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
	"github.com/aba-prefecture/dataledger/projections/obligations"
)

// State is where a finding stands in enforcement (第四十一条: 责令限期整改, then 拒不整改
// escalates).
type State string

// States.
const (
	Open                 State = "open"
	RectificationOrdered State = "rectification_ordered"
	Rectified            State = "rectified"
	// Escalated: the order's time limit passed without rectification (拒不整改), and no
	// referral is recorded.
	Escalated State = "escalated"
	// Referred: a referral to the competent organs is recorded (rectification.escalated.v1,
	// 移送有权机关): the only way a finding is shown referred.
	Referred State = "referred"
)

var stateLabels = map[State][2]string{
	Open:                 {"待处理", "open"},
	RectificationOrdered: {"已责令整改", "rectification ordered"},
	Rectified:            {"已整改", "rectified"},
	Escalated:            {"逾期未整改，未移送", "overdue, not referred"},
	Referred:             {"已移送有权机关", "referred"},
}

// ZH is the state's Simplified Chinese label.
func (s State) ZH() string { return stateLabels[s][0] }

// EN is the state's English label.
func (s State) EN() string { return stateLabels[s][1] }

// Evidence is a ledger entry a finding rests on (provable by an inclusion proof at Seq).
type Evidence = obligations.Ref

// Rectification is the order (限期整改) that answers a finding, and what became of it.
type Rectification struct {
	Order     string        `json:"order"`
	Seq       uint64        `json:"seq"`
	Ordered   calendar.Date `json:"ordered"`
	Deadline  calendar.Date `json:"deadline"`
	Completed *Evidence     `json:"completed,omitempty"`
	Escalated *Evidence     `json:"escalated,omitempty"`
}

// Finding is one penalty trigger: the rule it breaks, what it cites, who answers for it
// and the entries that prove it.
type Finding struct {
	Rule    string     `json:"rule"` // F1…F18
	TitleZH string     `json:"title_zh"`
	TitleEN string     `json:"title_en"`
	Cites   []Citation `json:"cites"`
	CiteZH  string     `json:"cite_zh"` // 第四十一条第(一)项、第十六条
	CiteEN  string     `json:"cite_en"` // Art. 41(1), Art. 16
	Policy  string     `json:"policy"`  // the policy version that judged it
	// Institution is the public institution the finding is against; Responsible its
	// first responsible person (第一责任人) as registered, Actor the person who acted in
	// the evidence.
	Institution   string `json:"institution"`
	InstitutionZH string `json:"institution_zh,omitempty"`
	InstitutionEN string `json:"institution_en,omitempty"`
	Responsible   string `json:"responsible_person,omitempty"`
	Actor         string `json:"acting_person,omitempty"`
	// Subject is what it is about: a resource, request, application, contract,
	// emergency, order, project or (F16) the year.
	Subject       string         `json:"subject"`
	Deadline      string         `json:"deadline,omitempty"` // D1…D11 for deadline findings
	Evidence      []Evidence     `json:"evidence"`
	Arose         calendar.Date  `json:"arose"`
	State         State          `json:"state"`
	StateZH       string         `json:"state_zh"`
	StateEN       string         `json:"state_en"`
	NoteZH        string         `json:"note_zh"`
	NoteEN        string         `json:"note_en"`
	Rectification *Rectification `json:"rectification,omitempty"`
}

// raised is an event finding before the query day's labels are put on it.
type raised struct {
	rule, inst, actor, subject string
	arose                      calendar.Date
	zh, en                     string
	evidence                   []Evidence
	party                      bool // inst is the party the finding is held against (F18), maybe not an institution
	// items replace the rule's bare 第三十七条 with the items missed (F16: 第三十七条第(八)项
	// for a drill), so a citation names the duty, not only the article.
	items []string
}

type approval struct {
	inst, resource string
	acts           []domain.SupervisedAct
	until          calendar.Date
}

type contract struct {
	id       string
	signed   Evidence
	reviewed bool
	nda      bool
	// what it covers now, and the position of the act that last widened it (the signing
	// or a widening amendment): a widening amendment needs a review after it.
	systems, data []string
	staff         int64
	widened       uint64
}

// amendment is a widening amendment of an outsourcing contract (第三十九条), judged like
// a signing: a passed review since the last widening, confidentiality terms with it.
type amendment struct {
	contract string
	ev       Evidence
	reviewed bool
	nda      bool
	widens   []string // what it widens, in words (zh, en pairs flattened)
	widensEN []string
}

type duties struct {
	training, drill, stress int
	backups                 []calendar.Date
}

type order struct {
	Rectification
	inst     string
	rules    []string
	evidence []string
}

// Fold folds ledger entries into findings. Create it with New.
type Fold struct {
	mu   sync.RWMutex
	next uint64
	pol  *policy.Set
	cal  *calendar.Calendar
	reg  *registry.State
	obl  *obligations.Fold

	raised      []raised
	approvals   map[string]approval
	grants      map[string][]string
	designated  map[string][2]string // duplicate entry → {designated entry, source}
	emergencies map[string][2]*calendar.Date
	drafted     map[string]bool
	reviewed    map[string]bool
	contracts   []*contract
	amendments  []*amendment
	reviewSeq   map[string]uint64 // contract → seq of its last passed security review
	ndas        map[string][]calendar.Date
	duties      map[string]map[int]*duties
	registered  map[string]calendar.Date
	cases       map[string]struct {
		ev       Evidence
		provider string
	}
	orders []*order
}

// New returns an empty fold judging with pol and cal; it folds its own registry and
// obligations.
func New(pol *policy.Set, cal *calendar.Calendar) *Fold {
	reg := registry.NewWith(pol, cal)
	return &Fold{pol: pol, cal: cal, reg: reg, obl: obligations.NewWithRegistry(pol, cal, reg, false),
		approvals: map[string]approval{}, grants: map[string][]string{}, designated: map[string][2]string{},
		emergencies: map[string][2]*calendar.Date{}, drafted: map[string]bool{}, reviewed: map[string]bool{},
		ndas: map[string][]calendar.Date{}, reviewSeq: map[string]uint64{}, duties: map[string]map[int]*duties{}, registered: map[string]calendar.Date{},
		cases: map[string]struct {
			ev       Evidence
			provider string
		}{}}
}

// Registered is the day inst was first registered (institution.registered.v1, the day
// it counts on), if it was: the assessment judges a year only from then.
func (f *Fold) Registered(inst string) (calendar.Date, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	d, ok := f.registered[inst]
	return d, ok
}

// Obligations is the deadlines fold the findings read (D1–D12).
func (f *Fold) Obligations() *obligations.Fold { return f.obl }

// Registry is the registry the fold reads.
func (f *Fold) Registry() *registry.State { return f.reg }

// Position is the next seq the fold expects.
func (f *Fold) Position() uint64 { f.mu.RLock(); defer f.mu.RUnlock(); return f.next }

// Apply folds one entry (in seq order; one at or below the last applied seq is ignored).
// An error comes from the obligations fold (a day without policy or calendar data); the
// entry is folded anyway.
func (f *Fold) Apply(e *ledger.Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e.Seq < f.next {
		return nil
	}
	f.next = e.Seq + 1
	f.reg.Apply(e)
	err := f.obl.Apply(e)
	f.apply(e)
	return err
}

func (f *Fold) raise(rule string, ev Evidence, subject, zh, en string, more ...Evidence) {
	f.raised = append(f.raised, raised{rule: rule, inst: ev.Institution, actor: ev.Person, subject: subject, arose: ev.Date,
		zh: zh, en: en, evidence: append([]Evidence{ev}, more...)})
}

var supervised = map[string]domain.SupervisedAct{
	"data.copied.v1": domain.ActCopy, "data.exported.v1": domain.ActExport, "data.desensitised.v1": domain.ActDesensitise,
	"data.modified.v1": domain.ActModify, "data.deleted.v1": domain.ActDelete,
}

func (f *Fold) apply(e *ledger.Entry) {
	s := &e.Submission
	ev := obligations.RefOf(e, f.reg.TimeOf(e))
	actor := s.Actor.Institution
	f.lateRecord(ev, s)
	f.suspendedAct(ev, s.Type, s.Payload)
	if act, ok := supervised[s.Type]; ok {
		p := fold.Read[events.Supervised](e)
		a, found := f.approvals[p.Approval]
		if p.Approval != "" && found && a.inst == actor && a.resource == p.Resource && slices.Contains(a.acts, act) &&
			(!a.until.Valid() || !a.until.Before(ev.Date)) {
			return
		}
		rule, zh, en := "F12", "未经监督审批", "without the supervising approval"
		if act == domain.ActModify || act == domain.ActDelete {
			rule, zh, en = "F11", "未经批准", "without an authorising approval"
		}
		if p.Approval != "" {
			zh, en = fmt.Sprintf("所引审批 %s 不涵盖此行为", p.Approval), fmt.Sprintf("approval %s does not cover this act", p.Approval)
		}
		f.raise(rule, ev, p.Resource, fmt.Sprintf("%s %s（%d 条）：%s", act.ZH(), p.Resource, p.Records, zh),
			fmt.Sprintf("%s of %s (%d records) %s", act.String(), p.Resource, p.Records, en))
		return
	}
	switch s.Type {
	case "institution.registered.v1":
		id := fold.Read[events.InstitutionRegistered](e).Institution
		if _, ok := f.registered[id]; !ok {
			f.registered[id] = ev.Date
		}
	case "security.approval_granted.v1":
		p := fold.Read[events.ApprovalGranted](e)
		until, _ := calendar.Parse(p.ValidUntil)
		f.approvals[p.Approval] = approval{inst: actor, resource: p.Resource, acts: p.Acts, until: until}
	case "share.granted.v1":
		p := fold.Read[events.ShareGranted](e)
		f.grants[p.Grant] = p.Purposes
	case "share.data_used.v1":
		p := fold.Read[events.ShareDataUsed](e)
		if ps, ok := f.grants[p.Grant]; ok && p.Grant != "" && !slices.Contains(ps, p.Purpose) {
			f.raise("F10", ev, p.Resource, fmt.Sprintf("按授权 %s 获取的数据用于“%s”，授权用途为：%s", p.Grant, p.Purpose, strings.Join(ps, "；")),
				fmt.Sprintf("data shared under grant %s used for %q; granted purposes: %s", p.Grant, p.Purpose, strings.Join(ps, "; ")))
		}
	case "catalog.source_designated.v1":
		p := fold.Read[events.SourceDesignated](e)
		for _, d := range p.Duplicates {
			f.designated[d] = [2]string{p.Resource, p.Source}
		}
	case "emergency.declared.v1":
		d := ev.Date
		f.emergencies[fold.Read[events.EmergencyDeclared](e).Emergency] = [2]*calendar.Date{&d, nil}
	case "emergency.ended.v1":
		p := fold.Read[events.EmergencyEnded](e)
		if em, ok := f.emergencies[p.Emergency]; ok {
			end := obligations.StartOf(p.EndedOn, ev.Date)
			em[1] = &end
			f.emergencies[p.Emergency] = em
		}
	case "data.collected.v1":
		f.collected(ev, fold.Read[events.DataCollected](e))
	case "data.aggregation_refused.v1":
		if p := fold.Read[events.AggregationRefused](e); p.LegalBasis == "" {
			f.raise("F6", ev, p.Resource, "拒绝归集："+p.Reason, "aggregation refused: "+p.Reason)
		}
	case "data.inconsistency_reported.v1":
		p := fold.Read[events.InconsistencyReported](e)
		f.cases[p.Case] = struct {
			ev       Evidence
			provider string
		}{ev, p.Provider}
	case "data.inconsistency_resolved.v1":
		p := fold.Read[events.InconsistencyResolved](e)
		if c, ok := f.cases[p.Case]; ok && p.Confirmed {
			// The fault is the provider's data, not an act: the finding names the provider and
			// no acting person (the catalogue does not say who provided the data).
			f.raised = append(f.raised, raised{rule: "F8", inst: c.provider, subject: p.Case, arose: ev.Date,
				zh: "经核实提供的数据不一致或无法使用：" + p.Resolution, en: "provided data confirmed inconsistent or unusable: " + p.Resolution,
				evidence: []Evidence{c.ev, ev}})
		}
	case "project.catalog_drafted.v1":
		f.drafted[fold.Read[events.ProjectCatalogDrafted](e).Project] = true
	case "project.approved.v1":
		if p := fold.Read[events.ProjectApproved](e); !f.drafted[p.Project] {
			// The unit building the system compiles its catalog (第十二条): F2 falls on the
			// project's owner (the case's opener, or the owner the authority's preliminary
			// review named); the approving body appears as the approver, not the offender.
			owner, person := actor, s.Actor.Person
			if c, ok := f.reg.Case("project", p.Project); ok && c.By != "" && c.By != actor {
				owner, person = c.By, ""
			}
			f.raised = append(f.raised, raised{rule: "F2", inst: owner, actor: person, subject: p.Project, arose: ev.Date, evidence: []Evidence{ev},
				zh: fmt.Sprintf("项目审批前未编制项目数据资源目录（建设单位 %s；审批机关 %s，%s）", owner, p.Approver, p.ApprovalRef),
				en: fmt.Sprintf("project approved without a project data-resource catalog (owner %s; approved by %s, %s)", owner, p.Approver, p.ApprovalRef)})
		}
	case "project.accepted.v1":
		if p := fold.Read[events.ProjectAccepted](e); !p.CatalogOnPlatform {
			f.raise("F2", ev, p.Project, "项目验收时目录未纳入阿坝州大数据平台", "project accepted without its catalog on the platform")
		}
	case "outsourcing.security_reviewed.v1":
		if p := fold.Read[events.SecurityReviewed](e); p.Passed {
			f.reviewed[p.Contract] = true
			f.reviewSeq[p.Contract] = e.Seq
		}
	case "outsourcing.contract_signed.v1":
		p := fold.Read[events.ContractSigned](e)
		f.contracts = append(f.contracts, &contract{id: p.Contract, signed: ev, reviewed: f.reviewed[p.Contract], nda: p.ConfidentialityAgreement != nil,
			systems: slices.Clone(p.Systems), widened: e.Seq})
	case "outsourcing.contract_amended.v1":
		f.amended(ev, fold.Read[events.ContractAmended](e))
	case "outsourcing.confidentiality_agreement_signed.v1":
		c := fold.Read[events.ConfidentialityAgreementSigned](e).Contract
		f.ndas[c] = append(f.ndas[c], ev.Date)
	case "opening.granted.v1":
		if p := fold.Read[events.OpeningGranted](e); p.SecurityCommitment == nil || p.UseAgreement == nil {
			f.raise("F15", ev, p.Application, "有条件开放未签署安全承诺书和开放利用协议", "conditional opening granted without a signed security commitment and use agreement")
		}
	case "ledger.access_refused.v1":
		p := fold.Read[events.AccessRefused](e)
		// The ledger signs this entry for the institution that correctly refused the
		// attempt (ActorInstitution submitted it): the finding is held against the party
		// whose access was suspended (第四十二条), on the day the attempt claims, bounded
		// by the late-record rule.
		ev.Institution, ev.Person = p.ActorInstitution, p.ActorPerson
		zh, en := f.scope(p.Party, p.Suspension)
		f.raiseParty(p.Party, ev, p.Suspension, fmt.Sprintf("已暂停获取权限的当事人 %s 试图 %s，%s 拒绝并记录（提交 %s）；暂停 %s：%s", p.Party, p.RefusedType, p.ActorInstitution, p.RefusedID, p.Suspension, zh),
			fmt.Sprintf("party %s, whose access was suspended, attempted %s; refused and recorded by %s (submission %s); suspension %s: %s", p.Party, p.RefusedType, p.ActorInstitution, p.RefusedID, p.Suspension, en))
	case "security.training_held.v1":
		f.duty(actor, f.heldOn(e, fold.Read[events.TrainingHeld](e).HeldOn, ev.Date)).training++
	case "security.drill_held.v1":
		f.duty(actor, f.heldOn(e, fold.Read[events.DrillHeld](e).HeldOn, ev.Date)).drill++
	case "security.stress_tested.v1":
		f.duty(actor, ev.Date).stress++
	case "security.backup_completed.v1":
		d := f.duty(actor, ev.Date)
		d.backups = append(d.backups, ev.Date)
	case "rectification.ordered.v1":
		p := fold.Read[events.RectificationOrdered](e)
		dl, _ := calendar.Parse(p.Deadline)
		f.orders = append(f.orders, &order{Rectification: Rectification{Order: p.Order, Seq: ev.Seq, Ordered: ev.Date, Deadline: dl},
			inst: p.Institution, rules: p.Findings, evidence: p.Evidence})
	case "rectification.completed.v1":
		if o := f.order(fold.Read[events.RectificationCompleted](e).Order); o != nil && o.Completed == nil {
			o.Completed = &ev
		}
	case "rectification.escalated.v1":
		if o := f.order(fold.Read[events.RectificationEscalated](e).Order); o != nil && o.Escalated == nil {
			o.Escalated = &ev
		}
	}
}

// suspendedAct raises F18 for an access act admitted although its actor or party was
// suspended when it was sealed: the window docs/storage.md describes, in which one
// front-end has not yet folded a suspension another recorded (第四十二条). Acts the
// checker refused are raised from their ledger.access_refused.v1 record instead.
func (f *Fold) suspendedAct(ev Evidence, typ string, raw json.RawMessage) {
	t, ok := events.Lookup(typ)
	if !ok || !t.Access {
		return
	}
	var fields map[string]any
	_ = json.Unmarshal(raw, &fields)
	str := func(k string) string { s, _ := fields[k].(string); return s }
	resource := ""
	if t.Resource != "" {
		resource = str(t.Resource)
	}
	for _, party := range []string{ev.Institution, str(t.Party)} {
		if party == "" {
			continue
		}
		// Judged on the act's own day, as the door judges it: the day it claims and the
		// day it counts (a restoration recorded before the act does not clear an act
		// dated during the suspension).
		if sp, ok := f.reg.SuspendedOn(party, resource, ev.Claimed, ev.Date); ok {
			zh, en := f.scope(party, sp.ID)
			f.raiseParty(party, ev, sp.ID, fmt.Sprintf("已暂停获取权限的当事人 %s 的 %s 被记录（暂停 %s：%s）", party, typ, sp.ID, zh),
				fmt.Sprintf("%s recorded for %s, whose access was suspended (%s: %s)", typ, party, sp.ID, en))
			return
		}
	}
}

// heldOn is the day a duty counts on when the act names the day it was held: that day
// as a claim, bounded like occurred_at (acttime), so that a training recorded in January
// cannot fill last year's duty unless it was recorded in time or migrated; else d.
func (f *Fold) heldOn(e *ledger.Entry, s string, d calendar.Date) calendar.Date {
	p, err := calendar.Parse(s)
	if err != nil {
		return d
	}
	return f.reg.TimeOfClaim(e, p.Start().Add(12*time.Hour)).Effective
}

// lateRecord raises F19 for an act recorded later than the policy's grace after the day
// it claims (操作留痕, 第三十七条第(六)项): against the institution that recorded it (for
// a refused attempt, the one that submitted it). A migrated act is not late.
func (f *Fold) lateRecord(ev Evidence, s *ledger.Submission) {
	if !ev.Late {
		return
	}
	if _, ok := events.Lookup(s.Type); !ok {
		return
	}
	if s.Type == "ledger.access_refused.v1" {
		p := fold.Read[events.AccessRefused](&ledger.Entry{Submission: *s})
		ev.Institution, ev.Person = p.ActorInstitution, p.ActorPerson
	}
	lateWD := 0
	if t, err := f.cal.WorkdaysBetween(ev.Claimed, ev.Recorded); err == nil {
		lateWD = t
	}
	f.raise("F19", ev, s.Type, fmt.Sprintf("%s 声明发生于 %s，%s 才记录（相隔 %d 个工作日，超过宽限），期限按 %s 计", s.Type, ev.Claimed, ev.Recorded, lateWD, ev.Date),
		fmt.Sprintf("%s claims %s but was recorded on %s (%d working days later, past the grace); deadlines count it on %s", s.Type, ev.Claimed, ev.Recorded, lateWD, ev.Date))
}

// amended judges an amendment: one that widens the systems, the data or the provider's
// staff needs a passed security review after the contract's last widening and updated
// confidentiality terms with it (第三十九条第一款, as for a new contract).
func (f *Fold) amended(ev Evidence, p *events.ContractAmended) {
	var c *contract
	for _, x := range f.contracts {
		if x.id == p.Contract {
			c = x
		}
	}
	if c == nil {
		return
	}
	var zh, en []string
	if add := missing(p.Systems, c.systems); len(add) > 0 {
		zh, en = append(zh, "新增系统 "+strings.Join(add, "、")), append(en, "adds systems "+strings.Join(add, ", "))
	}
	if add := missing(p.Data, c.data); len(add) > 0 {
		zh, en = append(zh, "新增数据 "+strings.Join(add, "、")), append(en, "adds data "+strings.Join(add, ", "))
	}
	if p.ProviderStaff > c.staff && c.staff > 0 {
		zh, en = append(zh, fmt.Sprintf("服务方人员由 %d 增至 %d", c.staff, p.ProviderStaff)), append(en, fmt.Sprintf("provider staff from %d to %d", c.staff, p.ProviderStaff))
	}
	for _, s := range p.Systems {
		if !slices.Contains(c.systems, s) {
			c.systems = append(c.systems, s)
		}
	}
	for _, d := range p.Data {
		if !slices.Contains(c.data, d) {
			c.data = append(c.data, d)
		}
	}
	if p.ProviderStaff > 0 {
		c.staff = p.ProviderStaff
	}
	if len(zh) == 0 {
		return
	}
	f.amendments = append(f.amendments, &amendment{contract: p.Contract, ev: ev, reviewed: f.reviewSeq[p.Contract] > c.widened,
		nda: p.ConfidentialityAgreement != nil, widens: zh, widensEN: en})
	c.widened = ev.Seq
}

// missing lists the items of want not in have.
func missing(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

// scope says what a suspension closes, in words: the resources it names (a suspension
// narrowed to them, access.suspended.v1's resources) or all public data, and its days.
func (f *Fold) scope(party, id string) (zh, en string) {
	for _, sp := range f.reg.Suspensions(party) {
		if sp.ID != id {
			continue
		}
		zh, en = "全部公共数据", "all public data"
		if len(sp.Resources) > 0 {
			zh, en = "仅限数据资源 "+strings.Join(sp.Resources, "、"), "only the resources "+strings.Join(sp.Resources, ", ")
		}
		if sp.Until.Valid() {
			return zh + fmt.Sprintf("，%s 至 %s（不含）", sp.From, sp.Until), en + fmt.Sprintf(", from %s until %s (exclusive)", sp.From, sp.Until)
		}
		return zh + fmt.Sprintf("，自 %s 起", sp.From), en + fmt.Sprintf(", from %s", sp.From)
	}
	return "范围未记录", "scope not recorded"
}

// raiseParty raises a finding against a party that is not (necessarily) a registered
// institution: F18 falls on the suspended party (第四十二条), not on who recorded it.
func (f *Fold) raiseParty(party string, ev Evidence, subject, zh, en string) {
	f.raised = append(f.raised, raised{rule: "F18", inst: party, subject: subject, arose: ev.Date, zh: zh, en: en,
		evidence: []Evidence{ev}, party: true})
}

func (f *Fold) order(id string) *order {
	for i := len(f.orders) - 1; i >= 0; i-- {
		if f.orders[i].Order == id {
			return f.orders[i]
		}
	}
	return nil
}

func (f *Fold) duty(inst string, d calendar.Date) *duties {
	if f.duties[inst] == nil {
		f.duties[inst] = map[int]*duties{}
	}
	x := f.duties[inst][d.Year]
	if x == nil {
		x = &duties{}
		f.duties[inst][d.Year] = x
	}
	return x
}

// collected judges a collection: F3 (outside the collector's catalog, no emergency in
// force), F4 (another institution is the designated source and shares the data), F5
// (biometrics on top of a valid ID document).
func (f *Fold) collected(ev Evidence, p *events.DataCollected) {
	res, cataloged := f.reg.Resource(p.Resource)
	if !cataloged || res.Holder != ev.Institution {
		em, declared := f.emergencies[p.Emergency]
		active := p.Emergency != "" && declared && !ev.Date.Before(*em[0]) && (em[1] == nil || !em[1].Before(ev.Date))
		if !active {
			f.raise("F3", ev, p.Resource, fmt.Sprintf("在本单位目录外采集 %s（%d 条），无有效紧急情况", p.Resource, p.Records),
				fmt.Sprintf("collected %s (%d records) outside the institution's catalog with no emergency in force", p.Resource, p.Records))
		}
	}
	if d, ok := f.designated[p.Resource]; ok && d[1] != ev.Institution {
		if src, ok := f.reg.Resource(d[0]); ok && src.Sharing != domain.SharingNone {
			f.raise("F4", ev, p.Resource, fmt.Sprintf("%s 的指定采集部门为 %s，可通过共享获取（%s）", p.Resource, d[1], d[0]),
				fmt.Sprintf("%s has %s as its designated source, obtainable by sharing (%s)", p.Resource, d[1], d[0]))
		}
	}
	if slices.Contains(p.Verification, domain.VerifyIDDocument) && slices.Contains(p.Verification, domain.VerifyBiometric) {
		f.raise("F5", ev, p.Resource, "已通过有效身份证件验明身份仍进行生物识别验证", "biometric re-verification after a valid ID document")
	}
}

// Findings returns every finding raised by asOf, as it stood on asOf: event findings,
// deadline findings from the obligations fold, annual security duties of years ended
// before asOf, and each one's enforcement state.
func (f *Fold) Findings(asOf calendar.Date) []Finding {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []Finding
	for _, r := range f.raised {
		if asOf.Before(r.arose) {
			continue
		}
		out = append(out, f.finding(r, r.evidence[len(r.evidence)-1].Date, ""))
	}
	out = append(out, f.contractFindings(asOf)...)
	out = append(out, f.deadlineFindings(asOf)...)
	out = append(out, f.dutyFindings(asOf)...)
	for i := range out {
		f.enforce(&out[i], asOf)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Evidence0(), b.Evidence0()), cmp.Compare(a.Arose.String(), b.Arose.String()), cmp.Compare(a.Rule, b.Rule))
	})
	return out
}

// Evidence0 is the seq of the first evidence entry (max for a finding without any), the
// order findings are listed in.
func (x *Finding) Evidence0() uint64 {
	if len(x.Evidence) == 0 {
		return ^uint64(0)
	}
	return x.Evidence[0].Seq
}

// finding dresses r with the rule's titles and citations from the policy in force on
// judged (the day of the act, or of the deadline's trigger).
func (f *Fold) finding(r raised, judged calendar.Date, deadline string) Finding {
	x := Finding{Rule: r.rule, Institution: r.inst, Actor: r.actor, Subject: r.subject, Deadline: deadline,
		Evidence: r.evidence, Arose: r.arose, NoteZH: r.zh, NoteEN: r.en}
	if v, err := f.pol.At(judged); err == nil {
		rule := v.Finding(r.rule)
		x.Policy, x.TitleZH, x.TitleEN = v.ID, rule.TitleZH, rule.TitleEN
		for _, c := range rule.Cites {
			if c == "第三十七条" && len(r.items) > 0 {
				for _, it := range r.items {
					x.Cites = append(x.Cites, Cite(it))
				}
				continue
			}
			x.Cites = append(x.Cites, Cite(c))
		}
		x.CiteZH, x.CiteEN = joinCites(x.Cites)
	}
	if in, ok := f.reg.Institution(r.inst); ok {
		x.InstitutionZH, x.InstitutionEN, x.Responsible = in.NameZH, in.NameEN, in.Responsible
	}
	if x.Evidence == nil {
		x.Evidence = []Evidence{}
	}
	return x
}

// contractFindings: F14 at signing (第三十九条): no passed security review before it, or
// no confidentiality agreement signed with it (in the contract or the same day).
func (f *Fold) contractFindings(asOf calendar.Date) []Finding {
	var out []Finding
	for _, c := range f.contracts {
		if asOf.Before(c.signed.Date) {
			continue
		}
		nda := c.nda || slices.Contains(f.ndas[c.id], c.signed.Date)
		if c.reviewed && nda {
			continue
		}
		var zh, en []string
		if !c.reviewed {
			zh, en = append(zh, "未经安全审查"), append(en, "no passed security review")
		}
		if !nda {
			zh, en = append(zh, "未同时签订服务安全保护及保密协议"), append(en, "no confidentiality agreement signed with it")
		}
		out = append(out, f.finding(raised{rule: "F14", inst: c.signed.Institution, actor: c.signed.Person, subject: c.id, arose: c.signed.Date,
			zh: "签订服务外包协议时" + strings.Join(zh, "，"), en: "outsourcing contract signed with " + strings.Join(en, " and "),
			evidence: []Evidence{c.signed}}, c.signed.Date, ""))
	}
	for _, a := range f.amendments {
		if asOf.Before(a.ev.Date) {
			continue
		}
		nda := a.nda || slices.Contains(f.ndas[a.contract], a.ev.Date)
		if a.reviewed && nda {
			continue
		}
		var zh, en []string
		if !a.reviewed {
			zh, en = append(zh, "扩大范围前未重新进行安全审查"), append(en, "no passed security review since the contract last widened")
		}
		if !nda {
			zh, en = append(zh, "未同时更新服务安全保护及保密协议"), append(en, "no updated confidentiality agreement signed with it")
		}
		out = append(out, f.finding(raised{rule: "F14", inst: a.ev.Institution, actor: a.ev.Person, subject: a.contract, arose: a.ev.Date,
			zh:       "服务外包协议变更（" + strings.Join(a.widens, "；") + "）" + strings.Join(zh, "，"),
			en:       "outsourcing contract amended (" + strings.Join(a.widensEN, "; ") + ") with " + strings.Join(en, " and "),
			evidence: []Evidence{a.ev}}, a.ev.Date, ""))
	}
	return out
}

// deadlineFindings turns breached deadlines into the findings that name them in the
// policy (F1 D1/D2, F7 D3/D4, F9 D5–D7, F13 D8, F14 D9/D10, F17 D11). D12 has no
// finding rule in the Measures' table; it stays an obligation.
func (f *Fold) deadlineFindings(asOf calendar.Date) []Finding {
	var out []Finding
	for _, o := range f.obl.Obligations(asOf) {
		if !o.State.Breached() {
			continue
		}
		v, err := f.pol.At(o.Start)
		if err != nil {
			continue
		}
		rule := ""
		for _, id := range policy.FindingIDs {
			if slices.Contains(v.Finding(id).Deadlines, o.Deadline) {
				rule = id
				break
			}
		}
		if rule == "" {
			continue
		}
		r := raised{rule: rule, inst: o.Institution, subject: o.Subject, arose: o.Due.AddDays(1), evidence: []Evidence{o.Trigger}}
		if o.Trigger.Institution == o.Institution {
			r.actor = o.Trigger.Person
		}
		for _, a := range o.Acts {
			if o.Due.Before(a.Date) {
				r.evidence = append(r.evidence, a)
				if a.Institution == o.Institution {
					r.actor = a.Person
				}
			}
		}
		if o.Deadline == "D11" {
			if or := f.order(o.Subject); or != nil && or.Escalated != nil && !asOf.Before(or.Escalated.Date) {
				r.evidence = append(r.evidence, *or.Escalated)
			}
		}
		if o.State == obligations.Missed {
			r.zh = fmt.Sprintf("%s：应于 %s 前完成，截至 %s 未完成（逾期 %d 个工作日）", o.Deadline, o.Due, asOf, o.LateWorkdays)
			r.en = fmt.Sprintf("%s: due by %s, not done as of %s (%d working days overdue)", o.Deadline, o.Due, asOf, o.LateWorkdays)
		} else {
			r.zh = fmt.Sprintf("%s：应于 %s 前完成，%s 完成（逾期 %d 个工作日）", o.Deadline, o.Due, o.Met.Date, o.LateWorkdays)
			r.en = fmt.Sprintf("%s: due by %s, done on %s (%d working days late)", o.Deadline, o.Due, o.Met.Date, o.LateWorkdays)
		}
		out = append(out, f.finding(r, o.Start, o.Deadline))
	}
	return out
}

// dutyFindings: F16 (第三十七条) for every institution and every calendar year ended
// before asOf since it was registered: fewer trainings, drills or stress tests than the
// policy's yearly minimum, or a gap between disaster backups (from registration or 1
// January to 31 December) longer than the policy allows.
func (f *Fold) dutyFindings(asOf calendar.Date) []Finding {
	var out []Finding
	insts := make([]string, 0, len(f.registered))
	for id := range f.registered {
		insts = append(insts, id)
	}
	slices.Sort(insts)
	for _, inst := range insts {
		reg := f.registered[inst]
		for y := reg.Year; y < asOf.Year; y++ {
			end := calendar.Date{Year: y, Month: 12, Day: 31}
			v := f.versionIn(y)
			if v == nil {
				continue
			}
			d := f.duties[inst][y]
			if d == nil {
				d = &duties{}
			}
			var zh, en []string
			var items []string
			check := func(have int, param, dzh, den, item string) {
				if want := v.Param(param); have < want {
					zh = append(zh, fmt.Sprintf("%s %d 次（应至少 %d 次，%s）", dzh, have, want, item))
					en = append(en, fmt.Sprintf("%d %s (at least %d required, %s)", have, den, want, Cite(item).EN))
					items = append(items, item)
				}
			}
			check(d.training, "training_min_per_year", "数据安全培训", "security trainings", "第三十七条第(四)项")
			check(d.stress, "stress_test_min_per_year", "压力测试", "stress tests", "第三十七条第(六)项")
			from := calendar.Date{Year: y, Month: 1, Day: 1}
			if from.Before(reg) {
				from = reg
			}
			maxGap, last, gap := v.Param("backup_max_interval_days"), from, 0
			// In day order: the log's order is the order of recording, which concurrent
			// writers (and late or migrated records) do not keep.
			backups := slices.SortedFunc(slices.Values(d.backups), func(a, b calendar.Date) int {
				switch {
				case a.Before(b):
					return -1
				case b.Before(a):
					return 1
				}
				return 0
			})
			for _, b := range append(backups, end) {
				gap = max(gap, days(last, b))
				last = b
			}
			if gap > maxGap {
				zh = append(zh, fmt.Sprintf("数据灾备最长间隔 %d 天（上限 %d 天，第三十七条第(七)项）", gap, maxGap))
				en = append(en, fmt.Sprintf("disaster backups %d days apart at most (limit %d, Art. 37(7))", gap, maxGap))
				items = append(items, "第三十七条第(七)项")
			}
			check(d.drill, "drill_min_per_year", "应急演练", "incident-response drills", "第三十七条第(八)项")
			if len(zh) == 0 {
				continue
			}
			r := raised{rule: "F16", inst: inst, subject: fmt.Sprint(y), arose: end.AddDays(1), items: items,
				zh: fmt.Sprintf("%d 年度：", y) + strings.Join(zh, "；"), en: fmt.Sprintf("%d: ", y) + strings.Join(en, "; ")}
			out = append(out, f.finding(r, end, ""))
			out[len(out)-1].Policy = v.ID
		}
	}
	return out
}

// versionIn is the policy version in force at the latest day of year y that has one.
func (f *Fold) versionIn(y int) *policy.Version {
	for d := (calendar.Date{Year: y, Month: 12, Day: 31}); d.Year == y; d = d.AddDays(-1) {
		if v, err := f.pol.At(d); err == nil {
			return v
		}
	}
	return nil
}

// days is the number of calendar days from a to b.
func days(a, b calendar.Date) int {
	return int(b.Start().Sub(a.Start()).Hours() / 24)
}

// enforce sets x's state from the latest rectification order, issued by asOf, that
// answers it: one naming its institution and rule, and either naming one of its evidence
// events or (naming none) issued on or after the day it arose (第四十一条).
func (f *Fold) enforce(x *Finding, asOf calendar.Date) {
	x.State = Open
	defer func() { x.StateZH, x.StateEN = x.State.ZH(), x.State.EN() }()
	if x.Rule == "F17" {
		// F17 is the refusal itself: it exists because the order's deadline passed unmet
		// (escalated, 拒不整改); a recorded referral makes it referred; an order done late
		// is rectified, late.
		x.State = Escalated
		if o := f.order(x.Subject); o != nil {
			switch {
			case o.Escalated != nil && !asOf.Before(o.Escalated.Date):
				x.State = Referred
			case o.Completed != nil && !asOf.Before(o.Completed.Date):
				x.State = Rectified
			}
		}
		return
	}
	var match *order
	for _, o := range f.orders {
		if asOf.Before(o.Ordered) || o.inst != x.Institution || !slices.Contains(o.rules, x.Rule) {
			continue
		}
		if len(o.evidence) > 0 {
			if !slices.ContainsFunc(x.Evidence, func(e Evidence) bool { return slices.Contains(o.evidence, e.ID) }) {
				continue
			}
		} else if o.Ordered.Before(x.Arose) {
			continue
		}
		match = o
	}
	if match == nil {
		return
	}
	r := match.Rectification
	if r.Completed != nil && asOf.Before(r.Completed.Date) {
		r.Completed = nil
	}
	if r.Escalated != nil && asOf.Before(r.Escalated.Date) {
		r.Escalated = nil
	}
	x.Rectification = &r
	switch {
	case r.Escalated != nil:
		x.State = Referred
	case r.Completed == nil && r.Deadline.Valid() && r.Deadline.Before(asOf):
		x.State = Escalated
	case r.Completed != nil:
		x.State = Rectified
	default:
		x.State = RectificationOrdered
	}
}
