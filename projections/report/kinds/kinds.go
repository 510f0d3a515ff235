package kinds

import (
	"github.com/aba-prefecture/dataledger/projections/accountability"
	"github.com/aba-prefecture/dataledger/projections/emergencies"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Default returns a registry of every report kind. To add a kind, register its
// report.Kind here (a placeholder of the same name is replaced).
func Default() *report.Registry {
	r := report.NewRegistry()
	// Built by projections/findings, projections/obligations and projections/assessment;
	// until they are wired here, asking for them says "not available yet" (exit 2).
	r.Register(report.Unavailable("findings", report.T("违规发现（第四十一条）", "Findings (Art. 41, 第四十一条)")))
	r.Register(report.Unavailable("obligations", report.T("义务与期限", "Obligations and deadlines")))
	r.Register(report.Unavailable("assessment", report.T("年度考核（第四十三条）", "Annual assessment (Art. 43, 第四十三条)")))

	r.Register(accountability.Kind)
	r.Register(emergencies.Kind)
	return r
}
