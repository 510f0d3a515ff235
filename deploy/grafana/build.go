//lint:file-ignore SA1019 The classic dashboard schema stays until dashboardv2 is generally available (dashboards.go).

package grafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The panels name their data source through the dashboard's variables, never by a fixed
// uid: provisioned, the variable defaults to the provisioned data source; imported, the
// __inputs prompt replaces ${DS_…} with the importer's choice.
var (
	datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + VarDatasource + "}")}
	pgSource   = common.DataSourceRef{Type: cog.ToPtr(PostgresType), Uid: cog.ToPtr("${" + VarPostgres + "}")}
)

// Filters every query applies: the instance, and for per-institution series the
// institution (which the county variable narrows).
const (
	inst = `instance=~"$instance"`
	who  = `instance=~"$instance",institution=~"$institution"`
	rate = "[$__rate_interval]"
)

// byCounty adds the county label to a per-institution expression (ledger_institution_info
// carries it), keeping only the counties selected.
func byCounty(expr string) string {
	return "(" + expr + ` * on (job, instance, institution) group_left (county) ledger_institution_info{county=~"$county"})`
}

// query is one PromQL target; legend "" leaves Grafana's default.
func query(expr, legend string) *prometheus.DataqueryBuilder {
	q := prometheus.NewDataqueryBuilder().Expr(expr).Datasource(datasource)
	if legend != "" {
		q = q.LegendFormat(legend)
	}
	return q
}

// instant is a query evaluated once at the end of the range, as a table.
func instant(expr string) *prometheus.DataqueryBuilder {
	return query(expr, "").Instant().Format(prometheus.PromQueryFormatTable)
}

// text is a panel's title and description, each "中文 / English".
type text struct{ title, desc string }

func series(id uint32, t text, unit string, w uint32, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Id(id).Title(t.title).Description(t.desc).Unit(unit).Datasource(datasource).
		Height(8).Span(w).Min(0)
	for i, q := range qs {
		p = p.WithTarget(q.RefId(string(rune('A' + i))))
	}
	return p
}

// alarm is a single number that turns red at red (amber from amber, if amber > 0).
func alarm(id uint32, t text, expr string, amber, red float64) *stat.PanelBuilder {
	steps := []dashboard.Threshold{{Color: "green"}}
	if amber > 0 {
		steps = append(steps, dashboard.Threshold{Value: cog.ToPtr(amber), Color: "orange"})
	}
	steps = append(steps, dashboard.Threshold{Value: cog.ToPtr(red), Color: "red"})
	return number(id, t, expr, steps)
}

// number is a single number coloured by steps.
func number(id uint32, t text, expr string, steps []dashboard.Threshold) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Id(id).Title(t.title).Description(t.desc).Datasource(datasource).
		Height(4).Span(6).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		WithTarget(query(expr, "").RefId("A"))
}

// info is a single number that is never an alarm (blue).
func info(id uint32, t text, expr string) *stat.PanelBuilder {
	return number(id, t, expr, []dashboard.Threshold{{Color: "blue"}})
}

func bars(id uint32, t text, expr, legend string) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().Id(id).Title(t.title).Description(t.desc).Datasource(datasource).Height(8).Span(12).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		Min(0).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		WithTarget(query(expr, legend).RefId("A"))
}

func tabular(id uint32, t text, expr string) *table.PanelBuilder {
	return table.NewPanelBuilder().Id(id).Title(t.title).Description(t.desc).Datasource(datasource).Height(8).Span(12).
		WithTarget(instant(expr).RefId("A")).
		// Instant table queries return a Time column and the labels; keep the labels
		// and the value, which Grafana names "Value".
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true},
		}})
}

// sqlTable is a table from the read-model views in PostgreSQL (PostgreSQL mode only).
func sqlTable(id uint32, t text, w uint32, sql string) *table.PanelBuilder {
	return table.NewPanelBuilder().Id(id).Title(t.title).Description(t.desc).Datasource(pgSource).Height(8).Span(w).
		WithTarget(sqlQuery(sql).RefId("A"))
}

// row is a section heading; rows take ids from 100 up so that they never collide with
// the panels' own.
func row(id uint32, title string) *dashboard.RowBuilder {
	return dashboard.NewRowBuilder(title).Id(id)
}

func steps(s ...dashboard.Threshold) []dashboard.Threshold { return s }
