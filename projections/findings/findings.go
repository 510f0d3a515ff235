package findings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
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

// The fold's own types below have exported fields so that a snapshot (encoding/gob, which
// writes no other) can carry them; the types themselves stay unexported.

// raised is an event finding before the query day's labels are put on it.
type raised struct {
	Rule, Inst, Actor, Subject string
	Arose                      calendar.Date
	ZH, EN                     string
	Evidence                   []Evidence
	Party                      bool // Inst is the party the finding is held against (F18), maybe not an institution
	// Items replace the rule's bare 第三十七条 with the items missed (F16: 第三十七条第(八)项
	// for a drill), so a citation names the duty, not only the article.
	Items []string
}

type approval struct {
	Inst, Resource string
	Acts           []string // the acts approved, as text
	Until          calendar.Date
}

type contract struct {
	ID       string
	Signed   Evidence
	Reviewed bool
	NDA      bool
	// what it covers now, and the position of the act that last widened it (the signing
	// or a widening amendment): a widening amendment needs a review after it.
	Systems, Data []string
	Staff         int64
	Widened       uint64
}

// amendment is a widening amendment of an outsourcing contract (第三十九条), judged like
// a signing: a passed review since the last widening, confidentiality terms with it.
type amendment struct {
	Contract string
	Ev       Evidence
	Reviewed bool
	NDA      bool
	Widens   []string // what it widens, in words (zh, en pairs flattened)
	WidensEN []string
}

type duties struct {
	Training, Drill, Stress int
	Backups                 []calendar.Date
}

// emergencyDays is when an emergency was declared and, once it has, ended (F3: a
// collection outside the catalog is lawful while one is in force).
type emergencyDays struct {
	Declared, Ended calendar.Date
	HasEnded        bool
}

// inconsistency is a reported inconsistency of provided data, awaiting its resolution.
type inconsistency struct {
	Ev       Evidence
	Provider string
}

type order struct {
	Rectification
	Inst     string
	Rules    []string
	Evidence []string
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
	emergencies map[string]emergencyDays
	drafted     map[string]bool
	passed      map[string]bool
	contracts   []*contract
	amendments  []*amendment
	reviewSeq   map[string]uint64 // contract → seq of its last passed security review
	ndas        map[string][]calendar.Date
	duties      map[string]map[int]*duties
	registered  map[string]calendar.Date
	cases       map[string]inconsistency
	orders      []*order
}

