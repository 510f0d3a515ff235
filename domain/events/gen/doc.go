// Command gen writes docs/events.md and docs/schemas/*.json from the event catalogue.
package main
