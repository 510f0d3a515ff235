package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/witness"
)

// appendEvents opens the data directory's ledger in-process (optionally publishing),
// registers a key and appends n events, then signs a checkpoint and closes.
func appendEvents(t *testing.T, dir string, n int, publish bool) ledger.Checkpoint {
	t.Helper()
	ctx := context.Background()
	lk, err := datadir.LedgerKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := datadir.RootKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opts := ledger.Options{Signer: lk, CheckpointEvery: -1}
	if publish {
		if opts.Publisher, err = ledger.NewDirPublisher(datadir.Paths{Dir: dir}.Checkpoints()); err != nil {
			t.Fatal(err)
		}
	}
	l, err := ledger.Open(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := crypto.GenerateKey()
	reg := ledgertest.Sign(t, rk, ledgertest.Submission(datadir.DefaultAuthority, rk.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRegistered,
		ledger.KeyRegisteredPayload{KeyID: k.Public().ID(), Institution: "county-01", PublicKey: string(crypto.MarshalPublicKeyPEM(k.Public()))}))
	if _, err := l.Append(ctx, reg); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		s := ledgertest.Sign(t, k, ledgertest.Submission("county-01", k.Public().ID(), "dataset/a", "data.collected.v1", map[string]int{"n": i}))
		if _, err := l.Append(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	c, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefusesRewrittenHistory: a store put back to an older copy after a checkpoint was
// published (truncation), or rolled back and extended with other, validly signed entries
// (a rewritten tail), makes ledgerd refuse to start.
func TestRefusesRewrittenHistory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, stop, _ := start(t, nil, "--data", dir)
	if c := stop(); c != exitOK {
		t.Fatalf("first start: exit %d", c)
	}
	db := datadir.Paths{Dir: dir}.Store()
	snapshot, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	published := appendEvents(t, dir, 6, true)

	os.WriteFile(db, snapshot, 0o600)
	var logs syncBuffer
	if c := run(context.Background(), []string{"--data", dir, "--listen", "127.0.0.1:0"}, func(string) string { return "" }, &logs, nil); c == exitOK {
		t.Fatal("ledgerd started on a truncated store")
	}
	if !strings.Contains(logs.String(), "truncated") {
		t.Fatalf("no truncation reported:\n%s", logs.String())
	}

	os.WriteFile(db, snapshot, 0o600)
	if c := appendEvents(t, dir, 9, false); c.Size <= published.Size {
		t.Fatalf("rewritten tail of %d is not longer than the published %d", c.Size, published.Size)
	}
	logs = syncBuffer{}
	if c := run(context.Background(), []string{"--data", dir, "--listen", "127.0.0.1:0"}, func(string) string { return "" }, &logs, nil); c == exitOK {
		t.Fatal("ledgerd started on a rewritten store")
	}
	if !strings.Contains(logs.String(), "rewritten") {
		t.Fatalf("no rewrite reported:\n%s", logs.String())
	}
}

func TestWitnessCosignaturesServed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	wdir := t.TempDir()
	wk, _ := crypto.GenerateKey()
	if err := crypto.WriteKeyPair(filepath.Join(wdir, "w"), wk); err != nil {
		t.Fatal(err)
	}
	url, stop, logs := start(t, nil, "--data", dir, "--witness", "witness.county-audit="+filepath.Join(wdir, "w.pub"))
	defer func() {
		if c := stop(); c != exitOK {
			t.Errorf("exit %d:\n%s", c, logs)
		}
	}()
	get := func() []byte {
		resp, err := http.Get(url + "/v1/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	ckpt := get()
	lk, err := crypto.ReadPublicKeyFile(filepath.Join(dir, "keys", "ledger.pub"))
	if err != nil {
		t.Fatal(err)
	}
	origin, _, _ := strings.Cut(string(ckpt), "\n")
	w, err := witness.New("witness.county-audit", wk, filepath.Join(wdir, "state.json"), witness.Log{Origin: origin, Key: lk})
	if err != nil {
		t.Fatal(err)
	}
	line, err := w.AddCheckpoint(context.Background(), 0, nil, ckpt)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, _ := ledger.MergeSignatures(ckpt, [][]byte{line})
	resp, err := http.Post(url+"/v1/checkpoint/cosignatures", "text/plain", bytes.NewReader(cosigned))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST cosignature: %d", resp.StatusCode)
	}
	if got := get(); !bytes.Contains(got, line) {
		t.Fatalf("GET /v1/checkpoint lacks the cosignature:\n%s", got)
	}

	var out syncBuffer
	if c := run(context.Background(), []string{"--data", dir, "--witness", "nofile"}, func(string) string { return "" }, &out, nil); c != exitUsage {
		t.Errorf("--witness without NAME=: exit %d", c)
	}
}
