// Package livetest runs the real ledgerd binary, built from this checkout, on a data
// directory that `ledgerctl demo` filled with a year of Aba institutions' acts, and feeds
// it a scripted mix of live acts, so that the monitoring tests check their rules and
// dashboards against the series a real server exports rather than against a list typed
// by hand.
package livetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
)

// Server is a running ledgerd.
type Server struct {
	URL        string // the public listener
	MetricsURL string // --metrics-listen: every series, per-institution ones too
	Data       string // its data directory
	Token      string // a security officer's bearer token (reads event data)
	ledgerctl  string
	logs       *syncBuffer
	probeKey   *crypto.PrivateKey
}

// Probe is the institution the script registers live: its series exist at 0 from its
// registration, before Act raises its first finding (F3, 第十七条).
const Probe = "mon-probe"

// Start builds ledgerd and ledgerctl, fills a data directory with `ledgerctl demo`
// (findings F1–F18, overdue obligations, emergencies, a suspension, in the past), serves
// it with --metrics-listen, reads event data with and without a credential, and
// registers Probe. Act then adds the acts a running ledger sees.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := build(t)
	dir := t.TempDir()
	s := &Server{Data: filepath.Join(dir, "data"), ledgerctl: filepath.Join(bin, "ledgerctl"), logs: &syncBuffer{}}
	s.Token = s.demo(t)
	s.serve(t, filepath.Join(bin, "ledgerd"))
	s.read(t)
	s.enrol(t)
	return s
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries is the directory holding ledgerd and ledgerctl built from this checkout,
// once per test binary: the deploy tests run what the deployment files describe.
func Binaries(t testing.TB) string { t.Helper(); return build(t) }

// build compiles the two commands once per test binary.
func build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "livetest-bin-"); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", buildDir+string(filepath.Separator), "./cmd/ledgerd", "./cmd/ledgerctl")
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, b)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

// demo fills the data directory and returns the security officer's token.
func (s *Server) demo(t testing.TB) string {
	t.Helper()
	out, err := exec.Command(s.ledgerctl, "demo", "--data", s.Data, "--events", "100", "--json").Output()
	if err != nil {
		t.Fatalf("ledgerctl demo: %v", err)
	}
	var r struct {
		Tokens []struct {
			Role  string `json:"role"`
			Token string `json:"token"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("ledgerctl demo --json: %v", err)
	}
	for _, tk := range r.Tokens {
		if tk.Role == "security_officer" {
			return tk.Token
		}
	}
	t.Fatalf("ledgerctl demo printed no security_officer token: %s", out)
	return ""
}

// serve starts ledgerd and waits until it is ready; the test's cleanup stops it with
// SIGTERM (it drains and signs a final checkpoint).
func (s *Server) serve(t testing.TB, ledgerd string) {
	t.Helper()
	pub, met := FreeAddr(t), FreeAddr(t)
	cmd := exec.Command(ledgerd, "--data", s.Data, "--listen", pub, "--metrics-listen", met,
		"--compliance-interval", "100ms", "--checkpoint-interval", "300ms", "--log-format", "text",
		"--keystore", filepath.Join(s.Data, "keystore"), "--kek-file", filepath.Join(s.Data, "keys", "keystore.kek"))
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("ledgerd log:\n%s", s.logs.String())
		}
	})
	s.URL, s.MetricsURL = "http://"+pub, "http://"+met
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if Ready(s.URL) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledgerd not ready:\n%s", s.logs.String())
		}
	}
}

// Ready reports whether the ledgerd at base answers 200 on /readyz: what a deployment's
// healthcheck asks.
func Ready(base string) bool {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// read asks for an event with the officer's token (an audited read; 404, no such
// event) and without a credential (401, audited as unauthenticated).
func (s *Server) read(t testing.TB) {
	t.Helper()
	for _, token := range []string{s.Token, ""} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/events/0190f7a2-0000-7000-8000-000000000000", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if (token == "") != (resp.StatusCode == http.StatusUnauthorized) {
			t.Fatalf("GET /v1/events/{id} with token %v: %d", token != "", resp.StatusCode)
		}
	}
}

// Scrape returns GET /metrics of the metrics listener (every series).
func (s *Server) Scrape(t testing.TB) string { t.Helper(); return get(t, s.MetricsURL+"/metrics") }

// ScrapePublic returns GET /metrics of the public listener.
func (s *Server) ScrapePublic(t testing.TB) string { t.Helper(); return get(t, s.URL+"/metrics") }

func get(t testing.TB, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return string(b)
}

// Logs is what ledgerd wrote so far.
func (s *Server) Logs() string { return s.logs.String() }

var sampleName = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]`)

// SeriesNames returns the names of the samples in a Prometheus text exposition
// (histograms as their _bucket, _sum and _count series), plus "up", which Prometheus
// adds to every scrape.
func SeriesNames(exposition string) map[string]bool {
	names := map[string]bool{"up": true}
	for _, line := range strings.Split(exposition, "\n") {
		if m := sampleName.FindStringSubmatch(line); m != nil {
			names[m[1]] = true
		}
	}
	return names
}

// FreeAddr is a loopback address that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer collects a child's output, written from exec's copying goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
