package emergencies_test

import (
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/emergencies"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/internal/entrytest"
	"github.com/aba-prefecture/dataledger/projections/obligations"
)

// TestArt21ClosureIsAllOfIt (第二十一条第二款): D8 is met only when the data is
// evaluated, sealed or destroyed and the related applications are shut down. Data done
// in time with no shutdown recorded leaves D8 open, then missed (F13); a shutdown after
// the deadline meets it late (F13); and the emergency register says the same each time.
func TestArt21ClosureIsAllOfIt(t *testing.T) {
	pol, _ := policy.Default()
	cal := calendar.Default()
	type m = map[string]any
	for _, c := range []struct {
		name     string
		shutdown string // day, "" for none
		asOf     string
		d8       obligations.State
		register emergencies.State
		f13      bool
	}{
		{"data done, no shutdown, within D8", "", "2026-03-10", obligations.Open, emergencies.StatePending, false},
		{"data done, no shutdown, past D8", "", "2026-03-31", obligations.Missed, emergencies.StateOverdue, true},
		{"data done, shutdown late", "2026-03-20", "2026-03-31", obligations.MetLate, emergencies.StateLate, true},
		{"all of it in time", "2026-03-06", "2026-03-31", obligations.MetOnTime, emergencies.StateDone, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &entrytest.Log{}
			l.Add("institution.registered.v1", "em", "2026-01-05", m{"institution": "em", "name_zh": "应急局", "level": "prefecture", "kind": "organ", "data_authority": true})
			l.Add("emergency.declared.v1", "em", "2026-03-02", m{"emergency": "e1", "kind": "emergency_response", "title": "x", "legal_basis": "x"})
			l.Add("data.collected.v1", "em", "2026-03-02", m{"resource": "e1.persons", "records": 3, "emergency": "e1"})
			l.Add("emergency.ended.v1", "em", "2026-03-04", m{"emergency": "e1", "ended_on": "2026-03-04"})
			l.Add("emergency.data_evaluated.v1", "em", "2026-03-05", m{"emergency": "e1", "resource": "e1.persons", "disposition": "seal"})
			l.Add("emergency.data_sealed.v1", "em", "2026-03-06", m{"emergency": "e1", "resource": "e1.persons", "records": 3, "location": "x"})
			if c.shutdown != "" {
				l.Add("emergency.application_shut_down.v1", "em", c.shutdown, m{"emergency": "e1", "application": "app.checkin"})
			}
			asOf := calendar.MustParse(c.asOf)
			f := findings.New(pol, cal)
			reg := emergencies.New()
			for _, e := range l.Entries {
				if e.Submission.Time().After(asOf.End()) {
					continue
				}
				_ = f.Apply(e)
				reg.Apply(e)
			}
			var d8 obligations.State
			for _, o := range f.Obligations().Obligations(asOf) {
				if o.Deadline == "D8" {
					d8 = o.State
				}
			}
			em, _ := reg.Emergency("e1")
			j := emergencies.Judge(em, pol, cal, asOf)
			f13 := false
			for _, x := range f.Findings(asOf) {
				f13 = f13 || x.Rule == "F13"
			}
			if d8 != c.d8 || j.State != c.register || f13 != c.f13 {
				t.Errorf("D8 %s, register %s, F13 %v; want %s, %s, %v", d8, j.State, f13, c.d8, c.register, c.f13)
			}
		})
	}
}
