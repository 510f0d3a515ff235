//lint:file-ignore SA1019 The classic dashboard schema stays until dashboardv2 is generally available (dashboards.go).

package grafana

import (
	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// complianceBoard is the officials' dashboard: who owes what, past which deadline, and
// which findings are open under which article, per institution and county.
func complianceBoard() *dashboard.DashboardBuilder {
	od, fo, fr := compliance.MetricOverdue, compliance.MetricFindingsOpen, compliance.MetricFindingsSeen
	b := withInstitutions(board("ledger-compliance", "合规监测 / Compliance",
		"《阿坝州公共数据管理办法》逾期义务与认定，按机构与区县 / Overdue obligations and findings under the Aba Prefecture Public Data Management Measures, by institution and county (docs/monitoring.md)",
		"compliance")).
		WithVariable(dsVariable(VarPostgres, "读模型数据库 / Read-model database", PostgresType, inputPostgres)).
		WithRow(row(106, "概况 / Overview")).
		WithPanel(alarm(1, text{"逾期义务 / Overdue obligations", "超过期限 D1–D12 仍未履行的义务（告警 LedgerObligationOverdue） / obligations past deadlines D1–D12, not yet met (alert LedgerObligationOverdue)"},
			`sum(`+od+`{`+who+`})`, 1, 10)).
		WithPanel(alarm(2, text{"未关闭认定 / Open findings", "F1–F19 已提出未关闭的认定（第四十一条） / findings F1–F19 raised and not closed (Art. 41)"},
			`sum(`+fo+`{`+who+`})`, 1, 10)).
		WithPanel(alarm(3, text{"拒不整改 F17（第41条） / Rectification refused F17 (Art. 41)", "逾期未完成限期整改，升级处理（告警 LedgerRectificationRefused） / rectification orders not carried out by their deadline: escalated (alert LedgerRectificationRefused)"},
			`sum(`+fo+`{rule="F17",`+who+`})`, 0, 1)).
		WithPanel(alarm(4, text{"24小时新认定 / New findings in 24 h", "过去 24 小时提出的认定；每个机构的每条规则从 0 起导出，首个认定也计入（告警 LedgerFindingRaised） / findings raised in the last 24 hours; every rule is exported from 0 per institution, so the first one counts (alert LedgerFindingRaised)"},
			`sum(increase(`+fr+`{`+who+`}[24h]))`, 1, 10)).
		WithRow(row(107, "逾期义务 / Overdue obligations")).
		WithPanel(bars(10, text{"按期限 / By deadline", "逾期义务按期限与设定期限的条款 / overdue obligations by deadline and the article that sets it"},
			`sum by (deadline, article) (`+od+`{`+who+`})`, "{{deadline}} 第{{article}}条")).
		WithPanel(bars(11, text{"按区县 / By county", "逾期义务按区县（prefecture 为州级机构） / overdue obligations by county (prefecture: institutions at prefecture level)"},
			`sum by (county) `+byCounty(od+`{`+who+`}`), "{{county}}")).
		WithPanel(tabular(12, text{"按机构与期限 / By institution and deadline", "逾期的机构、期限与条款 / who is overdue, on which deadline, under which article"},
			`sum by (county, institution, deadline, article) `+byCounty(od+`{`+who+`}`)+` > 0`)).
		WithPanel(series(13, text{"逾期趋势 / Overdue over time", "逾期义务按期限随时间变化 / overdue obligations by deadline over time"}, "short", 12,
			query(`sum by (deadline) (`+od+`{`+who+`})`, "{{deadline}}"))).
		WithRow(row(108, "认定 / Findings")).
		WithPanel(bars(20, text{"按规则与条款 / Open by rule and article", "未关闭认定按规则与被违反的条款 / open findings by rule and the article breached"},
			`sum by (rule, article) (`+fo+`{`+who+`})`, "{{rule}} 第{{article}}条")).
		WithPanel(bars(21, text{"按区县 / Open by county", "未关闭认定按区县 / open findings by county"},
			`sum by (county) `+byCounty(fo+`{`+who+`}`), "{{county}}")).
		WithPanel(series(22, text{"每日新认定 / New findings per day", "按规则统计的过去一天新认定 / findings raised over the past day, by rule"}, "short", 12,
			query(`sum by (rule) (increase(`+fr+`{`+who+`}[1d]))`, "{{rule}}"))).
		WithPanel(series(23, text{"合规投影滞后（条） / Compliance fold lag (entries)", "合规序列落后于日志的条数（告警 LedgerComplianceStale） / entries the compliance series lag the log by (alert LedgerComplianceStale)"}, "short", 12,
			query(`max by (instance) (ledger_entries{`+inst+`} - `+compliance.MetricPosition+`{`+inst+`})`, "{{instance}}")))
	return compliancePG(b)
}
