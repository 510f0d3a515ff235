package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
)

// Before any submission or failure, the series dashboards and alerts divide by or take
// increase() of exist at 0: every verification reason, every listed refusal code (the
// signature ones with key_not_bound), and 5xx and 401 per route; one refusal then counts
// from 0 to 1 on its own code.
func TestSeriesExistAtZero(t *testing.T) {
	e := newEnv(t)
	scrape := func() string {
		resp, b := e.do(http.MethodGet, "/metrics", "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d", resp.StatusCode)
		}
		return string(b)
	}
	m := scrape()
	var want []string
	for _, r := range api.VerifyReasons {
		want = append(want, `ledger_verify_failures_total{reason="`+r+`"} 0`)
	}
	for _, c := range api.RefusalCodes {
		want = append(want, `ledger_appends_total{code="`+c+`",outcome="refused"} 0`)
	}
	want = append(want, `ledger_http_requests_total{code="500",method="POST",route="/v1/events"} 0`,
		`ledger_http_requests_total{code="401",method="GET",route="/v1/events/{id}"} 0`)
	for _, w := range want {
		if !strings.Contains(m, w+"\n") {
			t.Errorf("before any event, /metrics lacks %s", w)
		}
	}
	e.post([]byte(`{`))
	if m := scrape(); !strings.Contains(m, `ledger_appends_total{code="malformed_json",outcome="refused"} 1`+"\n") {
		t.Errorf("an unparsable body did not count under malformed_json:\n%s", m)
	}
}
