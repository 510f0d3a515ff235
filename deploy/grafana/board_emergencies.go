//lint:file-ignore SA1019 The classic dashboard schema stays until dashboardv2 is generally available (dashboards.go).

package grafana

import (
	"strings"

	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// emergenciesBoard is the emergency register's dashboard (Art. 21): open emergencies,
// data collected under them awaiting evaluation and sealing or destruction, and D8.
func emergenciesBoard() *dashboard.DashboardBuilder {
	em, data := compliance.MetricEmergencies, compliance.MetricEmergencyData
	awaiting := strings.Join(compliance.AwaitingStates, "|")
	return withInstitutions(board("ledger-emergencies", "突发事件 / Emergencies",
		"突发事件登记、应急采集数据的封存与销毁、期限 D8（第二十一条） / the emergency register, sealing or destruction of data collected under emergencies, deadline D8 (Art. 21)",
		"emergencies")).
		WithRow(row(101, "概况 / Overview")).
		WithPanel(alarm(1, text{"未结束的突发事件 / Open emergencies", "尚未结束或结束后职责未完成的突发事件 / emergencies not ended, or ended with duties outstanding"},
			`sum(`+em+`{state=~"active|pending|overdue|unknown",`+inst+`})`, 1, 100)).
		WithPanel(alarm(2, text{"待封存数据 / Data awaiting sealing", "应急采集、尚未评估并封存或销毁的资源（第二十一条第二款） / resources collected under emergencies not yet evaluated and sealed or destroyed (Art. 21 para 2)"},
			`sum(`+data+`{state=~"`+awaiting+`",`+who+`})`, 1, 100)).
		WithPanel(alarm(3, text{"D8 逾期的突发事件 / Emergencies past D8", "结束后超过期限 D8 仍未完成封存、销毁或停用应用 / ended, D8 passed, sealing, destruction or shutdown not done"},
			`sum(`+em+`{state="overdue",`+inst+`})`, 0, 1)).
		WithPanel(alarm(4, text{"D8 逾期义务 / D8 overdue obligations", "期限 D8 的逾期义务（告警 LedgerObligationOverdue） / obligations past deadline D8 (alert LedgerObligationOverdue)"},
			`sum(`+compliance.MetricOverdue+`{deadline="D8",`+who+`})`, 0, 1)).
		WithRow(row(102, "登记 / Register")).
		WithPanel(series(10, text{"按状态的突发事件 / Emergencies by state", "active 进行中，pending D8 计时中，overdue 逾期，late 逾期完成，done 按期完成 / active, pending (D8 running), overdue, late, done"}, "short", 12,
			query(`sum by (state) (`+em+`{`+inst+`})`, "{{state}}"))).
		WithPanel(series(11, text{"按状态的应急数据 / Emergency data by state", "应急采集的资源按评估与封存状态 / resources collected under emergencies by state of their evaluation and sealing"}, "short", 12,
			query(`sum by (state) (`+data+`{`+who+`})`, "{{state}}"))).
		WithPanel(tabular(12, text{"待封存数据按机构 / Data awaiting sealing by institution", "采集机构与状态 / collecting institution and state"},
			`sum by (county, institution, state) `+byCounty(data+`{state=~"`+awaiting+`",`+who+`}`))).
		WithPanel(bars(13, text{"F13 未关闭认定 / Open F13 findings", "应急数据未按期封存或销毁、应用未停用的认定，按机构 / findings for emergency data not sealed or destroyed in time or applications not shut down, by institution"},
			`sum by (institution) (`+compliance.MetricFindingsOpen+`{rule="F13",`+who+`})`, "{{institution}}"))
}
