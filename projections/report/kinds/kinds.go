package kinds

import (
	"github.com/aba-prefecture/dataledger/projections/accountability"
	"github.com/aba-prefecture/dataledger/projections/assessment"
	"github.com/aba-prefecture/dataledger/projections/emergencies"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/obligations"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Default returns a registry of every report kind. To add a kind, register its
// report.Kind here (a placeholder of the same name is replaced).
func Default() *report.Registry {
	r := report.NewRegistry()
	r.Register(accountability.Kind)
	r.Register(emergencies.Kind)
	r.Register(findings.Kind)
	r.Register(obligations.Kind)
	r.Register(assessment.ReportKind)
	return r
}
