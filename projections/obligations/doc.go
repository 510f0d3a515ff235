// Package obligations is the deadlines read model: every working-day obligation of the
// Measures' table "Deadlines" (D1–D12 of obligations.md) that an event in the ledger
// opens, with its due date, the act that met it and its state on a given day.
//
// It guarantees that
//
//   - a due date is computed with the policy version in force on the day the obligation
//     started (第四十四条: the Measures are a trial and will be revised; an act is judged
//     by the rules of its day) and the PRC working-day calendar with its adjusted working
//     weekends (domain/calendar), never a weekday approximation;
//   - D11's due date is the one the rectification order sets (第四十一条);
//   - folding is idempotent by position: an entry at or below the last applied seq is
//     ignored, so catch-up reads and commit hooks may overlap;
//   - a day the policy or the calendar does not cover is reported (State undetermined,
//     Problem set, and Apply's error), never guessed.
//
// # Basics
//
//	f := obligations.New(policySet, calendar.Default())
//	for each entry in seq order { if err := f.Apply(e); err != nil { log it } }
//	for _, o := range f.Obligations(calendar.MustParse("2026-12-01")) { ... o.State ... }
//
// Which event opens and which meets each deadline is written down in docs/findings.md.
//
// Kind is the fold as a report kind, `ledgerctl report obligations` (docs/reports.md).
//
// # Caveats
//
// The fold is in memory. States are judged against asOf: acts recorded after asOf are
// not seen, so a report for an earlier day shows what was known that day. Methods are
// safe for concurrent use. MarshalBinary and UnmarshalBinary carry the whole state for a
// persisted read model (its policy versions found again by id).
package obligations
