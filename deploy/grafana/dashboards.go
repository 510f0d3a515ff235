//lint:file-ignore SA1019 The SDK marks the classic dashboard schema deprecated in favour of dashboardv2, but v2 needs Grafana 12 with experimental feature flags, and file provisioning loads the classic JSON on every Grafana from 9 on: keep the classic schema until v2 is generally available (docs/monitoring.md).

package grafana

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// DatasourceUID is the uid of the Prometheus datasource the dashboards query; the
// provisioning file provisioning/datasources/ledger.yml creates it.
const DatasourceUID = "ledger-prometheus"

// File is one generated dashboard: the name it has in dashboards/ and its JSON.
type File struct {
	Name string
	JSON []byte
}

// Files builds every dashboard and renders it as indented JSON, in a fixed order, so
// that the output is byte-for-byte reproducible.
func Files() ([]File, error) {
	var out []File
	for _, d := range []struct {
		name  string
		build func() *dashboard.DashboardBuilder
	}{
		{"ledger-operations.json", operations},
		{"ledger-compliance.json", complianceBoard},
	} {
		db, err := d.build().Build()
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", d.name, err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(db); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", d.name, err)
		}
		out = append(out, File{Name: d.name, JSON: buf.Bytes()})
	}
	return out, nil
}

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(DatasourceUID)}

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

// board starts a dashboard with the settings both share.
func board(uid, title, description string, tags ...string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags(append([]string{"dataledger"}, tags...)).
		Refresh("1m").
		Time("now-6h", "now").
		Timezone("browser").
		Readonly()
}

func series(id uint32, title, unit string, w uint32, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Id(id).Title(title).Unit(unit).Datasource(datasource).Height(8).Span(w).Min(0)
	for i, q := range qs {
		p = p.WithTarget(q.RefId(string(rune('A' + i))))
	}
	return p
}

// alarm is a single number that turns red at red (amber from amber, if amber > 0);
// callers may replace the thresholds.
func alarm(id uint32, title, description, expr string, amber, red float64) *stat.PanelBuilder {
	steps := []dashboard.Threshold{{Color: "green"}}
	if amber > 0 {
		steps = append(steps, dashboard.Threshold{Value: cog.ToPtr(amber), Color: "orange"})
	}
	steps = append(steps, dashboard.Threshold{Value: cog.ToPtr(red), Color: "red"})
	return stat.NewPanelBuilder().Id(id).Title(title).Description(description).Datasource(datasource).
		Height(4).Span(6).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeNone).
		Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		WithTarget(query(expr, "").RefId("A"))
}

func bars(id uint32, title, expr, legend string) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().Id(id).Title(title).Datasource(datasource).Height(8).Span(12).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		Min(0).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		WithTarget(query(expr, legend).RefId("A"))
}

func tabular(id uint32, title, expr string) *table.PanelBuilder {
	return table.NewPanelBuilder().Id(id).Title(title).Datasource(datasource).Height(8).Span(12).
		WithTarget(instant(expr).RefId("A")).
		// Instant table queries return a Time column and the labels; keep the labels
		// and the value, which Grafana names "Value".
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]bool{"Time": true},
		}})
}

// row is a section heading; rows take ids from 100 up so that they never collide with
// the panels' own.
func row(id uint32, title string) *dashboard.RowBuilder {
	return dashboard.NewRowBuilder(title).Id(id)
}

const rate = "[$__rate_interval]"

