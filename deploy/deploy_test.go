package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/deploy/grafana"
	"github.com/aba-prefecture/dataledger/deploy/internal/livetest"
	"go.yaml.in/yaml/v4"
)

const (
	rulesFile = "prometheus/alerts.yml"
	testsGlob = "prometheus/tests/*.yml"
)

// tool finds a Debian prometheus binary; it skips the test without it, except under
// LEDGER_REQUIRE_SERVICES=1 (CI), where a missing tool is a failure.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("LEDGER_REQUIRE_SERVICES") == "1" {
			t.Fatalf("%s is required (LEDGER_REQUIRE_SERVICES=1): apt-get install prometheus", name)
		}
		t.Skipf("%s not installed (apt-get install prometheus)", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPromtoolCheckRules(t *testing.T) {
	out := run(t, "promtool", "check", "rules", rulesFile)
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(alertNames(t))); !strings.Contains(out, want) {
		t.Fatalf("promtool check rules: want %q in\n%s", want, out)
	}
}

// The configuration compose mounts is valid and loads the rules.
func TestPromtoolCheckConfig(t *testing.T) {
	out := run(t, "promtool", "check", "config", "prometheus/prometheus.yml")
	if !strings.Contains(out, "SUCCESS: 1 rule files found") {
		t.Fatalf("promtool check config:\n%s", out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	files, err := filepath.Glob(testsGlob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule tests in %s: %v", testsGlob, err)
	}
	out := run(t, "promtool", append([]string{"test", "rules"}, files...)...)
	if strings.Count(out, "SUCCESS") != len(files) {
		t.Fatalf("promtool test rules:\n%s", out)
	}
}

func alertNames(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s*- alert: (\w+)$`).FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		t.Fatalf("no alerts in %s", rulesFile)
	}
	return names
}

// Every alert has a unit test where it fires and one where it stays silent.
func TestEveryAlertIsTestedBothWays(t *testing.T) {
	files, _ := filepath.Glob(testsGlob)
	fires, silent := map[string]bool{}, map[string]bool{}
	re := regexp.MustCompile(`alertname: (\w+)\n\s*exp_alerts:( \[\])?`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if m[2] == "" {
				fires[m[1]] = true
			} else {
				silent[m[1]] = true
			}
		}
	}
	for _, a := range alertNames(t) {
		if !fires[a] {
			t.Errorf("%s: no test where it fires", a)
		}
		if !silent[a] {
			t.Errorf("%s: no test where it stays silent", a)
		}
	}
}

// TestPrometheusScrapesLedger runs Debian's prometheus, with the alert rules loaded,
// against the real ledgerd (livetest: built from this checkout, a year of demo acts,
// --metrics-listen) and feeds the ledger live acts once Prometheus has seen the probe
// institution's finding series at 0. Then the first finding is counted by increase(),
// the alerts the ledger's state calls for fire, and every alert expression and every
// dashboard query (template variables as All) evaluates without error and, but for the
// few listed in expectedEmpty with their reason, to a non-empty result.
func TestPrometheusScrapesLedger(t *testing.T) {
	bin := tool(t, "prometheus")
	s := livetest.Start(t)
	api := startPrometheus(t, bin, strings.TrimPrefix(s.MetricsURL, "http://"))

	// The probe's F3 series is scraped at 0 before its first finding ...
	probeF3 := `ledger_findings_raised_total{job="ledgerd",institution="` + livetest.Probe + `",rule="F3"}`
	eventually(t, 30*time.Second, "the probe's finding series at 0", func() (bool, string) {
		v, err := values(api, probeF3)
		return err == nil && len(v) == 1 && v[0] == "0", fmt.Sprint(v, err)
	})
	s.Act(t)
	// ... so that increase() counts it (the alerts' and the dashboards' "new findings").
	eventually(t, 30*time.Second, "increase() counts the first finding", func() (bool, string) {
		v, err := values(api, `increase(`+probeF3+`[5m]) > 0`)
		return err == nil && len(v) == 1, fmt.Sprint(v, err)
	})
	eventually(t, 30*time.Second, "alerts firing", func() (bool, string) {
		firing, err := firingAlerts(api)
		ok := firing["LedgerVerifyFailure/rewritten"] && firing["LedgerObligationOverdue/D5"] &&
			firing["LedgerRectificationRefused/F17"] && firing["LedgerFindingRaised/F3"] &&
			firing["LedgerSuspendedPartyAccess/F18"] && !firing["LedgerdDown/"]
		return ok && err == nil, fmt.Sprint(firing, err)
	})
	checkAlertExpressions(t, api)
	checkDashboardQueries(t, api)
}

// expectedEmpty are the alert expressions a ledger in the test's state leaves empty, and
// why. Every other alert expression and every dashboard query must return something.
var expectedEmpty = map[string]string{
	"LedgerdDown":             "the ledger is up",
	"LedgerCheckpointStalled": "checkpoints were signed within the last 10 minutes",
	"LedgerAppendFailures":    "no submission was answered 5xx",
	"LedgerHTTPErrorsHigh":    "no request was answered 5xx",
	"LedgerComplianceStale":   "the compliance folds follow the log",
	// ledger_sequencing exists only with --relay-listen; the live ledgerd runs alone.
	"LedgerNoSequencingPoint":    "ledgerd runs without --relay-listen: no ledger_sequencing series",
	"LedgerSequencingPointSplit": "ledgerd runs without --relay-listen: no ledger_sequencing series",
}

// checkAlertExpressions queries every alert's expression.
func checkAlertExpressions(t *testing.T, api string) {
	t.Helper()
	rules := alertRules(t)
	for name, expr := range rules {
		v, err := values(api, expr)
		switch _, may := expectedEmpty[name]; {
		case err != nil:
			t.Errorf("alert %s: %v", name, err)
		case len(v) == 0 && !may:
			t.Errorf("alert %s: empty result, and it is not in expectedEmpty:\n%s", name, expr)
		}
	}
	for name := range expectedEmpty {
		if _, ok := rules[name]; !ok {
			t.Errorf("expectedEmpty names %s, which is no alert", name)
		}
	}
}

// variables are what the dashboards' template variables stand for when All is chosen.
var variables = strings.NewReplacer("$__rate_interval", "1m", "$instance", ".*", "$institution", ".*", "$county", ".*")

// checkDashboardQueries queries every PromQL target of every dashboard.
func checkDashboardQueries(t *testing.T, api string) {
	t.Helper()
	files, err := grafana.Files()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		for _, expr := range regexp.MustCompile(`"expr": "((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(string(f.JSON), -1) {
			var q string
			if err := json.Unmarshal([]byte(`"`+expr[1]+`"`), &q); err != nil {
				t.Fatal(err)
			}
			q = variables.Replace(q)
			v, err := values(api, q)
			if err != nil || len(v) == 0 {
				t.Errorf("%s: %s: %v (results %d)", f.Name, q, err, len(v))
			}
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d dashboard queries found", n)
	}
}

// alertRules reads the alert rules' names and expressions.
func alertRules(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Expr
		}
	}
	if len(out) != len(alertNames(t)) {
		t.Fatalf("read %d alert rules, the file names %d", len(out), len(alertNames(t)))
	}
	return out
}

