//lint:file-ignore SA1019 The SDK marks the classic dashboard schema deprecated in favour of dashboardv2, but v2 needs Grafana 12 with experimental feature flags, and file provisioning loads the classic JSON on every Grafana from 9 on: keep the classic schema until v2 is generally available (docs/monitoring.md).

package grafana

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// DatasourceUID is the uid of the Prometheus data source provisioned by
// provisioning/datasources/ledger.yml; the dashboards' data source variable defaults to
// it there. PostgresUID is the read-model data source's (PostgreSQL mode).
const (
	DatasourceUID = "ledger-prometheus"
	PostgresUID   = "ledger-postgres"
)

// Names of the dashboards' template variables, as queries write them ($instance, …).
const (
	VarDatasource  = "datasource"
	VarPostgres    = "pg"
	VarInstance    = "instance"
	VarCounty      = "county"
	VarInstitution = "institution"
)

// Inputs of an exported dashboard: importing it asks for these data sources and puts
// the choice where ${DS_…} stands (the variables' defaults).
const (
	inputPrometheus = "DS_LEDGER_PROMETHEUS"
	inputPostgres   = "DS_LEDGER_POSTGRES"
)

// File is one generated dashboard: the name it has in dashboards/ and its JSON.
type File struct {
	Name string
	JSON []byte
}

// boards are the dashboards in the order Files renders them.
var boards = []struct {
	name     string
	build    func() *dashboard.DashboardBuilder
	postgres bool // also reads the read-model views in PostgreSQL
}{
	{"ledger-operations.json", operations, false},
	{"ledger-integrity.json", integrity, false},
	{"ledger-compliance.json", complianceBoard, true},
	{"ledger-security.json", security, false},
	{"ledger-emergencies.json", emergenciesBoard, false},
}

// Files builds every dashboard and renders it as indented JSON, in a fixed order, so
// that the output is byte-for-byte reproducible.
func Files() ([]File, error) {
	var out []File
	for _, d := range boards {
		db, err := d.build().Build()
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", d.name, err)
		}
		b, err := render(db, d.postgres)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", d.name, err)
		}
		out = append(out, File{Name: d.name, JSON: b})
	}
	return out, nil
}

// render encodes db with the __inputs and __requires an import needs.
func render(db dashboard.Dashboard, postgres bool) ([]byte, error) {
	raw, err := json.Marshal(db)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	inputs := []map[string]string{{"name": inputPrometheus, "label": "Ledger Prometheus", "description": "ledgerd 的 Prometheus / the Prometheus that scrapes ledgerd",
		"type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}}
	requires := []map[string]string{{"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
		{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"}}
	if postgres {
		inputs = append(inputs, map[string]string{"name": inputPostgres, "label": "Ledger PostgreSQL", "description": "账本读模型数据库（只读角色）/ the ledger's read-model database (read-only role)",
			"type": "datasource", "pluginId": PostgresType, "pluginName": "PostgreSQL"})
		requires = append(requires, map[string]string{"type": "datasource", "id": PostgresType, "name": "PostgreSQL", "version": "1.0.0"})
	}
	m["__inputs"], m["__requires"] = inputs, requires
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// board starts a dashboard with the settings all share: tags, refresh, the links to the
// others (by tag, keeping time and variables) and the data source and instance variables.
func board(uid, title, description string, tags ...string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags(append([]string{"dataledger"}, tags...)).
		Refresh("1m").
		Time("now-6h", "now").
		Timezone("browser").
		Readonly().
		Link(dashboard.NewDashboardLinkBuilder("数据账本 / Data ledger").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"dataledger"}).AsDropdown(true).IncludeVars(true).KeepTime(true)).
		Link(dashboard.NewDashboardLinkBuilder("处置手册 / Runbooks").Type(dashboard.DashboardLinkTypeLink).
			Url(RunbooksURL).Icon("doc").TargetBlank(true)).
		WithVariable(dsVariable(VarDatasource, "数据源 / Data source", "prometheus", inputPrometheus)).
		WithVariable(labelVariable(VarInstance, "实例 / Instance", `label_values(up{job="ledgerd"}, instance)`))
}

// RunbooksURL is where the alerts' runbook_url and the dashboards' link point.
const RunbooksURL = "https://github.com/aba-prefecture/dataledger/blob/main/docs/runbooks.md"

// withInstitutions adds the county and institution variables (the institution list
// narrowed to the counties chosen).
func withInstitutions(b *dashboard.DashboardBuilder) *dashboard.DashboardBuilder {
	return b.WithVariable(labelVariable(VarCounty, "区县 / County", `label_values(ledger_institution_info{instance=~"$instance"}, county)`)).
		WithVariable(labelVariable(VarInstitution, "机构 / Institution", `label_values(ledger_institution_info{instance=~"$instance",county=~"$county"}, institution)`))
}

// dsVariable chooses a data source of plugin; its default is the import input, which
// provisioning leaves unresolved, so that Grafana falls back to the default data source
// of that type (the provisioned one).
func dsVariable(name, label, plugin, input string) *dashboard.DatasourceVariableBuilder {
	cur := "${" + input + "}"
	return dashboard.NewDatasourceVariableBuilder(name).Label(label).Type(plugin).
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr(cur)},
			Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(cur)}})
}

// labelVariable is a multi-value variable over a label's values, with All meaning any
// value (".*", so that series without the label are kept too).
func labelVariable(name, label, q string) *dashboard.QueryVariableBuilder {
	all := "$__all"
	return dashboard.NewQueryVariableBuilder(name).Label(label).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Definition(q).
		Datasource(datasource).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).AllValue(".*").
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("All")},
			Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(all)}})
}
