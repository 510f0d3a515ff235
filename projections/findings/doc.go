// Package findings is the penalty-trigger read model: the findings F1–F18 of the
// Measures' table "Findings" (obligations.md) that the ledger's events support, each with
// the rule, the articles it cites in Simplified Chinese and English (第四十一条第(二)项 /
// Art. 41(2)), the institution, its first responsible person and the acting person, the
// evidence (event ids with their ledger seqs), the day it arose and its enforcement state
// (open, rectification ordered, rectified, escalated).
//
// It guarantees that
//
//   - titles and citations come from the policy version in force when the act happened
//     (or, for a deadline, on the day the deadline started): one place per rule;
//   - deadline findings (F1, F7, F9, F13, F14, F17) come from projections/obligations, so
//     a report of obligations and one of findings never disagree;
//   - a finding is judged as of a day: acts after it are not seen;
//   - folding is idempotent by position.
//
// # Basics
//
//	f := findings.New(policySet, calendar.Default())
//	for each entry in seq order { _ = f.Apply(e) }
//	for _, x := range f.Findings(calendar.MustParse("2027-01-01")) { x.Rule, x.CiteZH, x.Evidence ... }
//
// docs/findings.md says, rule by rule, which events are the evidence and what the event
// catalogue cannot show.
//
// Kind is the fold as a report kind, `ledgerctl report findings` (docs/reports.md).
//
// # Caveats
//
// F6's second half (a dataset not aggregated within its update period) is not raised:
// the catalogue records aggregations but no event says new data exists to aggregate.
// F16 judges a calendar year once it has ended. Methods are safe for concurrent use.
// MarshalBinary and UnmarshalBinary carry the whole state (its registry and obligations
// fold included) for a persisted read model.
package findings
