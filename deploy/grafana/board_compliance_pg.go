//lint:file-ignore SA1019 The classic dashboard schema stays until dashboardv2 is generally available (dashboards.go).

package grafana

import "github.com/grafana/grafana-foundation-sdk/go/dashboard"

// countyFilter and institutionFilter narrow the read-model views by the dashboard's
// variables (All is ".*"; an institution at prefecture level has county 'prefecture').
const (
	countyFilter      = `COALESCE(county, 'prefecture') ~ '^(${county:regex})$'`
	institutionFilter = `institution ~ '^(${institution:regex})$'`
)

// SQL of the PostgreSQL panels, exported so that the tests run them against the views.
var (
	SQLFindings = `SELECT COALESCE(county, 'prefecture') AS "区县 county", institution AS "机构 institution", rule AS "规则 rule",
  title_zh AS "认定", title_en AS "finding", citation_zh AS "条款", state_zh AS "状态", state AS "state", arose AS "发生 arose"
FROM readmodel_findings
WHERE state <> 'rectified' AND ` + countyFilter + ` AND ` + institutionFilter + `
ORDER BY arose DESC NULLS LAST, institution, rule
LIMIT 500`
	SQLObligations = `SELECT COALESCE(county, 'prefecture') AS "区县 county", institution AS "机构 institution", deadline AS "期限 deadline",
  title_zh AS "义务", title_en AS "obligation", due AS "到期 due", late_workdays AS "逾期工作日 late workdays", state_zh AS "状态", state AS "state"
FROM readmodel_obligations
WHERE state = 'missed' AND ` + countyFilter + ` AND ` + institutionFilter + `
ORDER BY late_workdays DESC NULLS LAST, institution
LIMIT 500`
	SQLAssessment = `SELECT scope AS "范围 scope", id AS "机构或区县 id", COALESCE(county, 'prefecture') AS "区县 county",
  measure AS "指标 measure", ratio AS "得分 ratio"
FROM readmodel_assessment
WHERE ` + countyFilter + `
ORDER BY scope, id, measure`
	SQLInstitutions = `WITH i AS (SELECT institution, COALESCE(county, 'prefecture') AS county FROM readmodel_institutions)
SELECT i.county AS "区县 county", count(*) AS "机构 institutions",
  sum((SELECT count(*) FROM readmodel_findings f WHERE f.institution = i.institution AND f.state <> 'rectified')) AS "未关闭认定 open findings",
  sum((SELECT count(*) FROM readmodel_obligations o WHERE o.institution = i.institution AND o.state = 'missed')) AS "逾期义务 overdue"
FROM i WHERE i.county ~ '^(${county:regex})$'
GROUP BY i.county ORDER BY i.county`
)

// compliancePG adds the panels read from the read-model views in PostgreSQL (ledgerd
// with --store postgres://…; docs/readmodels.md), in a collapsed row: with the embedded
// store there is no such database and the row stays closed.
func compliancePG(b *dashboard.DashboardBuilder) *dashboard.DashboardBuilder {
	zh, en := "（仅 PostgreSQL 模式：读模型视图，随读模型保存更新）", " (PostgreSQL mode only: the read-model views, updated as the models are saved)"
	return b.WithRow(row(109, "读模型明细（PostgreSQL） / Read-model detail (PostgreSQL)").Collapsed(true).
		WithPanel(sqlTable(30, text{"区县汇总 / Counties", "各区县的机构、未关闭认定与逾期义务" + zh + " / institutions, open findings and overdue obligations per county" + en}, 24, SQLInstitutions)).
		WithPanel(sqlTable(31, text{"未关闭认定明细 / Open findings", "每条未关闭认定及其条款" + zh + " / every open finding with its article" + en}, 24, SQLFindings)).
		WithPanel(sqlTable(32, text{"逾期义务明细 / Overdue obligations", "每项逾期义务、到期日与逾期工作日" + zh + " / every overdue obligation, its due day and working days late" + en}, 24, SQLObligations)).
		WithPanel(sqlTable(33, text{"年度考核 / Annual assessment (Art. 5, 43)", "年度考核各指标得分（第五条、第四十三条）" + zh + " / the annual assessment's measures (Art. 5, 43)" + en}, 24, SQLAssessment)))
}
