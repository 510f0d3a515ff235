//lint:file-ignore SA1019 The classic dashboard schema stays until dashboardv2 is generally available (dashboards.go).

package grafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// operations is the operators' dashboard: is the ledger up, recording, fast?
func operations() *dashboard.DashboardBuilder {
	b := board("ledger-operations", "账本运行 / Ledger operations",
		"ledgerd 写入、提交延迟、读模型与 HTTP 错误 / ledgerd ingest, commit latency, read models and HTTP errors (docs/monitoring.md)",
		"operations").
		WithRow(row(101, "概况 / Overview")).
		WithPanel(number(1, text{"在线实例 / Instances up", "能被 Prometheus 抓取的 ledgerd 实例数（告警 LedgerdDown） / ledgerd instances Prometheus can scrape (alert LedgerdDown)"},
			`sum(up{job="ledgerd",`+inst+`})`, steps(dashboard.Threshold{Color: "red"}, dashboard.Threshold{Value: cog.ToPtr(1.0), Color: "green"}))).
		WithPanel(alarm(2, text{"完整性校验失败 / Integrity failures", "运行中发现的完整性失败（告警 LedgerVerifyFailure），详见完整性仪表盘 / integrity failures found while running (alert LedgerVerifyFailure); see the integrity dashboard"},
			`sum(ledger_verify_failures_total{`+inst+`})`, 0, 1)).
		WithPanel(alarm(3, text{"5xx 比例 / 5xx ratio", "最近 5 分钟 HTTP 5xx 应答占比（告警 LedgerHTTPErrorsHigh） / share of HTTP answers that were 5xx over 5 minutes (alert LedgerHTTPErrorsHigh)"},
			`sum(rate(ledger_http_requests_total{code=~"5..",`+inst+`}[5m])) / clamp_min(sum(rate(ledger_http_requests_total{`+inst+`}[5m])), 1e-9)`, 0.01, 0.05).Unit("percentunit")).
		WithPanel(info(4, text{"日志大小（条） / Log size (entries)", "已持久提交的记录数 / durably committed entries"},
			`max(ledger_entries{`+inst+`})`)).
		WithRow(row(102, "写入 / Ingest")).
		WithPanel(series(10, text{"写入速率 / Ingest rate", "每秒新记录的提交 / submissions recorded per second"}, "ops", 12,
			query(`sum by (instance) (rate(ledger_appends_total{outcome="created",`+inst+`}`+rate+`))`, "{{instance}}"))).
		WithPanel(series(11, text{"提交结果 / Submissions by outcome", "created 新记录，duplicate 重复提交，refused 拒绝（4xx），failed 失败（5xx，告警 LedgerAppendFailures） / created, duplicate, refused (4xx), failed (5xx, alert LedgerAppendFailures)"}, "ops", 12,
			query(`sum by (outcome) (rate(ledger_appends_total{`+inst+`}`+rate+`))`, "{{outcome}}"))).
		WithRow(row(103, "提交延迟与批量 / Commit latency and batches")).
		WithPanel(series(20, text{"提交延迟 / Commit latency", "从读取提交到应答：解码、SM2 验签、持久组提交 / from reading a submission to answering it: decoding, SM2 verification, durable group commit"}, "s", 12,
			query(`histogram_quantile(0.5, sum by (le) (rate(ledger_append_duration_seconds_bucket{outcome="created",`+inst+`}`+rate+`)))`, "p50"),
			query(`histogram_quantile(0.99, sum by (le) (rate(ledger_append_duration_seconds_bucket{outcome="created",`+inst+`}`+rate+`)))`, "p99"))).
		WithPanel(series(21, text{"每批条目 / Entries per group commit", "每次持久事务写入的记录数 / entries written per durable store transaction"}, "short", 6,
			query(`sum(rate(ledger_batch_entries_sum{`+inst+`}`+rate+`)) / clamp_min(sum(rate(ledger_batch_entries_count{`+inst+`}`+rate+`)), 1e-9)`, "mean"))).
		WithPanel(series(22, text{"每秒提交批次 / Group commits per second", "持久事务的频率 / durable store transactions per second"}, "ops", 6,
			query(`sum(rate(ledger_batch_entries_count{`+inst+`}`+rate+`))`, "commits/s"))).
		WithRow(row(104, "读模型 / Read models"))
	return operationsRest(b)
}

// operationsRest is the operations dashboard's read-model, HTTP and process rows.
func operationsRest(b *dashboard.DashboardBuilder) *dashboard.DashboardBuilder {
	return b.
		WithPanel(series(30, text{"读模型滞后（条） / Read-model lag (entries)", "日志大小减去各读模型已处理位置；持续增长说明投影停滞（告警 LedgerComplianceStale） / log size minus each read model's position; growing means a fold has stalled (alert LedgerComplianceStale)"}, "short", 12,
			query(`max by (model) (ledger_entries{`+inst+`} - on (job, instance) group_right ledger_readmodel_position{`+inst+`})`, "{{model}}"))).
		WithPanel(series(31, text{"读模型来源 / Read-model entries by source", "读模型应用的条目：commit 本进程、bus 消息总线、store 追赶 / entries the read models applied: commit (this process), bus, store (catch-up)"}, "ops", 12,
			query(`sum by (from) (rate(ledger_readmodel_applied_total{`+inst+`}`+rate+`))`, "{{from}}"))).
		WithPanel(series(32, text{"读模型滞后（时间） / Read-model lag (time)", "条目写入到各读模型处理完成的时间，p99：报表与检索结果最多落后多久 / time from an entry's sealing to each read model having folded it, p99: how stale a report or a search result can be"}, "s", 24,
			query(`histogram_quantile(0.99, sum by (le, model) (rate(ledger_readmodel_lag_seconds_bucket{`+inst+`}`+rate+`)))`, "{{model}}"))).
		WithRow(row(105, "HTTP 与进程 / HTTP and process")).
		WithPanel(series(40, text{"HTTP 5xx 比例 / HTTP 5xx ratio", "5xx 应答占全部请求的比例 / share of requests answered 5xx"}, "percentunit", 8,
			query(`sum(rate(ledger_http_requests_total{code=~"5..",`+inst+`}`+rate+`)) / clamp_min(sum(rate(ledger_http_requests_total{`+inst+`}`+rate+`)), 1e-9)`, "5xx"))).
		WithPanel(series(41, text{"按路由请求 / Requests by route and code", "请求最多的 15 个路由与状态码 / the 15 busiest routes and statuses, requests per second"}, "reqps", 8,
			query(`topk(15, sum by (route, code) (rate(ledger_http_requests_total{`+inst+`}`+rate+`)))`, "{{route}} {{code}}"))).
		WithPanel(series(42, text{"常驻内存 / Resident memory", "ledgerd 进程的常驻内存 / resident memory of the ledgerd process"}, "bytes", 8,
			query(`process_resident_memory_bytes{job="ledgerd",`+inst+`}`, "{{instance}}"))).
		WithPanel(tabular(43, text{"版本 / Build", "正在运行的版本与 VCS 修订 / the release and VCS revision running"},
			`max by (instance, version, revision, goversion) (ledger_build_info{`+inst+`})`))
}
