//lint:file-ignore SA1019 The classic dashboard schema stays until dashboardv2 is generally available (dashboards.go).

package grafana

import (
	"strings"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// security is the security officers' dashboard: who is refused and why, who is
// suspended, who fails to authenticate, how much event data is read.
func security() *dashboard.DashboardBuilder {
	sig := strings.Join(api.SignatureRefusalCodes, "|")
	return withInstitutions(board("ledger-security", "安全 / Security",
		"拒绝原因、暂停权限的主体、认证失败与读取审计量 / refusals by code, suspended parties, authentication failures and read-audit volume (docs/access.md)",
		"security")).
		WithRow(row(101, "概况 / Overview")).
		WithPanel(alarm(1, text{"24小时拒绝提交 / Refused submissions in 24 h", "被拒绝（4xx）的提交；原因见下方按代码的面板 / submissions refused (4xx); the panels below give the codes"},
			`sum(increase(ledger_appends_total{outcome="refused",`+inst+`}[24h]))`, 10, 1000)).
		WithPanel(alarm(2, text{"暂停权限的主体 / Suspended parties", "当前被暂停获取公共数据权限的主体数（第四十二条） / parties whose access to public data is suspended now (Art. 42)"},
			`sum(`+compliance.MetricSuspended+`{`+inst+`})`, 1, 100)).
		WithPanel(alarm(3, text{"24小时暂停主体访问 F18 / Suspended-party access F18 in 24 h", "暂停权限的主体再次访问被拒绝并记录（第四十二条，告警 LedgerSuspendedPartyAccess） / a suspended party tried again, refused and recorded (Art. 42, alert LedgerSuspendedPartyAccess)"},
			`sum(increase(`+compliance.MetricFindingsSeen+`{rule="F18",`+who+`}[24h]))`, 0, 1)).
		WithPanel(alarm(4, text{"24小时认证失败 / Authentication failures in 24 h", "无凭证或凭证无效（401）与无权读取（403）的请求 / requests with no or a bad credential (401) or without the right to read (403)"},
			`sum(increase(ledger_http_requests_total{code=~"401|403",`+inst+`}[24h]))`, 10, 1000)).
		WithRow(row(102, "拒绝 / Refusals")).
		WithPanel(series(10, text{"按代码的拒绝 / Refusals by code", "被拒绝提交的错误代码（docs/openapi.yaml） / the error codes of refused submissions (docs/openapi.yaml)"}, "short", 12,
			query(`sum by (code) (increase(ledger_appends_total{outcome="refused",`+inst+`}`+rate+`))`, "{{code}}"))).
		WithPanel(series(11, text{"签名与密钥拒绝 / Signature and key refusals", "验签失败、未登记或已吊销的密钥、密钥与机构不符（key_not_bound） / signatures that do not verify, unknown or revoked keys, a key not bound to the actor (key_not_bound)"}, "short", 12,
			query(`sum by (code) (increase(ledger_appends_total{outcome="refused",code=~"`+sig+`",`+inst+`}`+rate+`))`, "{{code}}"))).
		WithPanel(series(12, text{"暂停主体的拒绝 / Refusals of suspended parties", "暂停权限主体的行为被拒绝并以账本密钥记录（access_suspended，第四十二条） / acts of suspended parties refused and recorded under the ledger key (access_suspended, Art. 42)"}, "short", 12,
			query(`sum(increase(ledger_appends_total{outcome="refused",code="access_suspended",`+inst+`}`+rate+`))`, "access_suspended"))).
		WithPanel(series(13, text{"按类型的暂停主体 / Suspended parties by kind", "自然人、法人、非法人组织 / natural persons, legal persons, unincorporated organisations"}, "short", 12,
			query(`sum by (party_kind) (`+compliance.MetricSuspended+`{`+inst+`})`, "{{party_kind}}"))).
		WithRow(row(103, "认证与读取 / Authentication and reads")).
		WithPanel(series(20, text{"认证失败 / Authentication failures", "401/403 按路由；429 为超出速率限制 / 401 and 403 by route; 429 is a client over its rate limit"}, "short", 12,
			query(`sum by (code) (increase(ledger_http_requests_total{code=~"401|403|429",`+inst+`}`+rate+`))`, "{{code}}"))).
		WithPanel(series(21, text{"读取审计量 / Read-audit volume", "写入读取审计日志的记录（每次读取事件数据，允许或拒绝） / records written to the read-audit log (every read of event data, allowed or refused)"}, "short", 12,
			query(`sum(increase(ledger_read_audit_records_total{`+inst+`}`+rate+`))`, "records"))).
		WithPanel(tabular(22, text{"F18 按机构 / F18 by institution", "每个机构数据上的暂停主体访问（第四十二条） / suspended-party accesses to each institution's data (Art. 42)"},
			`sum by (institution) (`+compliance.MetricFindingsSeen+`{rule="F18",`+who+`})`)).
		WithPanel(tabular(23, text{"读取审计总量 / Read-audit records", "读取审计日志的记录总数（跨重启累计） / records in the read-audit log (kept across restarts)"},
			`sum by (instance) (ledger_read_audit_records_total{`+inst+`})`))
}
