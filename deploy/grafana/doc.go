// Package grafana builds the ledger's Grafana dashboards as code with the Grafana
// Foundation SDK: an operations dashboard (ingest, commit latency and batches,
// integrity, log size, HTTP errors, process) and a compliance dashboard (overdue
// obligations by deadline and institution, open findings by rule and article,
// escalations, suspended-party access). Titles are Simplified Chinese and English,
// "中文 / English", for the officials who read them.
//
// The JSON Grafana loads is generated into dashboards/ by `go run ./deploy/grafana/gen`
// and committed; a test fails when the committed files differ from what the code
// produces, or when a panel queries a series ledgerd does not export.
// provisioning/ holds the datasource and dashboard-provider files that load them.
package grafana
