package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
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
// --data) and comes back to the same ledger after a restart.
func TestStorePostgres(t *testing.T) {
	pg := pgtest.NewDatabase(t)
	dir := filepath.Join(t.TempDir(), "data")
	url, stop, logs := start(t, nil, "--data", dir, "--store", pg, "--checkpoint-interval", "50ms")
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

	url, stop, logs = start(t, nil, "--data", dir, "--store", pg)
	var again struct {
		Origin string `json:"origin"`
	}
	getJSON(t, url+"/v1/ledger", &again)
	registerKeys(t, url, dir, 1)
	if c := stop(); c != exitOK || again.Origin != info.Origin {
		t.Fatalf("restart: exit %d, origin %q then %q:\n%s", c, info.Origin, again.Origin, logs)
	}

}
