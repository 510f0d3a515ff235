// Command gen writes docs/events.md and docs/schemas/*.json from the event catalogue,
// and with -types the Go constants of the catalogue's type names (domain/events/types_gen.go).
package main
