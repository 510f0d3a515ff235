package commands

import (
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
)

// rule is an authorisation or state rule of one type: who may do the act, given what the
// registry knows. It returns a *ledger.Problem or nil.
type rule func(st *registry.State, actor string, p events.Payload) error

const actorField = "submission.actor.institution"

func pf(f string) string { return PayloadPrefix + f }

// answerer requires the actor to be the one a case names to answer it, and the case open.
func answerer(kind, field string, art domain.Article, what, whatZH string) rule {
	return func(st *registry.State, actor string, p events.Payload) error {
		id := events.FieldString(p, field)
		c, ok := st.Case(kind, id)
		if !ok {
			return refuse(ledger.ErrInvalid, "unknown_"+kind, pf(field), art, "no such "+what+" is recorded", "未登记该"+whatZH)
		}
		if c.Closed {
			return refuse(ledger.ErrConflict, "already_closed", pf(field), art, "the "+what+" was already answered or closed", "该"+whatZH+"已答复或已关闭")
		}
		if c.Answerer != "" && c.Answerer != actor {
			return refuse(ledger.ErrUnauthorized, "not_answerer", actorField, art,
				"only "+c.Answerer+" may act on this "+what, "仅 "+c.Answerer+" 可处理该"+whatZH)
		}
		return nil
	}
}

// holder requires the actor to hold (be responsible for) the resource in the payload.
func holder(art domain.Article) rule {
	return func(st *registry.State, actor string, p events.Payload) error {
		id := events.FieldString(p, "resource")
		r, ok := st.Resource(id)
		if !ok {
			return refuse(ledger.ErrInvalid, "unknown_resource", pf("resource"), art, "the resource is not in the catalog", "该数据资源未编入目录")
		}
		if r.Holder != actor {
			return refuse(ledger.ErrUnauthorized, "not_holder", actorField, art,
				"only the resource's holder "+r.Holder+" may do this", "仅数据资源责任主体 "+r.Holder+" 可办理")
		}
		return nil
	}
}

// rules are the state rules per type, beyond the payload's own Validate and the
// authority-only flag of the catalogue.
var rules = map[string]rule{
	"catalog.entry_registered.v1": func(st *registry.State, actor string, p events.Payload) error {
		e := p.(*events.CatalogEntryRegistered)
		if _, ok := st.Resource(e.Resource); ok {
			return refuse(ledger.ErrConflict, "resource_exists", pf("resource"), domain.Art(14), "a catalog entry with this id exists; update it instead", "该目录条目已存在，请使用更新")
		}
		if e.Responsible != actor && !st.IsAuthority(actor) {
			return refuse(ledger.ErrUnauthorized, "not_responsible", pf("responsible"), domain.Art(15),
				"an institution catalogs its own resources", "公共机构编制本部门（本单位）的公共数据资源目录")
		}
		return nil
	},
	"catalog.entry_updated.v1": func(st *registry.State, actor string, p events.Payload) error {
		e := p.(*events.CatalogEntryUpdated)
		if err := holder(domain.Art(16))(st, actor, p); err != nil {
			return err
		}
		r, _ := st.Resource(e.Resource)
		if r.Opening == domain.OpeningNone && e.Opening.Attribute != domain.OpeningNone {
			return refuse(ledger.ErrInvalid, "opening_change", pf("opening.attribute"), domain.Art(30).ParaOf(2),
				"data classed none is opened only through catalog.opening_reclassified.v1, with a desensitisation record or consent",
				"不予开放数据须经 catalog.opening_reclassified.v1 并附脱敏记录或权利人同意方可开放")
		}
		return nil
	},
	"catalog.opening_reclassified.v1": func(st *registry.State, actor string, p events.Payload) error {
		e := p.(*events.OpeningReclassified)
		if err := holder(domain.Art(30))(st, actor, p); err != nil {
			return err
		}
		if r, _ := st.Resource(e.Resource); r.Opening != e.From {
			return refuse(ledger.ErrConflict, "stale_from", pf("from"), domain.Art(30),
				"the resource's opening attribute is "+r.Opening.String()+", not "+e.From.String(), "该资源当前开放属性为 "+r.Opening.String())
		}
		return nil
	},
	"opening.published.v1":                 holder(domain.Art(31)),
	"opening.suspended.v1":                 holder(domain.Art(33)),
	"opening.resumed.v1":                   holder(domain.Art(33)),
	"opening.withdrawal_answered.v1":       holder(domain.Art(33)),
	"share.granted.v1":                     answerer("share", "application", domain.Art(25), "share application", "共享申请"),
	"share.refused.v1":                     answerer("share", "application", domain.Art(25), "share application", "共享申请"),
	"share.verification_answered.v1":       answerer("verification", "request", domain.Art(25).ParaOf(2), "verification request", "核实比对需求"),
	"opening.granted.v1":                   answerer("opening", "application", domain.Art(32), "opening application", "开放申请"),
	"opening.refused.v1":                   answerer("opening", "application", domain.Art(32), "opening application", "开放申请"),
	"development.qualification_granted.v1": answerer("development", "application", domain.Art(35), "qualification application", "开发资格申请"),
	"development.qualification_refused.v1": answerer("development", "application", domain.Art(35), "qualification application", "开发资格申请"),
	"correction.extended.v1":               answerer("correction", "request", domain.Art(20), "correction request", "校核申请"),
	"correction.completed.v1":              answerer("correction", "request", domain.Art(20), "correction request", "校核申请"),
	"correction.forwarded.v1":              answerer("correction", "request", domain.Art(20).ParaOf(3), "correction request", "校核申请"),
	"subject_request.answered.v1":          answerer("subject", "request", domain.Art(22), "data-subject request", "数据主体请求"),
	"rectification.completed.v1":           answerer("rectification", "order", domain.Art(41), "rectification order", "整改通知"),
	"emergency.ended.v1":                   answerer("emergency", "emergency", domain.Art(21), "emergency", "紧急情况"),
	"outsourcing.contract_terminated.v1":   answerer("contract", "contract", domain.Art(39), "outsourcing contract", "服务外包协议"),
	"access.restored.v1": func(st *registry.State, actor string, p events.Payload) error {
		e := p.(*events.AccessRestored)
		if _, ok := st.ActiveSuspension(e.Party, e.Suspension); !ok {
			return refuse(ledger.ErrInvalid, "unknown_suspension", pf("suspension"), domain.Art(42), "no active suspension with this id for the party", "该主体无此有效暂停记录")
		}
		return nil
	},
	"rectification.escalated.v1": func(st *registry.State, actor string, p events.Payload) error {
		if _, ok := st.Case("rectification", p.(*events.RectificationEscalated).Order); !ok {
			return refuse(ledger.ErrInvalid, "unknown_rectification", pf("order"), domain.Art(41), "no such rectification order is recorded", "未登记该整改通知")
		}
		return nil
	},
}
