// Package accountability is the view of Art. 37 (第三十七条): 谁收集谁负责、谁持有谁负责、
// 谁使用谁负责、谁运行谁负责. For each data resource it folds who collected it, who holds
// it (and whether they still do), who uses it (by which grant, for which purpose, and
// whether the purpose is one the grant covers), and who runs the systems it lives in,
// outsourced providers included (Art. 39); for each institution its first responsible
// person, dedicated staff and security posts (Art. 7, 37(3)); and, for every resource,
// its custody timeline (every act naming it, with its seq), kept compactly so that a
// persisted read model can answer a report on any one resource.
//
// It reuses domain/registry for what the command side already folds (share
// applications and their resources, the data authority) and adds what only this view
// needs. What each relation means in terms of events is written down in docs/reports.md.
//
// # Basics
//
//	v := accountability.New()
//	for _, e := range entries { v.Apply(e) } // seq order; replays are ignored
//	for _, r := range v.Resources() { _ = v.Operations(r) }
//	tl := v.Timeline("aba-health-commission.vaccination-records")
//
// Kind renders it as a report (`ledgerctl report accountability [--resource R]`).
//
// # Caveats
//
// People are shown by id and registered title, never by name (personal data, possibly
// encrypted in the payload); open-data and development users by their application id.
// Sealing or destroying ends only the acting institution's custody: another holder's copy
// is its own. The view is in memory and not safe for concurrent use; MarshalBinary and
// UnmarshalBinary carry its whole state for a persisted read model.
package accountability
