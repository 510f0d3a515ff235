package emergencies_test

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/emergencies"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
)

// An emergency that ended on Friday 2025-09-26: D8 counts 10 working days over the
// National Day holiday and its two adjusted working weekend days.
func ExampleJudge() {
	l := &foldtest.Log{}
	reg := emergencies.New()
	for _, e := range []*ledger.Entry{
		l.Add("2025-09-20", "aba-emergency-management", "emergency.declared.v1", events.EmergencyDeclared{Emergency: "emg-1", Kind: domain.EmergencyResponse, Title: "flood", LegalBasis: "law"}),
		l.Add("2025-09-21", "county-a", "data.collected.v1", events.DataCollected{Resource: "persons", Records: 10, Purpose: "p", LegalBasis: "l", Emergency: "emg-1"}),
		l.Add("2025-09-26", "aba-emergency-management", "emergency.ended.v1", events.EmergencyEnded{Emergency: "emg-1", EndedOn: "2025-09-26"}),
	} {
		reg.Apply(e)
	}
	pol, _ := policy.Default()
	em, _ := reg.Emergency("emg-1")
	for _, day := range []string{"2025-10-16", "2025-10-17"} {
		j := emergencies.Judge(em, pol, calendar.Default(), calendar.MustParse(day))
		fmt.Println(day, j.Deadline.Due, j.State)
	}
	// Output:
	// 2025-10-16 2025-10-16 pending
	// 2025-10-17 2025-10-16 overdue
}
