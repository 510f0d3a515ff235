// Package compliance exports the compliance read models' state as Prometheus series, so
// that the alert rules in deploy/prometheus and the compliance dashboard in
// deploy/grafana can page on and show overdue obligations (deadlines D1–D12 of
// regulation/obligations.md) and open findings (F1–F18).
//
// The package owns the small Source interface it reads; the obligations and findings
// projections implement it. Nothing here folds events: a scrape asks the Source for its
// current counts and reports them, so a scrape is as fresh as the folds.
//
// # Basics
//
//	reg := prometheus.NewRegistry()
//	if err := compliance.Register(reg, src); err != nil { … }
//
// ledgerd registers it on the registry it serves at /metrics (cmd/ledgerd, open).
//
// # Series
//
//	ledger_obligations_overdue{deadline,institution,article}     gauge: obligations past their deadline, not yet met
//	ledger_findings_open{rule,institution,article}               gauge: findings raised and not yet closed
//	ledger_findings_raised_total{rule,institution,article}       counter: findings ever raised (a fold of the whole log, so it survives restarts)
//	ledger_compliance_position                                   gauge: log size the folds reflect
//	ledger_institution_info{institution,county}                  gauge: 1 per registered institution (join for county)
//	ledger_suspended_parties{party_kind}                         gauge: parties whose access is suspended (Art. 42)
//	ledger_emergencies{state}                                    gauge: emergencies by D8 state (Art. 21)
//	ledger_emergency_data{institution,state}                     gauge: data collected under emergencies by state
//
// A Source reports every group that can occur for the institutions it knows at 0, so
// that each series exists before its first increment and increase() counts the first
// overdue obligation or finding; the closed label sets (party kinds, emergency states)
// the collector sends at 0 itself.
//
// article is the Measures article the deadline or finding rests on, as Arabic digits
// ("16", "41", "42"); alerts and dashboards render it 第N条.
package compliance
