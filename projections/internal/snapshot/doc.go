// Package snapshot is how the report folds write their state for a persisted read model:
// a format byte, then encoding/gob over state structs with exported fields.
//
// gob is compact and fast, and a format byte in front lets an old or foreign snapshot be
// refused instead of misread. It has traps, and the helpers here are how the folds avoid
// them:
//
//   - gob writes no unexported field: folds copy their state into wire structs;
//   - gob writes maps in random order: Sorted turns a map into key-ordered entries, so
//     that the same state always gives the same bytes (a rebuild and an incremental run
//     can be compared byte for byte), and Map turns them back into a non-nil map, so that
//     a restored fold can write to it;
//   - gob drops a pointer to a zero value and cannot write a nil element of a slice: Opt
//     carries an optional value with an explicit flag, Values and Pointers turn slices of
//     pointers into slices of values and back;
//   - gob rebuilds no pointer shared between two places (an obligation in a list and in
//     an index): wire structs keep positions (indices) and the fold re-links on restore;
//   - a closed-set value (domain.Enum) in a slice is written through its text, and a zero
//     one would be refused on reading: Texts and FromTexts carry such slices as strings.
//
// Configuration (the policy set, the calendar, a policy version) is not state: a fold
// keeps the ids and resolves them again against the model's own on restore.
package snapshot
