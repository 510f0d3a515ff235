// Package report is the rendering side of the read models: a report model every kind
// produces (a title, an as-of day, sections of columns and rows, notes; every label in
// Simplified Chinese and English) and its five renderings: a text table that fits a
// terminal (120 columns by default), JSON, CSV (UTF-8 with a byte-order mark), HTML
// (html/template, so every value is escaped; one page for screen and A4 print, charts
// as inline SVG) and an xlsx workbook.
//
// JSON and CSV are for programs and spreadsheets: every row and column, stable keys and
// codes in JSON. The table, HTML and xlsx forms are for people, and the model carries
// what they need besides the rows: Figures (headline numbers), Attention (what needs
// action now), Charts, a Layout per section (fewer, wider columns with related values
// on a second line; rows met on time counted instead of listed unless All), and a Tone
// per cell so that failures stand out.
//
// It also holds the small machinery that makes a report out of the ledger: a Kind names
// a report and makes its read model (a Model: Apply each entry in seq order, once; Report
// as of any day not before its Through; MarshalBinary and UnmarshalBinary so that
// projections/readmodel persists it with its position), a Registry finds kinds by name,
// and Build folds a store into a new model as of a day (the reference a live model is
// held to, and the answer for a day before Through).
//
// # Basics
//
//	reg := report.NewRegistry()
//	reg.Register(emergencies.Kind)                          // a report.Kind
//	k, err := reg.Lookup("emergencies")
//	r, err := report.Build(ctx, store, k, report.Options{AsOf: day, Policy: pol, Calendar: cal})
//	m, err := k.New(report.Options{Policy: pol, Calendar: cal}) // a live model: m.Apply(e) …
//	r, err = m.Report(report.Options{AsOf: day})                 // when !day.Before(m.Through())
//	err = report.Render(os.Stdout, r, report.FormatHTML, report.ZH) // options: report.All(), report.Width(100)
//
// The kinds `ledgerctl report` offers are wired in one place, package kinds. The cell
// helpers every kind shares live here too, so that all reports read alike: Cite and
// Cites (第四十一条第(二)项 / Art. 41(2)), Seqs (evidence as provable ledger positions),
// Day and Dash (no value reads "—"), Name, ProveNote, Problems (what a fold could
// not judge, kept as a note instead of failing the report), and for the summaries
// Count, Fig, Percent, Month and Counter (categories × series for a chart).
//
// # Caveats
//
// Build reads the whole log each time; a live Model answers from its state instead, for
// any day from its Through on (a report on an earlier day needs acts left out that the
// model has folded, so it is built). Acts are placed on days by occurred_at in China Standard Time; an entry whose
// act happened after the as-of day is left out even if it was recorded before it. CSV
// carries the data only (no title, as-of or notes). The HTML page names fonts and
// embeds none: Chinese needs a CJK font on the reader's machine (every desktop system
// has one; on a Linux server, fonts-noto-cjk). See docs/reports.md for every format.
package report
