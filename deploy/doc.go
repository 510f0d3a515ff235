// Package deploy holds what runs the ledger in production beside ledgerd itself:
// Prometheus alert rules with their promtool unit tests (prometheus/), Grafana dashboards
// generated as code with their provisioning (grafana/), and compose files (compose/).
// docs/monitoring.md describes them.
//
// The package has no code; its tests check the files: `promtool check rules` and
// `promtool test rules` on the alert rules, and an end-to-end run of Debian's prometheus
// scraping a live ledger server with the rules loaded and the dashboards' queries
// evaluated. Without promtool/prometheus on PATH they skip, unless
// LEDGER_REQUIRE_SERVICES=1 (CI), where they fail.
package deploy
