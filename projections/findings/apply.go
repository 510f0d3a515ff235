package findings

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
	"github.com/aba-prefecture/dataledger/projections/internal/snapshot"
	"github.com/aba-prefecture/dataledger/projections/obligations"
)

// act is the entry a handler folds, with the evidence it makes.
type act struct {
	e  *ledger.Entry
	Ev Evidence
}

func (a act) actorInst() string { return a.e.Submission.Actor.Institution }

// handlers fold the types a rule reads, one small function each; every entry also
// passes the late-record and suspension checks, whatever its type.
var handlers = map[string]func(*Fold, act){
	events.DataCopiedV1:                                (*Fold).supervisedAct,
	events.DataExportedV1:                              (*Fold).supervisedAct,
	events.DataDesensitisedV1:                          (*Fold).supervisedAct,
	events.DataModifiedV1:                              (*Fold).supervisedAct,
	events.DataDeletedV1:                               (*Fold).supervisedAct,
	events.InstitutionRegisteredV1:                     (*Fold).institutionRegistered,
	events.SecurityApprovalGrantedV1:                   (*Fold).approvalGranted,
	events.ShareGrantedV1:                              (*Fold).shareGranted,
	events.ShareDataUsedV1:                             (*Fold).shareDataUsed,
	events.CatalogSourceDesignatedV1:                   (*Fold).sourceDesignated,
	events.EmergencyDeclaredV1:                         (*Fold).emergencyDeclared,
	events.EmergencyEndedV1:                            (*Fold).emergencyEnded,
	events.DataCollectedV1:                             func(f *Fold, a act) { f.collected(a.Ev, fold.Read[events.DataCollected](a.e)) },
	events.DataAggregationRefusedV1:                    (*Fold).aggregationRefused,
	events.DataInconsistencyReportedV1:                 (*Fold).inconsistencyReported,
	events.DataInconsistencyResolvedV1:                 (*Fold).inconsistencyResolved,
	events.ProjectCatalogDraftedV1:                     (*Fold).projectDrafted,
	events.ProjectApprovedV1:                           (*Fold).projectApproved,
	events.ProjectAcceptedV1:                           (*Fold).projectAccepted,
	events.OutsourcingSecurityReviewedV1:               (*Fold).securityReviewed,
	events.OutsourcingContractSignedV1:                 (*Fold).contractSigned,
	events.OutsourcingContractAmendedV1:                func(f *Fold, a act) { f.amended(a.Ev, fold.Read[events.ContractAmended](a.e)) },
	events.OutsourcingConfidentialityAgreementSignedV1: (*Fold).ndaSigned,
	events.OpeningGrantedV1:                            (*Fold).openingGranted,
	events.LedgerAccessRefusedV1:                       (*Fold).accessRefused,
	events.SecurityTrainingHeldV1: func(f *Fold, a act) {
		f.duty(a.actorInst(), f.heldOn(a.e, fold.Read[events.TrainingHeld](a.e).HeldOn, a.Ev.Date)).Training++
	},
	events.SecurityDrillHeldV1: func(f *Fold, a act) {
		f.duty(a.actorInst(), f.heldOn(a.e, fold.Read[events.DrillHeld](a.e).HeldOn, a.Ev.Date)).Drill++
	},
	events.SecurityStressTestedV1: func(f *Fold, a act) { f.duty(a.actorInst(), a.Ev.Date).Stress++ },
	events.SecurityBackupCompletedV1: func(f *Fold, a act) {
		d := f.duty(a.actorInst(), a.Ev.Date)
		d.Backups = append(d.Backups, a.Ev.Date)
	},
	events.RectificationOrderedV1:   (*Fold).rectificationOrdered,
	events.RectificationCompletedV1: (*Fold).rectificationCompleted,
	events.RectificationEscalatedV1: (*Fold).rectificationEscalated,
}

func (f *Fold) apply(e *ledger.Entry) {
	ev := obligations.RefOf(e, f.reg.TimeOf(e))
	f.lateRecord(ev, &e.Submission)
	f.suspendedAct(ev, e.Submission.Type, e.Submission.Payload)
	if h, ok := handlers[e.Submission.Type]; ok {
		h(f, act{e: e, Ev: ev})
	}
}

