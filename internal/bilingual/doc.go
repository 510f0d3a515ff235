// Package bilingual is the one rule for the last line a command prints on failure: the
// officials who read it read Chinese (Simplified) or English, and many messages wrap a
// library's English error, so such a line is given the Chinese of its kind of failure.
package bilingual
