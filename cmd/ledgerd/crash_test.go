package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

// TestCrashRecovery kills ledgerd with SIGKILL in the middle of a load, restarts it on the
// same data directory while the load keeps retrying, and repeats; then every id the load
// was told was recorded must be in the ledger, and `ledgerctl verify` must find it intact.
// It runs the real binaries: nothing is simulated.
//
// LEDGER_CRASH_ROUNDS (default 3) and LEDGER_CRASH_EVENTS (default 2000 per round) scale
// it; CI runs the defaults, a soak sets them higher.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	rounds, events := envInt(t, "LEDGER_CRASH_ROUNDS", 3), envInt(t, "LEDGER_CRASH_EVENTS", 2000)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LEDGER_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (replay with LEDGER_CRASH_SEED), %d rounds of %d events", seed, rounds, events)
	rnd := rand.New(rand.NewPCG(seed, 0))

	tmp := t.TempDir()
	ledgerd, ledgerctl := buildBinary(t, tmp, "ledgerd"), buildBinary(t, tmp, "ledgerctl")
	data := filepath.Join(tmp, "data")
	addr := freeAddr(t)
	url := "http://" + addr

	var allAcked []string
	var probe string // an id acknowledged before a kill, fetched with its proof after
	for round := range rounds {
		d := startDaemon(t, ledgerd, data, addr, filepath.Join(tmp, fmt.Sprintf("ledgerd-%d-a.log", round)))
		ackFile := filepath.Join(tmp, fmt.Sprintf("acked-%d", round))
		var loadOut bytes.Buffer
		load := exec.Command(ledgerctl, "load", "--server", url, "--events", strconv.Itoa(events), "--acked", ackFile,
			"--concurrency", "32", "--retry-for", "60s")
		load.Stdout, load.Stderr = &loadOut, &loadOut
		if err := load.Start(); err != nil {
			t.Fatal(err)
		}
		loadDone := make(chan error, 1)
		go func() { loadDone <- load.Wait() }()

		// Kill somewhere between a tenth and two thirds of the way.
		target := events/10 + rnd.IntN(events*2/3-events/10)
		n := waitLines(t, ackFile, target, loadDone)
		d.signal(syscall.SIGKILL)
		before := readLines(t, ackFile)
		t.Logf("round %d: SIGKILL after %d acknowledged (target %d)", round, len(before), target)
		if n > 0 && probe == "" {
			probe = before[0]
		}
		time.Sleep(time.Duration(rnd.IntN(300)) * time.Millisecond)

		d = startDaemon(t, ledgerd, data, addr, filepath.Join(tmp, fmt.Sprintf("ledgerd-%d-b.log", round)))
		select {
		case err := <-loadDone:
			if err != nil {
				t.Fatalf("round %d: load failed after the restart: %v\n%s", round, err, loadOut.String())
			}
		case <-time.After(5 * time.Minute):
			load.Process.Kill()
			t.Fatalf("round %d: load did not finish", round)
		}
		acked := readLines(t, ackFile)
		if len(acked) != events || !isPrefix(before, acked) {
			t.Fatalf("round %d: %d ids acknowledged, want %d, earlier ones kept", round, len(acked), events)
		}
		allAcked = append(allAcked, acked...)
		t.Logf("round %d: %s", round, strings.TrimSpace(loadOut.String()))

		// A proof for an entry acknowledged before the kill, from the restarted server.
		if probe != "" && round == 0 {
			checkProof(t, url, data, probe)
		}

		// End the round by crashing again (odd rounds: the next start recovers from it),
		// or by a graceful drain, which must exit 0.
		if round%2 == 1 && round != rounds-1 {
			d.signal(syscall.SIGKILL)
		} else {
			if err := d.signal(syscall.SIGTERM); err != nil {
				t.Fatalf("round %d: drain exited with %v", round, err)
			}
		}
	}

	// Every acknowledged id is in the store, once.
	st, err := datadir.OpenStore(data)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := st.Lookup(context.Background(), allAcked)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(pos) != len(allAcked) {
		for _, id := range allAcked {
			if _, ok := pos[id]; !ok {
				t.Errorf("acknowledged id %s is not in the ledger", id)
			}
		}
		t.Fatalf("%d of %d acknowledged ids missing", len(allAcked)-len(pos), len(allAcked))
	}
	seen := map[uint64]bool{}
	for _, p := range pos {
		if seen[p] {
			t.Fatalf("two ids at seq %d", p)
		}
		seen[p] = true
	}
	out, err := exec.Command(ledgerctl, "verify", "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("ledgerctl verify: %v\n%s", err, out)
	}
	t.Logf("verify: %s", strings.Join(strings.Fields(string(out)), " "))
}

// checkProof fetches one entry with its inclusion proof and checks it with the ledger key
// from the data directory, trusting nothing the server says.
func checkProof(t *testing.T, url, data, id string) {
	t.Helper()
	// Reads of event data need a credential (docs/access.md).
	c := reviewerClient(t, url, data, "crash-test")
	info, err := c.Ledger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ev *client.Event
	for range 50 { // the server notices the new file within a second
		if ev, err = c.Event(context.Background(), id); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	lk, err := crypto.ReadPublicKeyFile(filepath.Join(datadir.Paths{Dir: data}.Keys(), "ledger.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ev.Verify(info.Origin, lk); err != nil {
		t.Fatalf("proof of %s after restart: %v", id, err)
	}
}

func buildBinary(t *testing.T, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, "github.com/aba-prefecture/dataledger/cmd/"+name)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, b)
	}
	return out
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

// proc is a running ledgerd.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done
}

func (p *proc) signal(sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return err
	}
	<-p.done
	return p.err
}

// startDaemon starts ledgerd and waits until it is ready.
func startDaemon(t *testing.T, bin, data, addr, logFile string) *proc {
	t.Helper()
	lf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lf.Close() })
	p := &proc{cmd: exec.Command(bin, "--data", data, "--listen", addr, "--log-level", "warn"), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = lf, lf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			b, _ := os.ReadFile(logFile)
			t.Fatalf("ledgerd exited at start (%v):\n%s", p.err, b)
		case <-time.After(20 * time.Millisecond):
		}
	}
	b, _ := os.ReadFile(logFile)
	t.Fatalf("ledgerd not ready within a minute:\n%s", b)
	return nil
}

// waitLines waits until path holds at least n lines, or the load ends.
func waitLines(t *testing.T, path string, n int, done <-chan error) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		if c := bytes.Count(b, []byte("\n")); c >= n {
			return c
		}
		select {
		case err := <-done:
			t.Fatalf("load ended before the kill (err %v): make LEDGER_CRASH_EVENTS larger", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	t.Fatal("load made no progress")
	return 0
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func isPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// reviewerClient is a client of the ledgerd at url with a reviewer's token, added to the
// credentials file in data that the running server re-reads.
func reviewerClient(t *testing.T, url, data, person string) *client.Client {
	t.Helper()
	tok, cred, err := auth.NewToken(auth.RoleReviewer, "", person, time.Time{}, auth.DefaultKDF)
	if err != nil {
		t.Fatal(err)
	}
	creds := &auth.File{}
	creds.Add(cred)
	if err := auth.WriteFile(filepath.Join(data, "access", "credentials.json"), creds); err != nil {
		t.Fatal(err)
	}
	return &client.Client{BaseURL: url, HTTP: &http.Client{Transport: bearerTransport(tok)}}
}

// bearerTransport adds a bearer token to every request.
type bearerTransport string

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}