// operations is the operators' dashboard: is the ledger up, recording, fast, intact?
func operations() *dashboard.DashboardBuilder {
	return board("ledger-operations", "账本运行 / Ledger operations",
		"ledgerd 写入、提交延迟、完整性与 HTTP 错误 / ledgerd ingest, commit latency, integrity and HTTP errors (docs/monitoring.md)",
		"operations").
		WithRow(row(101, "概况 / Overview")).
		WithPanel(alarm(1, "在线实例 / Instances up", "能被 Prometheus 抓取的 ledgerd 实例数 / ledgerd instances Prometheus can scrape",
			`sum(up{job="ledgerd"})`, 0, 0).
			Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
				Steps([]dashboard.Threshold{{Color: "red"}, {Value: cog.ToPtr(1.0), Color: "green"}}))).
		WithPanel(alarm(2, "完整性校验失败 / Integrity failures",
			"运行中发现的完整性失败（告警 LedgerVerifyFailure） / integrity failures found while running (alert LedgerVerifyFailure)",
			`sum(ledger_verify_failures_total) or vector(0)`, 0, 1)).
		WithPanel(alarm(3, "检查点滞后（条） / Checkpoint lag (entries)",
			"已提交但未被签名检查点覆盖的记录 / committed entries not yet under a signed checkpoint",
			`max(ledger_checkpoint_lag_entries)`, 1000, 100000)).
		WithPanel(alarm(4, "日志大小（条） / Log size (entries)", "已持久提交的记录数 / durably committed entries",
			`max(ledger_entries)`, 0, 0).
			Thresholds(dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).
				Steps([]dashboard.Threshold{{Color: "blue"}}))).
		WithRow(row(102, "写入 / Ingest")).
		WithPanel(series(10, "写入速率 / Ingest rate", "ops", 12,
			query(`sum by (instance) (rate(ledger_appends_total{outcome="created"}`+rate+`))`, "{{instance}}"))).
		WithPanel(series(11, "提交结果 / Submissions by outcome", "ops", 12,
			query(`sum by (outcome) (rate(ledger_appends_total`+rate+`))`, "{{outcome}}"))).
		WithPanel(series(12, "拒绝原因 / Refusals by code", "ops", 12,
			query(`sum by (code) (rate(ledger_appends_total{outcome="refused"}`+rate+`))`, "{{code}}"))).
		WithPanel(series(13, "签名验证拒绝 / Signature verification refusals", "ops", 12,
			query(`sum by (code) (rate(ledger_appends_total{outcome="refused",code=~"bad_signature|bad_signature_encoding|unknown_key"}`+rate+`))`, "{{code}}"))).
		WithRow(row(103, "提交延迟与批量 / Commit latency and batches")).
		WithPanel(series(20, "提交延迟 / Commit latency", "s", 12,
			query(`histogram_quantile(0.5, sum by (le) (rate(ledger_append_duration_seconds_bucket{outcome="created"}`+rate+`)))`, "p50"),
			query(`histogram_quantile(0.99, sum by (le) (rate(ledger_append_duration_seconds_bucket{outcome="created"}`+rate+`)))`, "p99"))).
		WithPanel(series(21, "每批条目 / Entries per group commit", "short", 6,
			query(`sum(rate(ledger_batch_entries_sum`+rate+`)) / sum(rate(ledger_batch_entries_count`+rate+`))`, "mean"))).
		WithPanel(series(22, "每秒提交批次 / Group commits per second", "ops", 6,
			query(`sum(rate(ledger_batch_entries_count`+rate+`))`, "commits/s"))).
		WithRow(row(104, "完整性与存储 / Integrity and store")).
		WithPanel(series(30, "日志与检查点大小 / Log and checkpoint size", "short", 12,
			query(`max(ledger_entries)`, "日志 / log"),
			query(`max(ledger_checkpoint_size)`, "检查点 / checkpoint"))).
		WithPanel(series(31, "完整性失败 / Integrity failures by reason", "short", 12,
			query(`sum by (reason) (ledger_verify_failures_total)`, "{{reason}}"))).
		WithRow(row(105, "HTTP 与进程 / HTTP and process")).
		WithPanel(series(40, "HTTP 5xx 比例 / HTTP 5xx ratio", "percentunit", 8,
			query(`sum(rate(ledger_http_requests_total{code=~"5.."}`+rate+`)) / sum(rate(ledger_http_requests_total`+rate+`))`, "5xx"))).
		WithPanel(series(41, "按路由请求 / Requests by route and code", "reqps", 8,
			query(`sum by (route, code) (rate(ledger_http_requests_total`+rate+`))`, "{{route}} {{code}}"))).
		WithPanel(series(42, "常驻内存 / Resident memory", "bytes", 8,
			query(`process_resident_memory_bytes{job="ledgerd"}`, "{{instance}}")))
}

// complianceBoard is the officials' dashboard: who owes what, past which deadline, and
// which findings are open under which article.
func complianceBoard() *dashboard.DashboardBuilder {
	od, fo, fr := compliance.MetricOverdue, compliance.MetricFindingsOpen, compliance.MetricFindingsSeen
	return board("ledger-compliance", "合规监测 / Compliance",
		"《阿坝州公共数据管理办法》逾期义务与认定 / Overdue obligations and findings under the Aba Prefecture Public Data Management Measures (docs/monitoring.md)",
		"compliance").
		WithRow(row(106, "概况 / Overview")).
		WithPanel(alarm(1, "逾期义务 / Overdue obligations", "超过期限 D1–D12 仍未履行的义务 / obligations past deadlines D1–D12, not yet met",
			`sum(`+od+`) or vector(0)`, 1, 10)).
		WithPanel(alarm(2, "未关闭认定 / Open findings", "F1–F18 已提出未关闭的认定 / findings F1–F18 raised and not closed",
			`sum(`+fo+`) or vector(0)`, 1, 10)).
		WithPanel(alarm(3, "拒不整改 F17（第41条） / Rectification refused F17 (Art. 41)",
			"逾期未完成限期整改，升级处理 / rectification orders not carried out by their deadline: escalated",
			`sum(`+fo+`{rule="F17"}) or vector(0)`, 0, 1)).
		WithPanel(alarm(4, "暂停主体访问 F18（第42条，24小时） / Suspended-party access F18 (Art. 42, 24 h)",
			"访问权限被暂停的主体的访问次数 / accesses by parties whose access is suspended",
			`sum(increase(`+fr+`{rule="F18"}[24h])) or vector(0)`, 0, 1)).
		WithRow(row(107, "逾期义务 / Overdue obligations")).
		WithPanel(bars(10, "按期限 / By deadline", `sum by (deadline, article) (`+od+`)`, "{{deadline}} 第{{article}}条")).
		WithPanel(tabular(11, "按机构与期限 / By institution and deadline", `sum by (institution, deadline, article) (`+od+`)`)).
		WithPanel(series(12, "逾期趋势 / Overdue over time", "short", 24,
			query(`sum by (deadline) (`+od+`)`, "{{deadline}}"))).
		WithRow(row(108, "认定 / Findings")).
		WithPanel(bars(20, "按规则与条款 / Open by rule and article", `sum by (rule, article) (`+fo+`)`, "{{rule}} 第{{article}}条")).
		WithPanel(tabular(21, "按机构 / Open by institution", `sum by (institution, rule, article) (`+fo+`)`)).
		WithPanel(series(22, "每日新认定 / New findings per day", "short", 12,
			query(`sum by (rule) (increase(`+fr+`[1d]))`, "{{rule}}"))).
		WithPanel(series(23, "升级处理 F17 / Escalations (F17)", "short", 12,
			query(`sum by (institution) (`+fo+`{rule="F17"})`, "{{institution}}"))).
		WithRow(row(109, "数据新鲜度 / Freshness")).
		WithPanel(series(30, "合规投影滞后（条） / Compliance fold lag (entries)", "short", 24,
			query(`max by (instance) (ledger_entries - `+compliance.MetricPosition+`)`, "{{instance}}")))
}
