//lint:file-ignore SA1019 The classic dashboard schema stays until dashboardv2 is generally available (dashboards.go).

package grafana

import (
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// tamperReasons are the verification failures that mean history was changed or
// presented two ways (not a malformed entry from a buggy writer).
var tamperReasons = strings.Join([]string{"rewritten", "truncated", "checkpoint_mismatch", "bad_prev_hash",
	"bad_entry_hash", "missing_entry", "checkpoint_conflict"}, "|")

// integrity is the tamper-evidence dashboard: checkpoints, witnesses, verification.
func integrity() *dashboard.DashboardBuilder {
	return board("ledger-integrity", "完整性 / Integrity",
		"检查点、见证人、完整性校验与篡改告警 / checkpoints, witnesses, verification and tamper alarms (docs/monitoring.md, docs/runbooks.md)",
		"integrity").
		WithRow(row(101, "概况 / Overview")).
		WithPanel(alarm(1, text{"篡改告警 / Tamper alarms", "历史被改写、截断或出现分叉视图（rewritten、truncated、checkpoint_conflict 等）：立即处置（告警 LedgerVerifyFailure） / history rewritten, truncated or shown two ways (rewritten, truncated, checkpoint_conflict, …): act now (alert LedgerVerifyFailure)"},
			`sum(ledger_verify_failures_total{reason=~"`+tamperReasons+`",`+inst+`})`, 0, 1)).
		WithPanel(alarm(2, text{"全部校验失败 / All verification failures", "运行中发现的全部完整性失败，任何原因 / every integrity failure found while running, any reason"},
			`sum(ledger_verify_failures_total{`+inst+`})`, 0, 1)).
		WithPanel(alarm(3, text{"检查点滞后（条） / Checkpoint lag (entries)", "已提交但未被签名检查点覆盖的记录（告警 LedgerCheckpointStalled） / committed entries not yet under a signed checkpoint (alert LedgerCheckpointStalled)"},
			`max(ledger_checkpoint_lag_entries{`+inst+`})`, 1000, 100000)).
		WithPanel(info(4, text{"最新检查点（条） / Latest checkpoint (entries)", "最新签名检查点覆盖的树大小 / tree size of the latest signed checkpoint"},
			`max(ledger_checkpoint_size{`+inst+`})`)).
		WithRow(row(102, "检查点 / Checkpoints")).
		WithPanel(series(10, text{"日志与检查点大小 / Log and checkpoint size", "两条线应紧贴：检查点随日志增长 / the two lines should stay together: checkpoints follow the log"}, "short", 12,
			query(`max(ledger_entries{`+inst+`})`, "日志 / log"),
			query(`max(ledger_checkpoint_size{`+inst+`})`, "检查点 / checkpoint"))).
		WithPanel(series(11, text{"每小时签发检查点 / Checkpoints signed per hour", "检查点大小每小时变化的次数 / how often the checkpoint size changed per hour"}, "short", 12,
			query(`sum by (instance) (changes(ledger_checkpoint_size{`+inst+`}[1h]))`, "{{instance}}"))).
		WithRow(row(103, "见证人 / Witnesses")).
		WithPanel(series(20, text{"见证人联署 / Witness cosignatures", "见证人提交的联署，按状态码；403/409 表示联署被拒或冲突 / cosignatures witnesses posted, by status; 403/409 are refused or conflicting ones"}, "short", 12,
			query(`sum by (code) (increase(ledger_http_requests_total{route="/v1/checkpoint/cosignatures",`+inst+`}`+rate+`))`, "{{code}}"))).
		WithPanel(series(21, text{"检查点与一致性证明请求 / Checkpoint and consistency-proof requests", "见证人与审计方获取检查点和一致性证明的速率 / how often witnesses and auditors fetch checkpoints and consistency proofs"}, "reqps", 12,
			query(`sum by (route) (rate(ledger_http_requests_total{route=~"/v1/checkpoint|/v1/proofs/consistency",`+inst+`}`+rate+`))`, "{{route}}"))).
		WithRow(row(104, "校验失败 / Verification failures")).
		WithPanel(series(30, text{"按原因的校验失败 / Verification failures by reason", "每种原因从 0 起导出；任何上升都须调查（docs/runbooks.md） / every reason is exported from 0; any rise must be investigated (docs/runbooks.md)"}, "short", 12,
			query(`sum by (reason) (ledger_verify_failures_total{`+inst+`})`, "{{reason}}"))).
		WithPanel(tabular(31, text{"失败明细 / Failures by instance and reason", "校验失败，按实例与原因 / verification failures by instance and reason"},
			`sum by (instance, reason) (ledger_verify_failures_total{`+inst+`})`))
}