func (f *Fold) raise(rule string, ev Evidence, subject, zh, en string, more ...Evidence) {
	f.raised = append(f.raised, raised{Rule: rule, Inst: ev.Institution, Actor: ev.Person, Subject: subject, Arose: ev.Date,
		ZH: zh, EN: en, Evidence: append([]Evidence{ev}, more...)})
}

// supervised are the acts that need the supervising approval (F12) or, modifying and
// deleting, an authorising one (F11).
var supervised = map[string]domain.SupervisedAct{
	events.DataCopiedV1: domain.ActCopy, events.DataExportedV1: domain.ActExport, events.DataDesensitisedV1: domain.ActDesensitise,
	events.DataModifiedV1: domain.ActModify, events.DataDeletedV1: domain.ActDelete,
}

func (f *Fold) supervisedAct(a act) {
	kind := supervised[a.e.Submission.Type]
	p := fold.Read[events.Supervised](a.e)
	ap, found := f.approvals[p.Approval]
	if p.Approval != "" && found && ap.Inst == a.actorInst() && ap.Resource == p.Resource && slices.Contains(ap.Acts, kind.String()) &&
		(!ap.Until.Valid() || !ap.Until.Before(a.Ev.Date)) {
		return
	}
	rule, zh, en := "F12", "未经监督审批", "without the supervising approval"
	if kind == domain.ActModify || kind == domain.ActDelete {
		rule, zh, en = "F11", "未经批准", "without an authorising approval"
	}
	if p.Approval != "" {
		zh, en = fmt.Sprintf("所引审批 %s 不涵盖此行为", p.Approval), fmt.Sprintf("approval %s does not cover this act", p.Approval)
	}
	f.raise(rule, a.Ev, p.Resource, fmt.Sprintf("%s %s（%d 条）：%s", kind.ZH(), p.Resource, p.Records, zh),
		fmt.Sprintf("%s of %s (%d records) %s", kind.String(), p.Resource, p.Records, en))
}

func (f *Fold) institutionRegistered(a act) {
	id := fold.Read[events.InstitutionRegistered](a.e).Institution
	if _, ok := f.registered[id]; !ok {
		f.registered[id] = a.Ev.Date
	}
}

func (f *Fold) approvalGranted(a act) {
	p := fold.Read[events.ApprovalGranted](a.e)
	until, _ := calendar.Parse(p.ValidUntil)
	f.approvals[p.Approval] = approval{Inst: a.actorInst(), Resource: p.Resource, Acts: snapshot.Texts(p.Acts), Until: until}
}

func (f *Fold) shareGranted(a act) {
	p := fold.Read[events.ShareGranted](a.e)
	f.grants[p.Grant] = p.Purposes
}

func (f *Fold) shareDataUsed(a act) {
	p := fold.Read[events.ShareDataUsed](a.e)
	if ps, ok := f.grants[p.Grant]; ok && p.Grant != "" && !slices.Contains(ps, p.Purpose) {
		f.raise("F10", a.Ev, p.Resource, fmt.Sprintf("按授权 %s 获取的数据用于“%s”，授权用途为：%s", p.Grant, p.Purpose, strings.Join(ps, "；")),
			fmt.Sprintf("data shared under grant %s used for %q; granted purposes: %s", p.Grant, p.Purpose, strings.Join(ps, "; ")))
	}
}

func (f *Fold) sourceDesignated(a act) {
	p := fold.Read[events.SourceDesignated](a.e)
	for _, d := range p.Duplicates {
		f.designated[d] = [2]string{p.Resource, p.Source}
	}
}

func (f *Fold) emergencyDeclared(a act) {
	f.emergencies[fold.Read[events.EmergencyDeclared](a.e).Emergency] = emergencyDays{Declared: a.Ev.Date}
}

func (f *Fold) emergencyEnded(a act) {
	p := fold.Read[events.EmergencyEnded](a.e)
	if em, ok := f.emergencies[p.Emergency]; ok {
		em.Ended, em.HasEnded = obligations.StartOf(p.EndedOn, a.Ev.Date), true
		f.emergencies[p.Emergency] = em
	}
}

