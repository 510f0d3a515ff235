package deploy

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v4"

	"github.com/aba-prefecture/dataledger/deploy/internal/livetest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// composeService is what TestComposeFrontEnds reads of a compose service.
type composeService struct {
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Secrets     []string          `yaml:"secrets"`
	Ports       []string          `yaml:"ports"`
	DependsOn   map[string]any    `yaml:"depends_on"`
}

// TestComposeFrontEnds runs the deployment compose/frontends.yml describes, without a
// container engine (none runs here): each ledgerd service's own command line and
// environment, from the file, with only what a container gives replaced — the
// database's address by a fresh database on the test server (the URL's ledgerd
// parameters kept), 0.0.0.0 listeners and service names by loopback addresses, the
// /data volume by a directory, the shared keys volume by one directory both see, the
// compose secret by a file of the same shape. The services start in depends_on order,
// each waited for on /readyz as its healthcheck does; then each front-end is loaded:
// exactly one is the sequencing point, every acknowledged submission is in the log and
// `ledgerctl verify` exits 0. A flag renamed in ledgerd, an environment variable it no
// longer reads or a relay setting it refuses fails here.
func TestComposeFrontEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs ledgerd")
	}
	b, err := os.ReadFile("compose/frontends.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]composeService `yaml:"services"`
		Secrets  map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Services["postgres"]; !ok {
		t.Fatal("no postgres service")
	}
	order := startOrder(t, c.Services)
	if len(order) != 2 {
		t.Fatalf("ledgerd services %v, want two front-ends", order)
	}
	bin := livetest.Binaries(t)
	dir := t.TempDir()
	db := pgtest.NewDatabase(t)

	// The compose secret, made as the file's header says: 48 random bytes in base64,
	// readable by its owner only.
	secrets := map[string]string{}
	for name := range c.Secrets {
		raw := make([]byte, 48)
		rand.Read(raw)
		p := filepath.Join(dir, "secret-"+name)
		if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(raw)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		secrets["/run/secrets/"+name] = p
	}
	// Every container's listener on 0.0.0.0:PORT is a loopback address of its own here;
	// SERVICE:PORT names it.
	addrs := map[string]string{}
	for _, name := range order {
		for _, arg := range c.Services[name].Command {
			if host, port, err := net.SplitHostPort(arg); err == nil && host == "0.0.0.0" {
				addrs[name+":"+port] = livetest.FreeAddr(t)
			}
		}
	}
	volumes := map[string]string{} // named volume → the directory standing for it
	var fes []*composeFrontEnd
	for _, name := range order {
		s := c.Services[name]
		fe := &composeFrontEnd{name: name, data: filepath.Join(dir, name)}
		// Named volumes: the one at /data is the data directory; one under it shared
		// between services (the ledger's keys) is one directory both see.
		for _, v := range s.Volumes {
			src, target, _ := strings.Cut(v, ":")
			target, _, _ = strings.Cut(target, ":")
			if strings.HasPrefix(src, ".") || !strings.HasPrefix(target, "/data") {
				continue // the checkout and the Go caches: the build, done here already
			}
			if target == "/data" {
				continue
			}
			shared, ok := volumes[src]
			if !ok {
				shared = filepath.Join(dir, "volume-"+src)
				if err := os.MkdirAll(shared, 0o700); err != nil {
					t.Fatal(err)
				}
				volumes[src] = shared
			}
			link := filepath.Join(fe.data, strings.TrimPrefix(target, "/data/"))
			if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(shared, link); err != nil {
				t.Fatal(err)
			}
		}
		fe.cmd = exec.Command(filepath.Join(bin, "ledgerd"), composeArgs(t, name, s.Command, fe.data, addrs)...)
		mounted := map[string]string{} // the secrets this service is given
		for _, name := range s.Secrets {
			p := "/run/secrets/" + name
			if secrets[p] == "" {
				t.Fatalf("%s is given secret %s, which the file does not define", fe.name, name)
			}
			mounted[p] = secrets[p]
		}
		fe.cmd.Env = append(os.Environ(), composeEnv(t, s.Environment, db, mounted)...)
		for port, addr := range addrs {
			if strings.HasPrefix(port, name+":8080") {
				fe.url = "http://" + addr
			}
		}
		if fe.url == "" {
			t.Fatalf("%s: no public listener on 0.0.0.0:8080", name)
		}
		fe.start(t)
		fes = append(fes, fe)
	}

	// Load each front-end; the one that forwards hands its submissions to the other.
	var acked []string
	for i, fe := range fes {
		file := filepath.Join(dir, fe.name+".acked")
		out, err := exec.Command(filepath.Join(bin, "ledgerctl"), "load", "--server", fe.url, "--events", "300",
			"--concurrency", "8", "--acked", file, "--institution", fmt.Sprintf("compose-%d", i), "--json").CombinedOutput()
		if err != nil {
			t.Fatalf("ledgerctl load on %s: %v\n%s", fe.name, err, out)
		}
		ids, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, strings.Fields(string(ids))...)
	}
	if len(acked) != 600 {
		t.Fatalf("%d acknowledged, want 600", len(acked))
	}
	sequencing := 0
	for _, fe := range fes {
		if v := fe.metric(t, "ledger_sequencing"); v == 1 {
			sequencing++
		}
	}
	if sequencing != 1 {
		t.Errorf("%d front-ends report ledger_sequencing 1, want exactly one", sequencing)
	}
	ctx := context.Background()
	st, err := pgstore.Open(ctx, db, pgstore.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pos, err := st.Lookup(ctx, acked)
	if err != nil {
		t.Fatal(err)
	}
	if len(pos) != len(acked) {
		t.Errorf("%d of %d acknowledged submissions are in the log", len(pos), len(acked))
	}
	if out, err := exec.Command(filepath.Join(bin, "ledgerctl"), "verify", "--store", db, "--data", fes[0].data).CombinedOutput(); err != nil {
		t.Errorf("ledgerctl verify: %v\n%s", err, out)
	}
}

