package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
)

// The test in this file asks what this machine itself charges for spreading the same
// requests over several processes, with no ledger in them: the bar any design of
// several front-ends on these two cores is measured against (docs/storage.md,
// "Figures"). A "null front-end" is this test binary serving HTTP and doing per request
// the least a front-end must: decode the JSON body, verify its SM2 signature, hash it
// with SM3 and answer a JSON receipt carrying a sequence number. Its loads are this
// binary too, signing every request with SM2 as `ledgerctl load` does. The shapes are
// those of TestFrontEndFigures: n servers, each with its own load, 128 requests in flight
// in all.

// nullRequest is what a null load sends: a payload the size of a typical act and its
// signature.
type nullRequest struct {
	Payload json.RawMessage `json:"payload"`
	Sig     []byte          `json:"sig"`
}

// TestNullProcess is a child process of TestMachineShare: a null front-end with
// LEDGER_NULL_ROLE=server, a null load with LEDGER_NULL_ROLE=load. It does nothing in a
// plain test run.
func TestNullProcess(t *testing.T) {
	switch os.Getenv("LEDGER_NULL_ROLE") {
	case "server":
		nullServer(t)
	case "load":
		nullLoad(t)
	default:
		t.Skip("a child process of TestMachineShare")
	}
}

// nullKey is the one key every null load signs with: the server verifies against it.
func nullKey(t *testing.T) *crypto.PrivateKey {
	k, err := crypto.ParsePrivateKeyPEM([]byte(os.Getenv("LEDGER_NULL_KEY")))
	if err != nil {
		t.Fatalf("LEDGER_NULL_KEY: %v", err)
	}
	return k
}

func nullServer(t *testing.T) {
	pub := nullKey(t).Public()
	verifies, _ := strconv.Atoi(os.Getenv("LEDGER_NULL_VERIFIES"))
	var seq atomic.Uint64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req nullRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		for range max(verifies, 1) {
			if !pub.Verify(req.Payload, req.Sig) {
				http.Error(w, "bad signature", http.StatusBadRequest)
				return
			}
		}
		sum := crypto.SM3(body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"seq": seq.Add(1), "hash": hex.EncodeToString(sum[:])})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(l.Addr().String())
	go http.Serve(l, h)
	io.Copy(io.Discard, os.Stdin) // until the parent closes our stdin
}

