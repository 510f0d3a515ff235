package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// registerKeys has the authority register n institution keys through the HTTP API.
func registerKeys(t *testing.T, url, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	c := client.New(url)
	info, err := c.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := datadir.RootKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		key, _ := crypto.GenerateKey()
		reg, _ := json.Marshal(ledger.KeyRegisteredPayload{KeyID: key.Public().ID(), Institution: fmt.Sprintf("county-%02d", i),
			PublicKey: string(crypto.MarshalPublicKeyPEM(key.Public()))})
		if _, _, err := c.SignAndSubmit(ctx, root, ledger.Submission{Stream: ledger.RegistryStream, Type: ledger.TypeKeyRegistered,
			Actor: ledger.Actor{Institution: info.Authority, Person: "operator"}, Payload: reg}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStorePostgres: ledgerd founds its ledger in an empty PostgreSQL database (keys in
// --data), runs the counts consumer in-process from the bus, comes back to the same
// ledger after a restart, and `ledgerd consume --to-end` reads the same counts.
func TestStorePostgres(t *testing.T) {
	pg := pgtest.NewDatabase(t)
	dir := filepath.Join(t.TempDir(), "data")
	url, stop, logs := start(t, nil, "--data", dir, "--store", pg, "--consume", "counts", "--checkpoint-interval", "50ms")
	registerKeys(t, url, dir, 3)
	var info struct {
		Origin string `json:"origin"`
		Size   uint64 `json:"size"`
	}
	getJSON(t, url+"/v1/ledger", &info)
	time.Sleep(100 * time.Millisecond)
	if c := stop(); c != exitOK {
		t.Fatalf("exit %d:\n%s", c, logs)
	}
	if datadir.Exists(dir) {
		t.Error("a bolt store was made in --data although --store was given")
	}
	if !strings.Contains(logs.String(), `"msg":"running consumer in-process"`) {
		t.Errorf("no consumer started:\n%s", logs)
	}

	url, stop, logs = start(t, nil, "--data", dir, "--store", pg)
	var again struct {
		Origin string `json:"origin"`
	}
	getJSON(t, url+"/v1/ledger", &again)
	registerKeys(t, url, dir, 1)
	if c := stop(); c != exitOK || again.Origin != info.Origin {
		t.Fatalf("restart: exit %d, origin %q then %q:\n%s", c, info.Origin, again.Origin, logs)
	}

	var out, errs bytes.Buffer
	if c := runConsume(context.Background(), []string{"--store", pg, "--consumer", "counts", "--to-end"}, func(string) string { return "" }, &out, &errs); c != exitOK {
		t.Fatalf("consume --to-end: exit %d: %s", c, errs.String())
	}
	var got struct {
		Position uint64 `json:"position"`
		Counts   []struct {
			Type        string `json:"event_type"`
			Institution string `json:"institution"`
			N           uint64 `json:"n"`
		} `json:"counts"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	n := map[string]uint64{}
	for _, r := range got.Counts {
		n[r.Type] += r.N
	}
	// genesis, 4 key registrations, and what the checker records (none for valid acts).
	if got.Position < 5 || n[ledger.TypeInitialized] != 1 || n[ledger.TypeKeyRegistered] != 4 {
		t.Fatalf("counts %+v", got)
	}
}

func TestConsumeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no store", nil},
		{"bolt store while ledgerd holds it", []string{"--store", "bolt:/tmp/x.db"}},
		{"unknown consumer", []string{"--store", "bolt:" + filepath.Join(t.TempDir(), "x.db"), "--to-end", "--consumer", "nope"}},
		{"unknown flag", []string{"--nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			if c := runConsume(context.Background(), tc.args, func(string) string { return "" }, &out, &errs); c != exitUsage {
				t.Errorf("exit %d, want %d: %s", c, exitUsage, errs.String())
			}
			if strings.TrimSpace(errs.String()) == "" {
				t.Error("no message")
			}
		})
	}
}
