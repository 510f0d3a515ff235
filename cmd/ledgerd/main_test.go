package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

// syncBuffer collects a daemon's log lines while it runs.
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

// start runs ledgerd in-process on a free port and returns its URL and a stop function
// that sends the "signal" and returns the exit code.
func start(t *testing.T, env map[string]string, args ...string) (string, func() int, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	code := make(chan int, 1)
	logs := &syncBuffer{}
	go func() {
		code <- run(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, logs,
			func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		stop := func() int { cancel(); return <-code }
		t.Cleanup(func() { cancel() })
		return "http://" + a, stop, logs
	case c := <-code:
		cancel()
		t.Fatalf("ledgerd exited %d:\n%s", c, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("ledgerd did not start")
	}
	return "", nil, nil
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func TestSingleOperatorStartAndDrain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	url, stop, logs := start(t, map[string]string{"LEDGER_DATA": dir})
	var info struct {
		Origin         string `json:"origin"`
		DevRootKeyFile string `json:"dev_root_key_file"`
	}
	if getJSON(t, url+"/v1/ledger", &info) != 200 {
		t.Fatal("GET /v1/ledger")
	}
	want, _ := filepath.Abs(datadir.Paths{Dir: dir}.RootKey())
	if info.DevRootKeyFile != want {
		t.Errorf("dev_root_key_file %q, want %q", info.DevRootKeyFile, want)
	}
	if getJSON(t, url+"/readyz", nil) != 200 {
		t.Fatal("not ready")
	}
	if c := stop(); c != exitOK {
		t.Fatalf("exit %d:\n%s", c, logs)
	}
	// Drained: the final checkpoint is published outside the store, and the log says so
	// without any payload.
	files, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "*.ckpt"))
	if len(files) != 1 || filepath.Base(files[0]) != "1.ckpt" {
		t.Fatalf("published checkpoints %v", files)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"ledgerd stopped"`) {
		t.Errorf("no stop line:\n%s", logs)
	}

	// Restart on the same directory: same ledger, flags that contradict it refused.
	url, stop, _ = start(t, nil, "--data", dir, "--log-format", "text")
	var again struct{ Origin string }
	getJSON(t, url+"/v1/ledger", &again)
	if again.Origin != info.Origin {
		t.Errorf("origin changed across restart: %q → %q", info.Origin, again.Origin)
	}
	stop()
	var out syncBuffer
	if c := run(context.Background(), []string{"--data", dir, "--origin", "another"}, func(string) string { return "" }, &out, nil); c != exitUsage {
		t.Errorf("contradicting --origin: exit %d", c)
	}
}

func TestProductionModeHidesRootKey(t *testing.T) {
	tmp := t.TempDir()
	rk, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := crypto.WriteKeyPair(filepath.Join(tmp, "root"), rk); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "data")
	url, stop, _ := start(t, nil, "--data", dir, "--root-pub", filepath.Join(tmp, "root.pub"), "--authority", "aba-data-bureau", "--origin", "aba.example/ledger")
	defer stop()
	var info map[string]any
	getJSON(t, url+"/v1/ledger", &info)
	if _, ok := info["dev_root_key_file"]; ok {
		t.Errorf("production mode published dev_root_key_file: %v", info)
	}
	if info["origin"] != "aba.example/ledger" || info["root_key"].(map[string]any)["id"] != rk.Public().ID() {
		t.Errorf("info %v", info)
	}
	if _, err := os.Stat(datadir.Paths{Dir: dir}.RootKey()); !os.IsNotExist(err) {
		t.Errorf("a root private key exists in production mode: %v", err)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"unknown flag", []string{"--nope"}, nil},
		{"bad log format", []string{"--log-format", "xml"}, nil},
		{"bad duration in env", nil, map[string]string{"LEDGER_CHECKPOINT_INTERVAL": "soon"}},
		{"payload not below request", []string{"--max-payload-bytes", "10", "--max-request-bytes", "10"}, nil},
		{"stray argument", []string{"serve"}, nil},
		{"missing root pub file", []string{"--root-pub", "/nonexistent.pub", "--data", "/nonexistent-dir"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			if c := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, &out, nil); c != exitUsage {
				t.Errorf("exit %d, want %d:\n%s", c, exitUsage, out.String())
			}
			if strings.TrimSpace(out.String()) == "" {
				t.Error("no message")
			}
		})
	}
}

func TestEnvDefaultsFlagsWin(t *testing.T) {
	env := map[string]string{"LEDGER_DATA": "/from/env", "LEDGER_LISTEN": "127.0.0.1:1", "LEDGER_MAX_BATCH": "7"}
	c, err := parseFlags([]string{"--listen", "127.0.0.1:2"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.data != "/from/env" || c.listen != "127.0.0.1:2" || c.maxBatch != 7 || c.logFormat != "json" || c.maxRequest != ledger.DefaultLimits.MaxRequestBytes {
		t.Errorf("%+v", c)
	}
}

// TestNoLedgerFoundedByATypo: ledgerd founds a new ledger only where that cannot be a
// mistyped --data: a new directory under an existing parent, or an empty one; never among
// other files, never under a missing parent, never with --create=never.
func TestNoLedgerFoundedByATypo(t *testing.T) {
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing parent", []string{"--data", filepath.Join(tmp, "no-such", "ledger-data")}, "its parent"},
		{"directory with other files", []string{"--data", full}, "holds files but no ledger"},
		{"--create=never", []string{"--data", filepath.Join(tmp, "new"), "--create", "never"}, "--create=never"},
		{"bad --create", []string{"--data", filepath.Join(tmp, "new"), "--create", "sometimes"}, "--create must be"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var errOut syncBuffer
			code := run(context.Background(), append([]string{"--listen", "127.0.0.1:0"}, c.args...), func(string) string { return "" }, &errOut, nil)
			if code == 0 || !strings.Contains(errOut.String(), c.want) {
				t.Fatalf("exit %d, stderr %q, want %q", code, errOut.String(), c.want)
			}
			if _, err := os.Stat(filepath.Join(tmp, "new")); err == nil {
				t.Fatal("a ledger directory was created")
			}
		})
	}
}
