// Package assessment is the yearly scorecard of 第五条、第六条 and 第四十三条: per
// institution and per county, how the year's obligations were kept and what was found —
// catalog timeliness, collection compliance, aggregation, sharing response times,
// opening, corrections, withdrawals, data-subject requests, emergency data, outsourcing,
// security duties, findings and rectification.
//
// It guarantees that every number is derived from projections/obligations and
// projections/findings (and a count of the acts a measure counts), so the scorecard,
// the deadline list and the findings list never disagree; and that every measure's
// meaning is stated once, in Definitions, in Simplified Chinese and English.
//
// # Basics
//
//	a := assessment.New(policySet, calendar.Default())
//	for each entry in seq order { _ = a.Apply(e) }
//	for _, sc := range a.Institutions(2025, calendar.MustParse("2026-01-01")) { ... }
//	counties := a.Counties(2025, calendar.MustParse("2026-01-01"))
//
// ReportKind is the fold as a report kind, `ledgerctl report assessment` (docs/reports.md).
//
// # Caveats
//
// A ratio is a plain share (Definition.Kind says of what), not a weighted grade: the
// Measures give no weights, and an operator's assessment method (考核办法) would. An
// obligation counts in the year its trigger happened; a finding in the year it arose
// (F16 in the year it judges). Methods are safe for concurrent use. MarshalBinary and
// UnmarshalBinary carry the whole state for a persisted read model.
package assessment
