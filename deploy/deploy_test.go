package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
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

// TestPrometheusScrapesLedger runs Debian's prometheus against a live ledger server with
// the alert rules loaded: the ledger's series arrive, the alerts whose conditions the
// server's state meets fire, and every dashboard query is valid PromQL.
func TestPrometheusScrapesLedger(t *testing.T) {
	bin := tool(t, "prometheus")
	s := livetest.Start(t)
	target := strings.TrimPrefix(s.URL, "http://")
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
	addr := freeAddr(t)
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
	api := "http://" + addr + "/api/v1/"

	// The ledger's own series arrive, with the size the ledger has.
	want := fmt.Sprint(s.Ledger.Size())
	eventually(t, 30*time.Second, "ledger_entries scraped", func() (bool, string) {
		var r queryResult
		if err := getJSON(api+"query?query="+url.QueryEscape(`ledger_entries{job="ledgerd"}`), &r); err != nil {
			return false, err.Error()
		}
		got := r.values()
		return len(got) == 1 && got[0] == want, fmt.Sprintf("%v", got)
	})

	// The alerts the server's state calls for fire: the integrity failure it saw, the
	// overdue D1 obligation, the open F17. LedgerdDown does not.
	eventually(t, 30*time.Second, "alerts firing", func() (bool, string) {
		var r struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		if err := getJSON(api+"alerts", &r); err != nil {
			return false, err.Error()
		}
		firing := map[string]bool{}
		for _, a := range r.Data.Alerts {
			if a.State == "firing" {
				firing[a.Labels["alertname"]+"/"+a.Labels["reason"]+a.Labels["deadline"]+a.Labels["rule"]] = true
			}
		}
		ok := firing["LedgerVerifyFailure/rewritten"] && firing["LedgerObligationOverdue/D1"] &&
			firing["LedgerRectificationRefused/F17"] && !firing["LedgerdDown/"]
		return ok, fmt.Sprint(firing)
	})

	// Every dashboard query parses and evaluates.
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
			q = strings.ReplaceAll(q, "$__rate_interval", "1m")
			var r queryResult
			if err := getJSON(api+"query?query="+url.QueryEscape(q), &r); err != nil || r.Status != "success" {
				t.Errorf("%s: %s: %v %s", f.Name, q, err, r.Error)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no dashboard queries found")
	}
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

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
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
