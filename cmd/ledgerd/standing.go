package main

import (
	"sort"

	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/projections/emergencies"
	"github.com/aba-prefecture/dataledger/projections/readmodel"
)

// zeroGroup is one label pair a compliance series can carry: a deadline or rule and the
// article it is labelled with.
type zeroGroup struct{ id, article string }

// zeroGroups are every group the policy's versions can produce, so that each registered
// institution's series exist at 0 before its first overdue obligation or finding (and
// increase() counts that first one).
type zeroGroups struct{ deadlines, rules []zeroGroup }

// zeroGroupsOf lists the groups of every version of pol: a deadline with the article
// that sets it; a rule with the article its citations name and, for a deadline rule, the
// article of each deadline it judges (F9: 25 from D5, 33 from D6 and D7).
func zeroGroupsOf(pol *policy.Set) zeroGroups {
	dl, rl := map[zeroGroup]bool{}, map[zeroGroup]bool{}
	for _, v := range pol.Versions() {
		for _, id := range policy.DeadlineIDs {
			dl[zeroGroup{id, articleOf(v.Deadline(id).Articles)}] = true
		}
		for _, id := range policy.FindingIDs {
			fr := v.Finding(id)
			rl[zeroGroup{id, articleOf(fr.Cites)}] = true
			for _, d := range fr.Deadlines {
				if a := articleOf(v.Deadline(d).Articles); a != "" {
					rl[zeroGroup{id, a}] = true
				}
			}
		}
	}
	return zeroGroups{deadlines: sortedGroups(dl), rules: sortedGroups(rl)}
}

func sortedGroups(m map[zeroGroup]bool) []zeroGroup {
	out := make([]zeroGroup, 0, len(m))
	for g := range m {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].id != out[j].id {
			return out[i].id < out[j].id
		}
		return out[i].article < out[j].article
	})
	return out
}

// prefectureLevel is the county label of an institution at prefecture level.
const prefectureLevel = "prefecture"

// standingOf is the registry's part of the standing (institutions, suspensions) with the
// emergency register's, judged as of today. The caller holds f.mu.
func (f *complianceFollower) standingOf(reg *registry.State, today calendar.Date) compliance.Standing {
	s := compliance.Standing{Suspended: map[string]int{}, Emergencies: map[string]int{}}
	insts := reg.Institutions()
	for _, in := range insts {
		county := in.County
		if county == "" {
			county = prefectureLevel
		}
		s.Institutions = append(s.Institutions, compliance.Institution{ID: in.ID, County: county})
		for _, st := range compliance.AwaitingStates {
			s.EmergencyData = append(s.EmergencyData, compliance.EmergencyData{Institution: in.ID, State: st})
		}
	}
	for k, n := range reg.SuspendedParties() {
		s.Suspended[k.String()] = n
	}
	if f.emergencies != nil {
		if m := f.emergencies(); m != nil {
			f.emergencyStanding(m, today, &s)
		}
	}
	return s
}

// emergencyStanding counts the register's emergencies and their data by state.
func (f *complianceFollower) emergencyStanding(m *readmodel.Model, today calendar.Date, s *compliance.Standing) {
	m.View(func(fold readmodel.Fold, _ uint64) {
		r, ok := emergencies.RegisterOf(fold)
		if !ok {
			return
		}
		for _, em := range r.Emergencies() {
			j := emergencies.Judge(em, f.pol, f.cal, today)
			s.Emergencies[string(j.State)]++
			for i, d := range em.Data {
				inst := ""
				if len(d.Collectors) > 0 {
					inst = d.Collectors[0]
				}
				s.EmergencyData = append(s.EmergencyData, compliance.EmergencyData{Institution: inst, State: string(j.Data[i]), Count: 1})
			}
		}
	})
}
