// Package policy holds the Measures' deadlines, parameters and finding rules as versioned
// data with effective date ranges, so that an event is judged by the policy in force on
// the day it happened, and a revision of the trial Measures (Art. 44: two years) is a new
// file, not a new build.
//
// It guarantees that no number the projections use is written in code: every working-day
// deadline (D1–D12), every parameter (training, drills, backups, …) and every article a
// finding (F1–F18) cites comes from a Version; and that a loaded Set is complete (every
// known deadline, parameter and finding is defined in every version) and unambiguous (at
// most one version starts on any day).
//
// # Basics
//
// The embedded file aba-2024-trial.json is the default. At(date) returns the version in
// force; an operator adds versions with a file of the same form (Load). A version may
// "extend" another by id and give only what changes (an RFC 7386 merge patch):
//
//	{"versions":[{"id":"aba-2025-06","extends":"aba-2024-trial",
//	  "effective_from":"2025-06-01","effective_until":"2026-12-31",
//	  "deadlines":{"D9":{"workdays":2}}}]}
//
// Among the versions whose range [effective_from, effective_until) holds a day, the one
// that started last is in force.
//
// # Caveats
//
// Numbers the Measures give are marked basis "measures"; the others ("immediately", "in
// time", "regularly") are documented defaults, basis "policy". A day outside every
// version's range has no policy (ErrNoPolicy): after the trial expires on 2026-12-31 the
// operator must add the revised policy.
package policy
