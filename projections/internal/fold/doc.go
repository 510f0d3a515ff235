// Package fold is shared by the report folds: lenient payload reading, the day an act
// counts on (acttime, through the registry's policy, calendar and migration
// declarations), and Model, the one report.Model every kind is: its fold, the problems
// the fold reported, its Through, and the snapshot envelope (a format byte, the kind, a
// fingerprint of the policy and calendar, a CRC-32C) that refuses a snapshot it cannot
// take instead of misreading it. It is internal so that it stays small.
package fold
