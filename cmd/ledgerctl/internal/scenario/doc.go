// Package scenario generates the demonstration timeline of `ledgerctl demo` and the
// realistic submissions `ledgerctl bench` ingests: public institutions of Aba Prefecture
// and the acts the Measures turn into events (catalog entries, collections, aggregation,
// share applications, grants and uses, exports with approvals, desensitisation, an
// emergency and its sealing, an outsourcing contract, security duties), with deadlines
// met and missed.
//
// It guarantees that a timeline is reproducible from its seed (apart from event ids,
// which the caller assigns), that every event's occurred_at lies in the past of the end
// time it was given, and that an event that refers to another (a grant to its
// application, a use to its grant) comes after it: [Waves] splits the timeline so that a
// parent is always committed in an earlier wave than its children, while events within a
// wave may be appended concurrently.
//
// # Basics
//
// The event vocabulary is one table, [Types]: type names, streams, the article each
// implements. The domain catalogue (package domain) is the authority on payloads; this
// table is kept aligned with it so that the demo exercises the same types.
//
//	tl := scenario.Generate(scenario.Config{Events: 10000, Seed: 1, End: time.Now()})
//	for _, wave := range scenario.Waves(tl.Events, 1024) { ... }
//
// # Caveats
//
// The figures (record counts, purposes, delays) are invented but plausible; person ids
// are pseudonyms. Deliberate violations (a late answer, an export without approval, a
// use outside the granted purpose) are part of the scenario so that findings have
// something to find: see [Timeline.Violations].
package scenario
