package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

// TestSnapshotFromRunningLedgerd: while ledgerd holds DIR/ledger.db locked, GET
// /v1/snapshot returns a copy with the published checkpoints and only public keys (the
// data directory beside it holds the private ledger and root keys), and the copy
// verifies against those checkpoints.
func TestSnapshotFromRunningLedgerd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	url, stop, logs := start(t, nil, "--data", dir, "--auth", "dev", "--checkpoint-interval", "10ms")
	seed(t, client.New(url), dir)
	// Wait for the checkpoint policy to publish one covering the seeded entries.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(datadir.Paths{Dir: dir}.Checkpoints(), "latest"))
		if lines := strings.SplitN(string(b), "\n", 3); len(lines) == 3 && lines[1] == "5" { // genesis, the enrolment (key, institution, official), the act
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint of size 5 published")
		}
	}
	if _, err := datadir.OpenStore(dir); err == nil {
		t.Fatal("the store opened while ledgerd runs: the lock this endpoint works around is gone")
	}
	resp, err := http.Get(url + "/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	snap := t.TempDir()
	var published [][]byte
	names := map[string]bool{}
	tr := tar.NewReader(resp.Body)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names[h.Name] = true
		if bytes.Contains(b, []byte("PRIVATE KEY")) {
			t.Errorf("%s holds a private key", h.Name)
		}
		if strings.HasPrefix(h.Name, "checkpoints/") && strings.HasSuffix(h.Name, ".ckpt") {
			published = append(published, b)
		}
		if h.Name == "ledger.db" {
			if err := os.WriteFile(filepath.Join(snap, h.Name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, want := range []string{"ledger.db", "checkpoints/latest", "keys/ledger.pub", "keys/root.pub", "snapshot.json"} {
		if !names[want] {
			t.Errorf("the snapshot lacks %s: %v", want, names)
		}
	}
	if len(published) == 0 {
		t.Fatal("no published checkpoint in the snapshot")
	}
	st, err := boltstore.Open(filepath.Join(snap, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := ledger.Verify(t.Context(), st, ledger.VerifyOptions{Checkpoints: published})
	if err != nil || rep.Entries < 3 {
		t.Fatalf("verify the copy: %d entries, %v", rep.Entries, err)
	}
	if c := stop(); c != exitOK {
		t.Fatalf("exit %d\n%s", c, logs)
	}
	if !strings.Contains(logs.String(), `"msg":"snapshot served"`) {
		t.Error("the snapshot is not logged")
	}
}
