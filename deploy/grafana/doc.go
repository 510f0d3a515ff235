// Package grafana builds the ledger's Grafana dashboards as code with the Grafana
// Foundation SDK: operations (ingest, commit latency, read models, HTTP, process),
// integrity (checkpoints, witnesses, verification failures, tamper alarms), compliance
// (overdue obligations and findings per institution and county; in PostgreSQL mode the
// read-model views), security (refusals by code, suspended parties, authentication
// failures, read-audit volume) and emergencies (open emergencies, data awaiting sealing,
// D8). Titles and panel descriptions are Simplified Chinese and English, "中文 / English",
// for the officials who read them.
//
// Panels name their data source through template variables (Prometheus, and PostgreSQL
// for the read-model panels) that default to the dashboard's __inputs, so that a
// provisioned dashboard uses the provisioned data source and an imported one the
// importer's choice; instance, county and institution variables narrow every query.
//
// The JSON Grafana loads is generated into dashboards/ by `go run ./deploy/grafana/gen`
// and committed; a test fails when the committed files differ from what the code
// produces, when a panel queries a series ledgerd does not export, or when a PostgreSQL
// panel's SQL does not run on the views as the read-only role of sql/grafana_reader.sql.
// provisioning/ holds the data source and dashboard-provider files that load them.
package grafana