func nullLoad(t *testing.T) {
	k := nullKey(t)
	addr := os.Getenv("LEDGER_NULL_SERVER")
	total, _ := strconv.Atoi(os.Getenv("LEDGER_NULL_REQUESTS"))
	conc, _ := strconv.Atoi(os.Getenv("LEDGER_NULL_CONCURRENCY"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	filler := strings.Repeat("x", 480)
	for range conc {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(total) {
					return
				}
				payload := fmt.Appendf(nil, `{"id":"%s-%d","type":"data.shared","at":"%s","note":"%s"}`, addr, i, time.Now().UTC().Format(time.RFC3339Nano), filler)
				sig, err := k.SignMessage(payload)
				if err != nil {
					errs <- err
					return
				}
				body, _ := json.Marshal(nullRequest{Payload: payload, Sig: sig})
				resp, err := client.Post("http://"+addr+"/", "application/json", bytes.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("status %s", resp.Status)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// nullRun is one measured load of the null front-ends.
type nullRun struct {
	n                        int
	requests                 int
	elapsed                  time.Duration
	serverTicks, loadTicks   int64
	busyTicks, machineTotals int64
}

func (r nullRun) perS() float64         { return float64(r.requests) / r.elapsed.Seconds() }
func (r nullRun) serverPerReq() float64 { return float64(r.serverTicks) * 1e4 / float64(r.requests) }
func (r nullRun) loadPerReq() float64   { return float64(r.loadTicks) * 1e4 / float64(r.requests) }
func (r nullRun) busy() float64         { return float64(r.busyTicks) / float64(max(r.machineTotals, 1)) }

// measureNull starts n null front-ends, loads each with total/n requests (concurrency
// split evenly) and counts the servers' and the loads' CPU.
func measureNull(t *testing.T, n, total, concurrency int, keyPEM []byte) nullRun {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := func(role string, env ...string) *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^TestNullProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), append([]string{"LEDGER_NULL_ROLE=" + role, "LEDGER_NULL_KEY=" + string(keyPEM)}, env...)...)
		cmd.Stderr = os.Stderr
		return cmd
	}
	servers := make([]*exec.Cmd, n)
	addrs := make([]string, n)
	for i := range servers {
		cmd := child("server")
		stdin, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); cmd.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			t.Fatalf("null front-end %d: %v", i, err)
		}
		servers[i], addrs[i] = cmd, strings.TrimSpace(line)
	}
	before := int64(0)
	for _, s := range servers {
		before += cpuTicks(s.Process.Pid)
	}
	busy0, tot0 := machineTicks()
	start := time.Now()
	loads := make([]*exec.Cmd, n)
	for i := range loads {
		loads[i] = child("load", "LEDGER_NULL_SERVER="+addrs[i], fmt.Sprintf("LEDGER_NULL_REQUESTS=%d", total/n),
			fmt.Sprintf("LEDGER_NULL_CONCURRENCY=%d", max(1, concurrency/n)))
		loads[i].Stdout = io.Discard
		if err := loads[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	r := nullRun{n: n, requests: total / n * n}
	for i, l := range loads {
		if err := l.Wait(); err != nil {
			t.Fatalf("null load %d: %v", i, err)
		}
		r.loadTicks += (l.ProcessState.UserTime() + l.ProcessState.SystemTime()).Milliseconds() / 10
	}
	r.elapsed = time.Since(start)
	busy1, tot1 := machineTicks()
	r.busyTicks, r.machineTotals = busy1-busy0, tot1-tot0
	for _, s := range servers {
		r.serverTicks += cpuTicks(s.Process.Pid)
	}
	r.serverTicks -= before
	return r
}

// TestMachineShare measures null front-ends 1, 2 and 4 at a time, rounds interleaved,
// as TestFrontEndFigures measures ledgerd. Run by hand:
//
//	LEDGER_MACHINE_SHARE=48000 go test -run TestMachineShare -v ./cmd/ledgerd/
//
// LEDGER_NULL_VERIFIES=N makes each request cost N verifications.
func TestMachineShare(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	// Without LEDGER_MACHINE_SHARE it runs small, once: the processes and the counting
	// work, the figures mean nothing.
	total, rounds := 600, 1
	if os.Getenv("LEDGER_MACHINE_SHARE") != "" {
		total, rounds = envInt(t, "LEDGER_MACHINE_SHARE", 0), envInt(t, "LEDGER_FRONTENDS_ROUNDS", 3)
	}
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := crypto.MarshalPrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	counts := []int{1, 2, 4}
	res := map[int][]nullRun{}
	for round := range rounds {
		for _, n := range counts {
			r := measureNull(t, n, total, envInt(t, "LEDGER_FRONTENDS_CONCURRENCY", 128), keyPEM)
			if r.serverTicks <= 0 || r.loadTicks <= 0 {
				t.Fatalf("%d null front-ends: no CPU counted (servers %d, loads %d ticks)", n, r.serverTicks, r.loadTicks)
			}
			res[n] = append(res[n], r)
			t.Logf("round %d, %d null front-ends: %d requests in %v = %.0f/s; servers %.1f µs/request, loads %.1f µs/request; machine busy %.0f%%",
				round+1, n, r.requests, r.elapsed.Round(time.Millisecond), r.perS(), r.serverPerReq(), r.loadPerReq(), 100*r.busy())
		}
	}
	ratio := func(a, c int, f func(nullRun) float64) float64 {
		return medianOver(rounds, func(i int) float64 { return f(res[a][i]) / f(res[c][i]) })
	}
	diff := func(a, c int, f func(nullRun) float64) float64 {
		return medianOver(rounds, func(i int) float64 { return f(res[a][i]) - f(res[c][i]) })
	}
	for _, n := range counts[1:] {
		t.Logf("median of per-round figures, %d : 1 null front-ends — requests/s %.2f; server CPU per request %.2f (%+.1f µs); servers+loads %.2f",
			n, ratio(n, 1, nullRun.perS), ratio(n, 1, nullRun.serverPerReq), diff(n, 1, nullRun.serverPerReq),
			ratio(n, 1, func(r nullRun) float64 { return r.serverPerReq() + r.loadPerReq() }))
	}
}
