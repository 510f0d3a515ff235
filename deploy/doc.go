// Package deploy holds what runs the ledger in production beside ledgerd itself:
// Prometheus alert rules with their promtool unit tests (prometheus/), Grafana dashboards
// generated as code with their provisioning (grafana/), and compose files (compose/).
// docs/monitoring.md describes them.
//
// The package has no code; its tests check the files: `promtool check rules` and
// `promtool test rules` on the alert rules, and an end-to-end run of Debian's prometheus
// scraping the real ledgerd (internal/livetest) fed a scripted mix of acts, with the
// rules loaded, in which every alert expression and every dashboard query must evaluate
// and, but for a listed few, return something. Without promtool/prometheus on PATH they skip, unless
// LEDGER_REQUIRE_SERVICES=1 (CI), where they fail.
package deploy
