package accountability

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
)

// touched is the part of every payload that names the resource(s) it acts on.
type touched struct {
	Resource    string   `json:"resource"`
	Resources   []string `json:"resources"`
	Output      string   `json:"output"`
	Application string   `json:"application"`
}

// act is the entry a handler folds and the act it records (its day and position).
type act struct {
	e  *ledger.Entry
	at Act
}

func (a act) actor() string { return a.e.Submission.Actor.Institution }

// Apply folds one entry; entries below the position already folded are ignored.
func (v *View) Apply(e *ledger.Entry) {
	if e.Seq < v.next {
		return
	}
	v.next = e.Seq + 1
	v.reg.Apply(e)
	a := act{e: e, at: Act{On: fold.Day(v.reg, e), Seq: e.Seq}}
	v.timeline.add(e, a.at.On, v.named(e))
	if h, ok := handlers[e.Submission.Type]; ok {
		h(v, a)
	}
}

// named lists the resources e names: in its payload, or for a share grant through the
// application it answers.
func (v *View) named(e *ledger.Entry) []string {
	t := fold.Read[touched](e)
	var out []string
	for _, r := range append([]string{t.Resource, t.Output}, t.Resources...) {
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if t.Application != "" && e.Submission.Type == events.ShareGrantedV1 {
		if c, ok := v.reg.Case("share", t.Application); ok && c.Resource != "" && !slices.Contains(out, c.Resource) {
			out = append(out, c.Resource)
		}
	}
	return out
}

// handlers fold each type the view reads, one small function each.
var handlers = map[string]func(*View, act){
	events.InstitutionRegisteredV1:                     (*View).institutionRegistered,
	events.InstitutionUpdatedV1:                        (*View).institutionRegistered,
	events.PersonRegisteredV1:                          (*View).personRegistered,
	events.PersonResponsibleDesignatedV1:               (*View).responsibleDesignated,
	events.PersonPostAssignedV1:                        (*View).postAssigned,
	events.PersonPostEndedV1:                           (*View).postEnded,
	events.CatalogEntryRegisteredV1:                    (*View).catalogEntry,
	events.CatalogEntryUpdatedV1:                       (*View).catalogEntry,
	events.CatalogSourceDesignatedV1:                   (*View).sourceDesignated,
	events.DataCollectedV1:                             (*View).collected,
	events.DataAggregatedV1:                            (*View).aggregated,
	events.DataStoredV1:                                (*View).stored,
	events.DataProcessedV1:                             (*View).processed,
	events.DataTransmittedV1:                           (*View).transmitted,
	events.DataCopiedV1:                                (*View).copied,
	events.DataExportedV1:                              (*View).exported,
	events.DataDesensitisedV1:                          (*View).desensitised,
	events.DataSealedV1:                                disposes(CustodySealed),
	events.EmergencyDataSealedV1:                       disposes(CustodySealed),
	events.DataDestroyedV1:                             disposes(CustodyDestroyed),
	events.EmergencyDataDestroyedV1:                    disposes(CustodyDestroyed),
	events.ShareGrantedV1:                              (*View).shareGranted,
	events.ShareDataObtainedV1:                         (*View).shareObtained,
	events.ShareDataUsedV1:                             (*View).shareUsed,
	events.OpeningDataObtainedV1:                       (*View).openDataObtained,
	events.DevelopmentDataDevelopedV1:                  (*View).developed,
	events.OutsourcingContractSignedV1:                 (*View).contractSigned,
	events.OutsourcingSecurityReviewedV1:               (*View).securityReviewed,
	events.OutsourcingConfidentialityAgreementSignedV1: (*View).ndaSigned,
	events.OutsourcingContractAmendedV1:                (*View).contractAmended,
	events.OutsourcingContractTerminatedV1:             (*View).contractTerminated,
	events.OutsourcingAccountsRevokedV1:                (*View).accountsRevoked,
	events.OutsourcingProviderDeletionEvidencedV1:      (*View).deletionEvidenced,
}

func (v *View) institutionRegistered(a act) {
	p := fold.Read[events.InstitutionRegistered](a.e)
	if p.Institution == "" {
		return
	}
	in := v.institution(p.Institution)
	in.NameZH, in.NameEN, in.Level, in.County, in.DataAuthority = p.NameZH, p.NameEN, p.Level, p.County, p.DataAuthority
}

func (v *View) personRegistered(a act) {
	p := fold.Read[events.PersonRegistered](a.e)
	v.institution(a.actor()).titles[p.Person] = p.Title
}

func (v *View) responsibleDesignated(a act) {
	p := fold.Read[events.ResponsibleDesignated](a.e)
	in := v.institution(a.actor())
	in.Responsible, in.ResponsibleSince, in.ResponsibleSeq = p.Person, p.Since, a.e.Seq
}

func (v *View) postAssigned(a act) {
	p := fold.Read[events.PostAssigned](a.e)
	in := v.institution(a.actor())
	in.Posts = append(in.Posts, &Post{Person: p.Person, Post: p.Post, Since: p.Since, Seq: a.e.Seq})
}

func (v *View) postEnded(a act) {
	p := fold.Read[events.PostEnded](a.e)
	for _, po := range v.institution(a.actor()).Posts {
		if po.Person == p.Person && po.Post == p.Post && po.Ended == nil {
			po.Ended = &Act{On: a.at.On, Seq: a.e.Seq}
		}
	}
}

func (v *View) catalogEntry(a act) {
	p := fold.Read[events.CatalogEntry](a.e)
	if p.Resource == "" {
		return
	}
	r := v.resource(p.Resource)
	r.TitleZH, r.TitleEN = p.TitleZH, p.TitleEN
	r.Responsible = p.Responsible
	if r.Responsible == "" {
		r.Responsible = a.actor()
	}
	r.hold(r.Responsible, HeldResponsible, CustodyHolding, a.at)
	r.operate(p.System, r.Responsible, "institution", a.at)
}

func (v *View) sourceDesignated(a act) {
	p := fold.Read[events.SourceDesignated](a.e)
	if p.Resource == "" {
		return
	}
	r := v.resource(p.Resource)
	r.Source, r.SourceVia, r.SourceSeq = p.Source, "", a.e.Seq
	for _, d := range p.Duplicates {
		dr := v.resource(d)
		dr.Source, dr.SourceVia, dr.SourceSeq = p.Source, p.Resource, a.e.Seq
	}
}

func (v *View) collected(a act) {
	p := fold.Read[events.DataCollected](a.e)
	if p.Resource == "" {
		return
	}
	r := v.resource(p.Resource)
	var c *Collection
	for _, x := range r.Collections {
		if x.Institution == a.actor() {
			c = x
		}
	}
	if c == nil {
		c = &Collection{Institution: a.actor(), First: a.at}
		r.Collections = append(r.Collections, c)
	}
	c.Count++
	c.Records += p.Records
	c.Last = a.at
	c.Emergencies = addString(c.Emergencies, p.Emergency)
	r.hold(a.actor(), HeldCollected, CustodyHolding, a.at)
}

func (v *View) aggregated(a act) {
	if p := fold.Read[events.DataAggregated](a.e); p.Resource != "" {
		v.resource(p.Resource).operate(p.Database, v.reg.Authority(), "platform", a.at)
	}
}

func (v *View) stored(a act) {
	if p := fold.Read[events.DataStored](a.e); p.Resource != "" {
		r := v.resource(p.Resource)
		r.hold(a.actor(), HeldStored, CustodyHolding, a.at)
		r.operate(p.System, a.actor(), "institution", a.at)
	}
}

func (v *View) processed(a act) {
	if p := fold.Read[events.DataProcessed](a.e); p.Resource != "" {
		r := v.resource(p.Resource)
		r.operate(p.System, a.actor(), "institution", a.at)
		r.use(Use{User: a.actor(), Kind: UseProcessed, Purpose: p.Purpose}, p.Records, a.at)
	}
}

func (v *View) transmitted(a act) {
	p := fold.Read[events.DataTransmitted](a.e)
	if p.Resource == "" {
		return
	}
	r := v.resource(p.Resource)
	r.operate(p.System, a.actor(), "institution", a.at)
	if _, ok := v.reg.Institution(p.To); ok {
		r.hold(p.To, HeldReceived, CustodyHolding, a.at)
	}
}

func (v *View) copied(a act) {
	if p := fold.Read[events.DataCopied](a.e); p.Resource != "" {
		v.resource(p.Resource).hold(a.actor(), HeldCopied, CustodyHolding, a.at)
	}
}

func (v *View) exported(a act) {
	if p := fold.Read[events.DataExported](a.e); p.Resource != "" {
		v.resource(p.Resource).use(Use{User: a.actor(), Kind: UseExported, Grant: p.Approval, Purpose: p.Reason}, p.Records, a.at)
	}
}

func (v *View) desensitised(a act) {
	if p := fold.Read[events.DataDesensitised](a.e); p.Resource != "" {
		v.resource(p.Resource).use(Use{User: a.actor(), Kind: UseDesens, Grant: p.Approval, Purpose: p.Reason}, p.Records, a.at)
	}
}

// disposes is the handler of a sealing or destruction: it ends the acting institution's
// custody in state (another holder's copy is its own).
func disposes(state string) func(*View, act) {
	return func(v *View, a act) {
		if res := fold.Read[touched](a.e).Resource; res != "" {
			v.resource(res).hold(a.actor(), HeldDisposed, state, a.at)
		}
	}
}

func (v *View) shareGranted(a act) {
	if p := fold.Read[events.ShareGranted](a.e); p.Grant != "" {
		v.grants[p.Grant] = grant{Application: p.Application, Purposes: p.Purposes}
	}
}

func (v *View) shareObtained(a act) {
	if p := fold.Read[events.ShareDataObtained](a.e); p.Resource != "" {
		v.resource(p.Resource).hold(a.actor(), HeldObtained, CustodyHolding, a.at)
	}
}

func (v *View) shareUsed(a act) {
	p := fold.Read[events.ShareDataUsed](a.e)
	if p.Resource == "" {
		return
	}
	u := Use{User: a.actor(), Kind: UseShared, Grant: p.Grant, Purpose: p.Purpose}
	if g, ok := v.grants[p.Grant]; ok {
		within := slices.Contains(g.Purposes, p.Purpose)
		u.WithinGrant = &within
	}
	v.resource(p.Resource).use(u, p.Records, a.at)
}

func (v *View) openDataObtained(a act) {
	p := fold.Read[events.OpeningDataObtained](a.e)
	if p.Resource == "" {
		return
	}
	user := "opening/" + p.Application
	if p.Application == "" {
		user = "opening (unconditional)"
	}
	v.resource(p.Resource).use(Use{User: user, Kind: UseOpenData, Grant: p.Application}, p.Records, a.at)
}

func (v *View) developed(a act) {
	if p := fold.Read[events.DataDeveloped](a.e); p.Resource != "" {
		v.resource(p.Resource).use(Use{User: "development/" + p.Application, Kind: UseDeveloped, Grant: p.Application, Purpose: p.Product}, 0, a.at)
	}
}

func (v *View) contractSigned(a act) {
	p := fold.Read[events.ContractSigned](a.e)
	if p.Contract == "" {
		return
	}
	prior := v.pending[p.Contract]
	delete(v.pending, p.Contract)
	v.contracts[p.Contract] = &Contract{ID: p.Contract, Client: a.actor(), Provider: p.Provider, Scope: p.Scope, Systems: p.Systems, Signed: a.at,
		History: append(prior, ContractAct{Act: a.at, Type: a.e.Submission.Type, ZH: "签订：" + p.Scope + "；系统 " + strings.Join(p.Systems, "、"),
			EN: "signed: " + p.Scope + "; systems " + strings.Join(p.Systems, ", ")})}
}

func (v *View) securityReviewed(a act) {
	p := fold.Read[events.SecurityReviewed](a.e)
	zh, en := "安全审查未通过", "security review failed"
	if p.Passed {
		zh, en = "安全审查通过", "security review passed"
	}
	v.contractAct(p.Contract, ContractAct{Act: a.at, Type: a.e.Submission.Type, ZH: zh, EN: en})
}

func (v *View) ndaSigned(a act) {
	p := fold.Read[events.ConfidentialityAgreementSigned](a.e)
	v.contractAct(p.Contract, ContractAct{Act: a.at, Type: a.e.Submission.Type, ZH: "签订服务安全保护及保密协议", EN: "confidentiality agreement signed"})
}

func (v *View) contractAmended(a act) {
	p := fold.Read[events.ContractAmended](a.e)
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
	v.contractAct(p.Contract, ContractAct{Act: a.at, Type: a.e.Submission.Type, ZH: "变更 " + p.Amendment + "：" + strings.Join(zh, "；"), EN: "amendment " + p.Amendment + ": " + strings.Join(en, "; ")})
}

func (v *View) contractTerminated(a act) {
	p := fold.Read[events.ContractTerminated](a.e)
	if c, ok := v.contracts[p.Contract]; ok && c.Ended == nil {
		c.Ended = &Act{On: a.at.On, Seq: a.e.Seq}
		if d, err := calendar.Parse(p.EndedOn); err == nil {
			c.Ended.On = d
		}
	}
	v.contractAct(p.Contract, ContractAct{Act: a.at, Type: a.e.Submission.Type, ZH: "终止（" + p.Reason.ZH() + "，" + p.EndedOn + "）", EN: "ended (" + p.Reason.String() + ", " + p.EndedOn + ")"})
}

func (v *View) accountsRevoked(a act) {
	p := fold.Read[events.AccountsRevoked](a.e)
	v.contractAct(p.Contract, ContractAct{Act: a.at, Type: a.e.Submission.Type, ZH: fmt.Sprintf("撤销账号或重置密码 %d 个", p.Accounts), EN: fmt.Sprintf("%d accounts revoked or reset", p.Accounts)})
}

func (v *View) deletionEvidenced(a act) {
	p := fold.Read[events.ProviderDeletionEvidenced](a.e)
	v.contractAct(p.Contract, ContractAct{Act: a.at, Type: a.e.Submission.Type, ZH: "服务方不可逆删除已证明", EN: "provider's irreversible deletion evidenced"})
}
