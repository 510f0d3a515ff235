package commands

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
)

// The signer rules of the event catalogue (domain/events/parties.go), enforced here and
// nowhere else: every program that admits acts opens its ledger through Checker.Wire.

// standing checks who the actor is before what it does: an institution acting is one
// the root registered (Art. 3), and the person named is an official it registered
// (Art. 7), so that no key of one institution can put an act on someone no institution
// answers for. The key itself (registered, bound to the institution and, for a personal
// key, the person; its role allowed to sign the type) is the ledger's rule
// (ledger.Registry.Authorize), checked before this one.
func (c *Checker) standing(t *events.Type, s *ledger.Signed, p events.Payload) error {
	sub := &s.Submission
	actor := sub.Actor.Institution
	switch t.Signer {
	case ledger.RoleLedger:
		return nil // the ledger's own records name the person they concern
	case ledger.RoleRoot:
		// The root acts for the authority; once the authority has registered officials,
		// the person who used the root key must be one of them.
		if c.state.People(actor) > 0 && !c.state.HasPerson(actor, sub.Actor.Person) {
			return personUnregistered(actor, sub.Actor.Person)
		}
		return nil
	}
	if !c.state.Registered(actor) {
		return refuse(ledger.ErrUnauthorized, "institution_not_registered", actorField, domain.Art(3),
			actor+" is not a registered public institution (institution.registered.v1, signed by the root)",
			actor+" 不是已登记的公共机构（须由根密钥签署 institution.registered.v1）")
	}
	if c.state.HasPerson(actor, sub.Actor.Person) {
		return nil
	}
	// An institution's first official registers itself: nobody else could.
	if reg, ok := p.(*events.PersonRegistered); ok && c.state.People(actor) == 0 && reg.Person == sub.Actor.Person {
		return nil
	}
	return personUnregistered(actor, sub.Actor.Person)
}

func personUnregistered(inst, person string) *ledger.Problem {
	return refuse(ledger.ErrUnauthorized, "person_not_registered", "submission.actor.person", domain.Art(7),
		fmt.Sprintf("%s is not an official %s registered (person.registered.v1)", person, inst),
		fmt.Sprintf("%s 不是 %s 已登记的工作人员（person.registered.v1）", person, inst))
}

// caseOf finds the case the act belongs to and applies its opening rule: an act that
// opens a case needs a new id, one that continues it needs a recorded case.
func (c *Checker) caseOf(t *events.Type, p events.Payload) (*registry.Case, error) {
	if t.Case == nil {
		return nil, nil
	}
	id := events.FieldString(p, t.Case.Field)
	cs, ok := c.state.Case(t.Case.Kind, id)
	art := t.Articles[0]
	switch {
	case ok && t.Case.Open == events.Opens:
		return nil, refuse(ledger.ErrConflict, "case_exists", pf(t.Case.Field), art,
			fmt.Sprintf("a %s with id %s is already recorded; choose another id", t.Case.Kind, id),
			fmt.Sprintf("编号为 %s 的%s已登记，请使用其他编号", id, caseZH(t.Case.Kind)))
	case !ok && t.Case.Open == events.Continues:
		return nil, refuse(ledger.ErrInvalid, "unknown_"+t.Case.Kind, pf(t.Case.Field), art,
			fmt.Sprintf("no %s with id %s is recorded", t.Case.Kind, id), fmt.Sprintf("未登记编号为 %s 的%s", id, caseZH(t.Case.Kind)))
	case ok && cs.Closed && needsOpen[t.Name]:
		return nil, refuse(ledger.ErrConflict, "already_closed", pf(t.Case.Field), art,
			fmt.Sprintf("the %s %s was already answered or closed", t.Case.Kind, id), fmt.Sprintf("%s %s 已答复或已关闭", caseZH(t.Case.Kind), id))
	}
	if !ok {
		return nil, nil
	}
	return &cs, nil
}

// needsOpen are the acts that answer or move a case on, refused once it is closed
// (a second answer to one application).
var needsOpen = map[string]bool{
	"share.granted.v1": true, "share.refused.v1": true, "share.verification_answered.v1": true,
	"opening.granted.v1": true, "opening.refused.v1": true,
	"development.qualification_granted.v1": true, "development.qualification_refused.v1": true,
	"correction.forwarded.v1": true, "correction.extended.v1": true, "correction.completed.v1": true,
	"subject_request.answered.v1": true, "rectification.completed.v1": true,
	"emergency.ended.v1": true, "outsourcing.contract_terminated.v1": true, "outsourcing.contract_amended.v1": true, "data.inconsistency_resolved.v1": true,
}

func caseZH(kind string) string { _, zh := events.CaseName(kind); return zh }

// caseDecides reports whether who may sign t depends on its case.
func caseDecides(t *events.Type) bool {
	for _, x := range t.Who {
		if x == events.WhoOpener || x == events.WhoAnswerer {
			return true
		}
	}
	return false
}

// signer applies the type's signer rule: the actor must be one of the parties it lists.
func (c *Checker) signer(t *events.Type, actor string, p events.Payload, cs *registry.Case) error {
	for _, x := range t.Who {
		if c.is(x, t, actor, p, cs) {
			return nil
		}
	}
	code := "not_permitted"
	if len(t.Who) == 1 {
		code = "not_" + string(t.Who[0])
	}
	en, zh := t.Describe()
	return refuse(ledger.ErrUnauthorized, code, actorField, t.Articles[0],
		fmt.Sprintf("only %s may record %s", en, t.Name), fmt.Sprintf("仅%s可办理 %s", zh, t.Name))
}

// is reports whether actor is party x to an act of type t with payload p on case cs.
func (c *Checker) is(x events.Who, t *events.Type, actor string, p events.Payload, cs *registry.Case) bool {
	switch x {
	case events.WhoRoot, events.WhoLedger:
		return true // the key's role was checked by standing, its binding by the ledger
	case events.WhoAuthority:
		return c.state.IsAuthority(actor)
	case events.WhoSelf, events.WhoActor:
		return true // the stream is the actor's own, or the act is the actor's own fact
	case events.WhoHolder:
		if sp, ok := p.(*events.AccessSuspended); ok {
			// A holder suspends access to its own resources only, and names them (Art. 42).
			if len(sp.Resources) == 0 {
				return false
			}
			for _, r := range sp.Resources {
				if res, ok := c.state.Resource(r); !ok || res.Holder != actor {
					return false
				}
			}
			return true
		}
		field := t.Resource
		if field == "" {
			field = "resource"
		}
		res, ok := c.state.Resource(events.FieldString(p, field))
		return ok && res.Holder == actor
	case events.WhoOpener:
		if cs == nil {
			return t.Case != nil && t.Case.Open != events.Continues
		}
		return cs.By == actor
	case events.WhoAnswerer:
		return cs != nil && cs.Answerer == actor
	case events.WhoCollector:
		return c.state.Collected(events.FieldString(p, "emergency"), events.FieldString(p, "resource"), actor)
	case events.WhoApprover:
		return events.FieldString(p, "approver") == actor
	case events.WhoIssuer:
		sp, ok := c.state.ActiveSuspension(events.FieldString(p, "party"), events.FieldString(p, "suspension"))
		return ok && sp.Issuer == actor
	}
	return false
}
