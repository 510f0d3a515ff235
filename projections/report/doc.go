// Package report is the rendering side of the read models: a report model every kind
// produces (a title, an as-of day, sections of columns and rows, notes; every label in
// Simplified Chinese and English) and its four renderings: an aligned text table, JSON,
// CSV and HTML (html/template, so every value is escaped).
//
// It also holds the small machinery that makes a report out of the ledger: a Kind names
// a report and builds its fold (a Builder: Apply each entry in seq order, then Report),
// a Registry finds kinds by name, and Build folds a store into a kind as of a day.
//
// # Basics
//
//	reg := report.NewRegistry()
//	reg.Register(emergencies.Kind)                          // a report.Kind
//	k, err := reg.Lookup("emergencies")
//	r, err := report.Build(ctx, store, k, report.Options{AsOf: day, Policy: pol, Calendar: cal})
//	err = report.Render(os.Stdout, r, report.FormatHTML, report.ZH)
//
// The kinds `ledgerctl report` offers are wired in one place, package kinds. The cell
// helpers every kind shares live here too, so that all reports read alike: Cite and
// Cites (第四十一条第(二)项 / Art. 41(2)), Seqs (evidence as provable ledger positions),
// Day and Dash (no value reads "—"), Name, ProveNote, and Problems (what a fold could
// not judge, kept as a note instead of failing the report).
//
// # Caveats
//
// Build reads the whole log each time: reports are on demand and the folds are in
// memory. Acts are placed on days by occurred_at in China Standard Time; an entry whose
// act happened after the as-of day is left out even if it was recorded before it. CSV
// carries the data only (no title, as-of or notes); see docs/reports.md for every format.
package report