// startPrometheus runs prometheus scraping target every second with the alert rules,
// and returns its API's base URL.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: ledgerd
    static_configs:
      - targets: [%q]
`, rules, target), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := livetest.FreeAddr(t)
	var logs syncBuffer
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	return "http://" + addr + "/api/v1/"
}

// firingAlerts is the set of firing alerts as alertname/reason+deadline+rule.
func firingAlerts(api string) (map[string]bool, error) {
	var r struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := getJSON(api+"alerts", &r); err != nil {
		return nil, err
	}
	firing := map[string]bool{}
	for _, a := range r.Data.Alerts {
		if a.State == "firing" {
			firing[a.Labels["alertname"]+"/"+a.Labels["reason"]+a.Labels["deadline"]+a.Labels["rule"]] = true
		}
	}
	return firing, nil
}

// values evaluates an instant query and returns its sample values; a failed query is
// an error.
func values(api, q string) ([]string, error) {
	var r queryResult
	if err := getJSON(api+"query?query="+url.QueryEscape(q), &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", q, r.Error)
	}
	return r.values(), nil
}

type queryResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Result []struct {
			Value []any `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func (r queryResult) values() []string {
	var out []string
	for _, s := range r.Data.Result {
		if len(s.Value) == 2 {
			out = append(out, fmt.Sprint(s.Value[1]))
		}
	}
	return out
}

func getJSON(u string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, within, state)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// syncBuffer collects the child's output, written from exec's copying goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