// startOrder is the ledgerd services in the order depends_on starts them.
func startOrder(t *testing.T, services map[string]composeService) []string {
	var order []string
	started := map[string]bool{"postgres": true}
	for len(order) < len(services)-1 {
		progressed := false
		for name, s := range services {
			if started[name] || len(s.Command) == 0 {
				continue
			}
			ready := true
			for dep := range s.DependsOn {
				ready = ready && started[dep]
			}
			if ready {
				order, started[name], progressed = append(order, name), true, true
			}
		}
		if !progressed {
			t.Fatalf("depends_on leaves %v unstartable", services)
		}
	}
	return order
}

// composeArgs is a service's ledgerd arguments: `go run ./cmd/ledgerd` dropped, /data
// the service's directory, every HOST:PORT the loopback address standing for it.
func composeArgs(t *testing.T, name string, command []string, data string, addrs map[string]string) []string {
	if len(command) < 3 || command[0] != "go" || command[1] != "run" || command[2] != "./cmd/ledgerd" {
		t.Fatalf("%s runs %q, want go run ./cmd/ledgerd", name, command)
	}
	var args []string
	for _, a := range command[3:] {
		switch host, port, err := net.SplitHostPort(a); {
		case a == "/data":
			a = data
		case err == nil && host == "0.0.0.0":
			a = addrs[name+":"+port]
		case err == nil && addrs[host+":"+port] != "":
			a = addrs[host+":"+port]
		case err == nil:
			t.Fatalf("%s: %s names no service's listener", name, a)
		}
		args = append(args, a)
	}
	return args
}

// composeEnv is a service's environment with the database URL pointed at db (its
// ledgerd parameters kept) and the paths of the secrets the service is given at the
// files standing for them.
func composeEnv(t *testing.T, env map[string]string, db string, secrets map[string]string) []string {
	var out []string
	for k, v := range env {
		switch {
		case strings.HasPrefix(v, "postgres://"):
			want, err := url.Parse(strings.ReplaceAll(v, "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "x"))
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			got, err := url.Parse(db)
			if err != nil {
				t.Fatal(err)
			}
			q := got.Query()
			for p, vs := range want.Query() {
				if p != "sslmode" {
					q[p] = vs
				}
			}
			got.RawQuery = q.Encode()
			v = got.String()
		case secrets[v] != "":
			v = secrets[v]
		case strings.HasPrefix(v, "/run/secrets/"):
			t.Fatalf("%s=%s: a secret the service is not given", k, v)
		}
		out = append(out, k+"="+v)
	}
	return out
}

// composeFrontEnd is one ledgerd service run as a process.
type composeFrontEnd struct {
	name, data, url string
	cmd             *exec.Cmd
	log             string // its output's file
}

// start runs the front-end and waits for /readyz, as the service's healthcheck does.
func (fe *composeFrontEnd) start(t *testing.T) {
	t.Helper()
	fe.log = fe.data + ".log"
	lf, err := os.Create(fe.log)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close() // the child has its own descriptor
	fe.cmd.Stdout, fe.cmd.Stderr = lf, lf
	t.Logf("%s: ledgerd %s", fe.name, strings.Join(fe.cmd.Args[1:], " "))
	if err := fe.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { fe.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		fe.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(40 * time.Second): // stop_grace_period
			fe.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", fe.name, fe.output())
		}
	})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-done:
			t.Fatalf("%s exited before it was ready:\n%s", fe.name, fe.output())
		default:
		}
		if livetest.Ready(fe.url) {
			return
		}
	}
	t.Fatalf("%s not ready within a minute:\n%s", fe.name, fe.output())
}

// output is what the front-end has logged so far.
func (fe *composeFrontEnd) output() string {
	b, _ := os.ReadFile(fe.log)
	return string(b)
}

// metric is the value of an unlabelled gauge on the front-end's /metrics.
func (fe *composeFrontEnd) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get(fe.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("%s /metrics: %v", fe.name, err)
	}
	f := fams[name]
	if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge() == nil {
		t.Fatalf("%s: no single gauge %s on /metrics", fe.name, name)
	}
	return f.GetMetric()[0].GetGauge().GetValue()
}