func (f *Fold) aggregationRefused(a act) {
	if p := fold.Read[events.AggregationRefused](a.e); p.LegalBasis == "" {
		f.raise("F6", a.Ev, p.Resource, "拒绝归集："+p.Reason, "aggregation refused: "+p.Reason)
	}
}

func (f *Fold) inconsistencyReported(a act) {
	p := fold.Read[events.InconsistencyReported](a.e)
	f.cases[p.Case] = inconsistency{Ev: a.Ev, Provider: p.Provider}
}

func (f *Fold) inconsistencyResolved(a act) {
	p := fold.Read[events.InconsistencyResolved](a.e)
	if c, ok := f.cases[p.Case]; ok && p.Confirmed {
		// The fault is the provider's data, not an act: the finding names the provider and
		// no acting person (the catalogue does not say who provided the data).
		f.raised = append(f.raised, raised{Rule: "F8", Inst: c.Provider, Subject: p.Case, Arose: a.Ev.Date,
			ZH: "经核实提供的数据不一致或无法使用：" + p.Resolution, EN: "provided data confirmed inconsistent or unusable: " + p.Resolution,
			Evidence: []Evidence{c.Ev, a.Ev}})
	}
}

func (f *Fold) projectDrafted(a act) {
	f.drafted[fold.Read[events.ProjectCatalogDrafted](a.e).Project] = true
}

func (f *Fold) projectApproved(a act) {
	p := fold.Read[events.ProjectApproved](a.e)
	if f.drafted[p.Project] {
		return
	}
	// The unit building the system compiles its catalog (第十二条): F2 falls on the
	// project's owner (the case's opener, or the owner the authority's preliminary
	// review named); the approving body appears as the approver, not the offender.
	owner, person := a.actorInst(), a.e.Submission.Actor.Person
	if c, ok := f.reg.Case("project", p.Project); ok && c.By != "" && c.By != a.actorInst() {
		owner, person = c.By, ""
	}
	f.raised = append(f.raised, raised{Rule: "F2", Inst: owner, Actor: person, Subject: p.Project, Arose: a.Ev.Date, Evidence: []Evidence{a.Ev},
		ZH: fmt.Sprintf("项目审批前未编制项目数据资源目录（建设单位 %s；审批机关 %s，%s）", owner, p.Approver, p.ApprovalRef),
		EN: fmt.Sprintf("project approved without a project data-resource catalog (owner %s; approved by %s, %s)", owner, p.Approver, p.ApprovalRef)})
}

func (f *Fold) projectAccepted(a act) {
	if p := fold.Read[events.ProjectAccepted](a.e); !p.CatalogOnPlatform {
		f.raise("F2", a.Ev, p.Project, "项目验收时目录未纳入阿坝州大数据平台", "project accepted without its catalog on the platform")
	}
}

func (f *Fold) securityReviewed(a act) {
	if p := fold.Read[events.SecurityReviewed](a.e); p.Passed {
		f.passed[p.Contract] = true
		f.reviewSeq[p.Contract] = a.e.Seq
	}
}

func (f *Fold) contractSigned(a act) {
	p := fold.Read[events.ContractSigned](a.e)
	f.contracts = append(f.contracts, &contract{ID: p.Contract, Signed: a.Ev, Reviewed: f.passed[p.Contract], NDA: p.ConfidentialityAgreement != nil,
		Systems: slices.Clone(p.Systems), Widened: a.e.Seq})
}

func (f *Fold) ndaSigned(a act) {
	c := fold.Read[events.ConfidentialityAgreementSigned](a.e).Contract
	f.ndas[c] = append(f.ndas[c], a.Ev.Date)
}

func (f *Fold) openingGranted(a act) {
	if p := fold.Read[events.OpeningGranted](a.e); p.SecurityCommitment == nil || p.UseAgreement == nil {
		f.raise("F15", a.Ev, p.Application, "有条件开放未签署安全承诺书和开放利用协议", "conditional opening granted without a signed security commitment and use agreement")
	}
}

