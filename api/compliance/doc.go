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
//
// article is the Measures article the deadline or finding rests on, as Arabic digits
// ("16", "41", "42"); alerts and dashboards render it 第N条.
package compliance
