package commands

import (
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
)

// rule is a state rule of one type beyond its signer rule: what the act may say given
// what the registry knows. cs is the case the act belongs to, if any. It returns a
// *ledger.Problem or nil.
type rule func(st *registry.State, actor string, p events.Payload, cs *registry.Case) error

const actorField = "submission.actor.institution"

func pf(f string) string { return PayloadPrefix + f }

// holds requires every listed resource to be cataloged with actor as its holder.
func holds(st *registry.State, actor, field string, resources []string, art domain.Article) error {
	for _, id := range resources {
		r, ok := st.Resource(id)
		if !ok {
			return refuse(ledger.ErrInvalid, "unknown_resource", pf(field), art, "the resource "+id+" is not in the catalog", "数据资源 "+id+" 未编入目录")
		}
		if r.Holder != actor {
			return refuse(ledger.ErrUnauthorized, "not_holder", pf(field), art,
				"only the resource's holder "+r.Holder+" may do this for "+id, "仅数据资源责任主体 "+r.Holder+" 可就 "+id+" 办理")
		}
	}
	return nil
}

// official requires person to be an official actor registered (Art. 7).
func official(st *registry.State, actor, field, person string, art domain.Article) error {
	if person == "" || st.HasPerson(actor, person) {
		return nil
	}
	return refuse(ledger.ErrInvalid, "person_not_registered", pf(field), art,
		person+" is not an official "+actor+" registered", person+" 不是 "+actor+" 已登记的工作人员")
}

// registered requires inst to be a registered institution.
func registered(st *registry.State, field, inst string, art domain.Article) error {
	if st.Registered(inst) {
		return nil
	}
	return refuse(ledger.ErrInvalid, "unknown_institution", pf(field), art, inst+" is not a registered public institution", inst+" 不是已登记的公共机构")
}

// provider requires a share or verification request to name the resource's holder as
// its provider: the case then obliges the institution that holds the data, no other.
func provider(resource, prov string, st *registry.State, art domain.Article) error {
	r, ok := st.Resource(resource)
	if !ok {
		return refuse(ledger.ErrInvalid, "unknown_resource", pf("resource"), art, "the resource is not in the catalog", "该数据资源未编入目录")
	}
	if r.Holder != prov {
		return refuse(ledger.ErrInvalid, "not_provider", pf("provider"), art,
			"the provider of "+resource+" is its holder "+r.Holder, resource+" 的数据提供单位是其责任主体 "+r.Holder)
	}
	return nil
}