func (f *Fold) accessRefused(a act) {
	p := fold.Read[events.AccessRefused](a.e)
	// The ledger signs this entry for the institution that correctly refused the
	// attempt (ActorInstitution submitted it): the finding is held against the party
	// whose access was suspended (第四十二条), on the day the attempt claims, bounded
	// by the late-record rule.
	ev := a.Ev
	ev.Institution, ev.Person = p.ActorInstitution, p.ActorPerson
	zh, en := f.scope(p.Party, p.Suspension)
	f.raiseParty(p.Party, ev, p.Suspension, fmt.Sprintf("已暂停获取权限的当事人 %s 试图 %s，%s 拒绝并记录（提交 %s）；暂停 %s：%s", p.Party, p.RefusedType, p.ActorInstitution, p.RefusedID, p.Suspension, zh),
		fmt.Sprintf("party %s, whose access was suspended, attempted %s; refused and recorded by %s (submission %s); suspension %s: %s", p.Party, p.RefusedType, p.ActorInstitution, p.RefusedID, p.Suspension, en))
}

func (f *Fold) rectificationOrdered(a act) {
	p := fold.Read[events.RectificationOrdered](a.e)
	dl, _ := calendar.Parse(p.Deadline)
	f.orders = append(f.orders, &order{Rectification: Rectification{Order: p.Order, Seq: a.Ev.Seq, Ordered: a.Ev.Date, Deadline: dl},
		Inst: p.Institution, Rules: p.Findings, Evidence: p.Evidence})
}

func (f *Fold) rectificationCompleted(a act) {
	if o := f.order(fold.Read[events.RectificationCompleted](a.e).Order); o != nil && o.Completed == nil {
		ev := a.Ev
		o.Completed = &ev
	}
}

func (f *Fold) rectificationEscalated(a act) {
	if o := f.order(fold.Read[events.RectificationEscalated](a.e).Order); o != nil && o.Escalated == nil {
		ev := a.Ev
		o.Escalated = &ev
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
	if s.Type == events.LedgerAccessRefusedV1 {
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
		if x.ID == p.Contract {
			c = x
		}
	}
	if c == nil {
		return
	}
	var zh, en []string
	if add := missing(p.Systems, c.Systems); len(add) > 0 {
		zh, en = append(zh, "新增系统 "+strings.Join(add, "、")), append(en, "adds systems "+strings.Join(add, ", "))
	}
	if add := missing(p.Data, c.Data); len(add) > 0 {
		zh, en = append(zh, "新增数据 "+strings.Join(add, "、")), append(en, "adds data "+strings.Join(add, ", "))
	}
	if p.ProviderStaff > c.Staff && c.Staff > 0 {
		zh, en = append(zh, fmt.Sprintf("服务方人员由 %d 增至 %d", c.Staff, p.ProviderStaff)), append(en, fmt.Sprintf("provider staff from %d to %d", c.Staff, p.ProviderStaff))
	}
	for _, s := range p.Systems {
		if !slices.Contains(c.Systems, s) {
			c.Systems = append(c.Systems, s)
		}
	}
	for _, d := range p.Data {
		if !slices.Contains(c.Data, d) {
			c.Data = append(c.Data, d)
		}
	}
	if p.ProviderStaff > 0 {
		c.Staff = p.ProviderStaff
	}
	if len(zh) == 0 {
		return
	}
	f.amendments = append(f.amendments, &amendment{Contract: p.Contract, Ev: ev, Reviewed: f.reviewSeq[p.Contract] > c.Widened,
		NDA: p.ConfidentialityAgreement != nil, Widens: zh, WidensEN: en})
	c.Widened = ev.Seq
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
	f.raised = append(f.raised, raised{Rule: "F18", Inst: party, Subject: subject, Arose: ev.Date, ZH: zh, EN: en,
		Evidence: []Evidence{ev}, Party: true})
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
		active := p.Emergency != "" && declared && !ev.Date.Before(em.Declared) && (!em.HasEnded || !em.Ended.Before(ev.Date))
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
