package compliance_test

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/prometheus/client_golang/prometheus"
)

// A projection that knows of one overdue catalogue update (D1, 第16条) at county-health.
// The closed label sets (party kinds, emergency states) are exported at 0 as well.
func ExampleRegister() {
	src := &compliance.Static{}
	src.Set([]compliance.Overdue{{Deadline: "D1", Institution: "county-health", Article: "16", Count: 1}}, nil, 12)
	reg := prometheus.NewRegistry()
	if err := compliance.Register(reg, src); err != nil {
		fmt.Println(err)
		return
	}
	families, err := reg.Gather()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			fmt.Println(f.GetName(), len(m.GetLabel()), m.GetGauge().GetValue())
		}
	}
	// Output:
	// ledger_compliance_position 0 12
	// ledger_emergencies 1 0
	// ledger_emergencies 1 0
	// ledger_emergencies 1 0
	// ledger_emergencies 1 0
	// ledger_emergencies 1 0
	// ledger_emergencies 1 0
	// ledger_obligations_overdue 3 1
	// ledger_suspended_parties 1 0
	// ledger_suspended_parties 1 0
	// ledger_suspended_parties 1 0
}
