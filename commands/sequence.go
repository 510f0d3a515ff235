package commands

import (
	"encoding/json"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Sequence is ledger.Options.Sequence: what only the order of the log decides. Check
// runs on many submissions at once against the registry as last committed, so two acts
// that open the same case (or catalogue the same resource, or register the same
// institution) can both pass it; in log order only the first is recorded, and the second
// is refused as Check would have refused it a moment later. Without this, an insider
// racing an institution's legitimate act could take its case id and read what others
// then write there.
func (c *Checker) Sequence() func(*ledger.Signed, uint64) error {
	opened := map[string]string{} // stream → opener, for cases opened earlier in this attempt
	claimed := map[string]bool{}  // resources catalogued earlier in this attempt
	return func(s *ledger.Signed, version uint64) error {
		sub := &s.Submission
		t, ok := events.Lookup(sub.Type)
		if !ok {
			return nil
		}
		actor := sub.Actor.Institution
		switch {
		case t.Name == "institution.registered.v1" && version > 0:
			return refuse(ledger.ErrConflict, "institution_exists", pf("institution"), domain.Art(3),
				"the institution was registered a moment ago", "该机构刚刚已被登记")
		case t.Name == "catalog.entry_registered.v1":
			id := payloadString(sub.Payload, "resource")
			if _, ok := c.state.Resource(id); ok || claimed[id] {
				return refuse(ledger.ErrConflict, "resource_exists", pf("resource"), domain.Art(14),
					"a catalog entry with this id was registered a moment ago", "该目录条目刚刚已被登记")
			}
			claimed[id] = true
		case t.Case == nil:
		case t.Case.Open == events.Opens && version > 0:
			return refuse(ledger.ErrConflict, "case_exists", pf(t.Case.Field), t.Articles[0],
				"a "+t.Case.Kind+" with this id was recorded a moment ago; choose another id", "该编号的"+caseZH(t.Case.Kind)+"刚刚已被登记，请使用其他编号")
		case t.Case.Open == events.OpensOrContinues:
			opener := actor
			if t.Name == "project.preliminary_reviewed.v1" {
				opener = payloadString(sub.Payload, "owner") // the authority reviews the owner's project
			}
			if version == 0 {
				opened[sub.Stream] = opener
				return nil
			}
			if t.Name == "project.approved.v1" && payloadString(sub.Payload, "approver") == actor {
				return nil // the approving body records its approval on the owner's project
			}
			first, ok := opened[sub.Stream]
			if !ok {
				if cs, found := c.state.Case(t.Case.Kind, payloadString(sub.Payload, t.Case.Field)); found {
					first = cs.By
				}
			}
			if first != "" && first != opener {
				return refuse(ledger.ErrConflict, "case_exists", pf(t.Case.Field), t.Articles[0],
					"this "+t.Case.Kind+" was opened a moment ago by "+first, "该"+caseZH(t.Case.Kind)+"刚刚已由 "+first+" 登记")
			}
		}
		return nil
	}
}

// payloadString reads one top-level string member of a payload the checker already
// admitted (so it is valid JSON); it costs far less than decoding the whole payload.
func payloadString(payload json.RawMessage, field string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return ""
	}
	var s string
	_ = json.Unmarshal(m[field], &s)
	return s
}