// New returns an empty fold judging with pol and cal; it folds its own registry and
// obligations.
func New(pol *policy.Set, cal *calendar.Calendar) *Fold {
	reg := registry.NewWith(pol, cal)
	return &Fold{pol: pol, cal: cal, reg: reg, obl: obligations.NewWithRegistry(pol, cal, reg, false),
		approvals: map[string]approval{}, grants: map[string][]string{}, designated: map[string][2]string{},
		emergencies: map[string]emergencyDays{}, drafted: map[string]bool{}, passed: map[string]bool{},
		ndas: map[string][]calendar.Date{}, reviewSeq: map[string]uint64{}, duties: map[string]map[int]*duties{}, registered: map[string]calendar.Date{},
		cases: map[string]inconsistency{}}
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

// Findings returns every finding raised by asOf, as it stood on asOf: event findings,
// deadline findings from the obligations fold, annual security duties of years ended
// before asOf, and each one's enforcement state.
func (f *Fold) Findings(asOf calendar.Date) []Finding {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []Finding
	for _, r := range f.raised {
		if asOf.Before(r.Arose) {
			continue
		}
		out = append(out, f.finding(r, r.Evidence[len(r.Evidence)-1].Date, ""))
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
	x := Finding{Rule: r.Rule, Institution: r.Inst, Actor: r.Actor, Subject: r.Subject, Deadline: deadline,
		Evidence: r.Evidence, Arose: r.Arose, NoteZH: r.ZH, NoteEN: r.EN}
	if v, err := f.pol.At(judged); err == nil {
		rule := v.Finding(r.Rule)
		x.Policy, x.TitleZH, x.TitleEN = v.ID, rule.TitleZH, rule.TitleEN
		for _, c := range rule.Cites {
			if c == "第三十七条" && len(r.Items) > 0 {
				for _, it := range r.Items {
					x.Cites = append(x.Cites, Cite(it))
				}
				continue
			}
			x.Cites = append(x.Cites, Cite(c))
		}
		x.CiteZH, x.CiteEN = joinCites(x.Cites)
	}
	if in, ok := f.reg.Institution(r.Inst); ok {
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
		if asOf.Before(c.Signed.Date) {
			continue
		}
		nda := c.NDA || slices.Contains(f.ndas[c.ID], c.Signed.Date)
		if c.Reviewed && nda {
			continue
		}
		var zh, en []string
		if !c.Reviewed {
			zh, en = append(zh, "未经安全审查"), append(en, "no passed security review")
		}
		if !nda {
			zh, en = append(zh, "未同时签订服务安全保护及保密协议"), append(en, "no confidentiality agreement signed with it")
		}
		out = append(out, f.finding(raised{Rule: "F14", Inst: c.Signed.Institution, Actor: c.Signed.Person, Subject: c.ID, Arose: c.Signed.Date,
			ZH: "签订服务外包协议时" + strings.Join(zh, "，"), EN: "outsourcing contract signed with " + strings.Join(en, " and "),
			Evidence: []Evidence{c.Signed}}, c.Signed.Date, ""))
	}
	for _, a := range f.amendments {
		if asOf.Before(a.Ev.Date) {
			continue
		}
		nda := a.NDA || slices.Contains(f.ndas[a.Contract], a.Ev.Date)
		if a.Reviewed && nda {
			continue
		}
		var zh, en []string
		if !a.Reviewed {
			zh, en = append(zh, "扩大范围前未重新进行安全审查"), append(en, "no passed security review since the contract last widened")
		}
		if !nda {
			zh, en = append(zh, "未同时更新服务安全保护及保密协议"), append(en, "no updated confidentiality agreement signed with it")
		}
		out = append(out, f.finding(raised{Rule: "F14", Inst: a.Ev.Institution, Actor: a.Ev.Person, Subject: a.Contract, Arose: a.Ev.Date,
			ZH:       "服务外包协议变更（" + strings.Join(a.Widens, "；") + "）" + strings.Join(zh, "，"),
			EN:       "outsourcing contract amended (" + strings.Join(a.WidensEN, "; ") + ") with " + strings.Join(en, " and "),
			Evidence: []Evidence{a.Ev}}, a.Ev.Date, ""))
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
		r := raised{Rule: rule, Inst: o.Institution, Subject: o.Subject, Arose: o.Due.AddDays(1), Evidence: []Evidence{o.Trigger}}
		if o.Trigger.Institution == o.Institution {
			r.Actor = o.Trigger.Person
		}
		for _, a := range o.Acts {
			if o.Due.Before(a.Date) {
				r.Evidence = append(r.Evidence, a)
				if a.Institution == o.Institution {
					r.Actor = a.Person
				}
			}
		}
		if o.Deadline == "D11" {
			if or := f.order(o.Subject); or != nil && or.Escalated != nil && !asOf.Before(or.Escalated.Date) {
				r.Evidence = append(r.Evidence, *or.Escalated)
			}
		}
		if o.State == obligations.Missed {
			r.ZH = fmt.Sprintf("%s：应于 %s 前完成，截至 %s 未完成（逾期 %d 个工作日）", o.Deadline, o.Due, asOf, o.LateWorkdays)
			r.EN = fmt.Sprintf("%s: due by %s, not done as of %s (%d working days overdue)", o.Deadline, o.Due, asOf, o.LateWorkdays)
		} else {
			r.ZH = fmt.Sprintf("%s：应于 %s 前完成，%s 完成（逾期 %d 个工作日）", o.Deadline, o.Due, o.Met.Date, o.LateWorkdays)
			r.EN = fmt.Sprintf("%s: due by %s, done on %s (%d working days late)", o.Deadline, o.Due, o.Met.Date, o.LateWorkdays)
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
			check(d.Training, "training_min_per_year", "数据安全培训", "security trainings", "第三十七条第(四)项")
			check(d.Stress, "stress_test_min_per_year", "压力测试", "stress tests", "第三十七条第(六)项")
			from := calendar.Date{Year: y, Month: 1, Day: 1}
			if from.Before(reg) {
				from = reg
			}
			maxGap, last, gap := v.Param("backup_max_interval_days"), from, 0
			// In day order: the log's order is the order of recording, which concurrent
			// writers (and late or migrated records) do not keep.
			backups := slices.SortedFunc(slices.Values(d.Backups), func(a, b calendar.Date) int {
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
			check(d.Drill, "drill_min_per_year", "应急演练", "incident-response drills", "第三十七条第(八)项")
			if len(zh) == 0 {
				continue
			}
			r := raised{Rule: "F16", Inst: inst, Subject: fmt.Sprint(y), Arose: end.AddDays(1), Items: items,
				ZH: fmt.Sprintf("%d 年度：", y) + strings.Join(zh, "；"), EN: fmt.Sprintf("%d: ", y) + strings.Join(en, "; ")}
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
		if asOf.Before(o.Ordered) || o.Inst != x.Institution || !slices.Contains(o.Rules, x.Rule) {
			continue
		}
		if len(o.Evidence) > 0 {
			if !slices.ContainsFunc(x.Evidence, func(e Evidence) bool { return slices.Contains(o.Evidence, e.ID) }) {
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