// rules are the state rules per type, beyond the payload's own Validate and the
// catalogue's signer rule.
var rules = map[string]rule{
	"institution.registered.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		if id := p.(*events.InstitutionRegistered).Institution; st.Registered(id) {
			return refuse(ledger.ErrConflict, "institution_exists", pf("institution"), domain.Art(3),
				id+" is already registered; change it with institution.updated.v1", id+" 已登记，变更请使用 institution.updated.v1")
		}
		return nil
	},
	"institution.updated.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return registered(st, "institution", p.(*events.InstitutionUpdated).Institution, domain.Art(3))
	},
	"person.responsible_designated.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return official(st, actor, "person", p.(*events.ResponsibleDesignated).Person, domain.Art(7))
	},
	"person.post_assigned.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return official(st, actor, "person", p.(*events.PostAssigned).Person, domain.Art(7))
	},
	"person.post_ended.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return official(st, actor, "person", p.(*events.PostEnded).Person, domain.Art(7))
	},
	"security.approval_granted.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return official(st, actor, "approved_by", p.(*events.ApprovalGranted).ApprovedBy, domain.Art(37).ItemOf(5))
	},
	"correction.extended.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return official(st, actor, "approved_by", p.(*events.CorrectionExtended).ApprovedBy, domain.Art(20).ParaOf(2))
	},
	"catalog.entry_registered.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		e := p.(*events.CatalogEntryRegistered)
		if _, ok := st.Resource(e.Resource); ok {
			return refuse(ledger.ErrConflict, "resource_exists", pf("resource"), domain.Art(14), "a catalog entry with this id exists; update it instead", "该目录条目已存在，请使用更新")
		}
		if e.Responsible != actor && !st.IsAuthority(actor) {
			return refuse(ledger.ErrUnauthorized, "not_responsible", pf("responsible"), domain.Art(15),
				"an institution catalogs its own resources", "公共机构编制本部门（本单位）的公共数据资源目录")
		}
		return registered(st, "responsible", e.Responsible, domain.Art(7))
	},
	"catalog.update_triggered.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return holds(st, actor, "resources", p.(*events.CatalogUpdateTriggered).Resources, domain.Art(16))
	},
	"catalog.update_reported.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return holds(st, actor, "resources", p.(*events.CatalogUpdateReported).Resources, domain.Art(16))
	},
	"catalog.entry_updated.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		e := p.(*events.CatalogEntryUpdated)
		r, _ := st.Resource(e.Resource)
		if r.Opening == domain.OpeningNone && e.Opening.Attribute != domain.OpeningNone {
			return refuse(ledger.ErrInvalid, "opening_change", pf("opening.attribute"), domain.Art(30).ParaOf(2),
				"data classed none is opened only through catalog.opening_reclassified.v1, with a desensitisation record or consent",
				"不予开放数据须经 catalog.opening_reclassified.v1 并附脱敏记录或权利人同意方可开放")
		}
		if e.Responsible != "" && e.Responsible != r.Holder {
			return registered(st, "responsible", e.Responsible, domain.Art(7))
		}
		return nil
	},
	"catalog.opening_reclassified.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		e := p.(*events.OpeningReclassified)
		if r, _ := st.Resource(e.Resource); r.Opening != e.From {
			return refuse(ledger.ErrConflict, "stale_from", pf("from"), domain.Art(30),
				"the resource's opening attribute is "+r.Opening.String()+", not "+e.From.String(), "该资源当前开放属性为 "+r.Opening.String())
		}
		return nil
	},
	"share.application_submitted.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		e := p.(*events.ShareApplicationSubmitted)
		return provider(e.Resource, e.Provider, st, domain.Art(25))
	},
	"share.verification_requested.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		e := p.(*events.ShareVerificationRequested)
		return provider(e.Resource, e.Provider, st, domain.Art(25).ParaOf(2))
	},
	"correction.forwarded.v1": func(st *registry.State, actor string, p events.Payload, cs *registry.Case) error {
		if cs != nil && cs.Answerer != actor {
			return refuse(ledger.ErrUnauthorized, "not_answerer", actorField, domain.Art(20).ParaOf(3),
				"only "+cs.Answerer+", which holds the request, may forward it", "仅受理该校核申请的 "+cs.Answerer+" 可转交")
		}
		return registered(st, "institution", p.(*events.CorrectionForwarded).Institution, domain.Art(20).ParaOf(3))
	},
	"rectification.ordered.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		return registered(st, "institution", p.(*events.RectificationOrdered).Institution, domain.Art(41))
	},
	"migration.declared.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		e := p.(*events.MigrationDeclared)
		for _, m := range st.Migrations() {
			if m.ID == e.Migration {
				return refuse(ledger.ErrConflict, "migration_exists", pf("migration"), domain.Art(37).ItemOf(6),
					"a migration with this id is already declared", "该编号的迁移声明已登记")
			}
		}
		for _, inst := range e.Institutions {
			if err := registered(st, "institutions", inst, domain.Art(37).ItemOf(6)); err != nil {
				return err
			}
		}
		return nil
	},
	"access.restored.v1": func(st *registry.State, actor string, p events.Payload, _ *registry.Case) error {
		e := p.(*events.AccessRestored)
		if _, ok := st.ActiveSuspension(e.Party, e.Suspension); !ok {
			return refuse(ledger.ErrInvalid, "unknown_suspension", pf("suspension"), domain.Art(42), "no active suspension with this id for the party", "该主体无此有效暂停记录")
		}
		return nil
	},
}
