package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/internal/bench"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// pgLedger founds a ledger whose entries live in a fresh PostgreSQL database and whose
// keys are in dir, with n key registrations after genesis.
func pgLedger(t *testing.T, n int) (url, dir string) {
	t.Helper()
	ctx := context.Background()
	url, dir = pgtest.NewDatabase(t), filepath.Join(t.TempDir(), "data")
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := datadir.Create(ctx, dir, datadir.InitOptions{Authority: ledgertest.Authority, Store: st}); err != nil {
		t.Fatal(err)
	}
	lk, _ := datadir.LedgerKey(dir)
	rk, _ := datadir.RootKey(dir)
	pub, _ := ledger.NewDirPublisher(datadir.Paths{Dir: dir}.Checkpoints())
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: lk, CheckpointEvery: -1, Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		k, _ := crypto.GenerateKey()
		sub := ledgertest.Submission(ledgertest.Authority, rk.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRegistered,
			ledger.KeyRegisteredPayload{KeyID: k.Public().ID(), Institution: fmt.Sprintf("county-%02d", i), PublicKey: string(crypto.MarshalPublicKeyPEM(k.Public()))})
		if _, err := l.Append(ctx, ledgertest.Sign(t, rk, sub)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return url, dir
}

// TestStoreFlag: verify and export read a ledger in PostgreSQL with --store (keys and
// published checkpoints in --data), and verify names the row changed in the database.
func TestStoreFlag(t *testing.T) {
	url, dir := pgLedger(t, 6)
	code, out, errOut := ledgerctl(t, "verify", "--store", url, "--data", dir, "--json")
	if code != exitOK || !strings.Contains(out, `"status":"intact"`) || !strings.Contains(out, `"entries":7`) {
		t.Fatalf("verify: exit %d: %s %s", code, out, errOut)
	}
	if code, _, errOut = ledgerctl(t, "verify", "--store", url); code != exitOK {
		t.Fatalf("verify --store alone: exit %d: %s", code, errOut)
	}
	bundleFile := filepath.Join(t.TempDir(), "b.json")
	if code, _, errOut = ledgerctl(t, "export", "--data", dir, "--store", url, "--out", bundleFile, "--seq", "2-4", "--by", "tester"); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	if code, _, errOut = ledgerctl(t, "verify-bundle", bundleFile); code != exitOK {
		t.Fatalf("verify-bundle: exit %d: %s", code, errOut)
	}

	st, err := pgstore.Open(context.Background(), url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Pool().Exec(context.Background(), `ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
		UPDATE ledger_entries SET body = convert_to(replace(convert_from(body, 'UTF8'), 'county-03', 'county-99'), 'UTF8') WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = ledgerctl(t, "verify", "--store", url, "--data", dir)
	if code != exitTampered || !strings.Contains(errOut, "seq 4") {
		t.Fatalf("verify after an UPDATE of seq 4: exit %d: %s", code, errOut)
	}
}

// TestBenchStore: bench --store measures the same ingest on PostgreSQL in the same run and
// reports it as a ratio of the embedded store's.
func TestBenchStore(t *testing.T) {
	url := pgtest.NewDatabase(t)
	code, out, errOut := ledgerctl(t, "bench", "--data", t.TempDir(), "--store", url, "--events", "200", "--duration", "30ms", "--submitters", "32", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r bench.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Store != "postgres" || r.StoreIngestPerS <= 0 || r.StoreVerifyPerS <= 0 || math.Abs(r.StoreIngestRatio-r.StoreIngestPerS/r.IngestPerS) > 1e-9 {
		t.Fatalf("store figures: %+v", r)
	}
	// A store that already holds a ledger is refused.
	if code, _, errOut = ledgerctl(t, "bench", "--data", t.TempDir(), "--store", url, "--events", "10", "--duration", "10ms"); code != exitUsage || !strings.Contains(errOut, "empty store") {
		t.Fatalf("bench on a used store: exit %d: %s", code, errOut)
	}
}

// TestRebuildSearchOnPostgres: `rebuild search --store postgres://…` folds the whole log
// into the deployment's index table and reports the entries and the table's size.
func TestRebuildSearchOnPostgres(t *testing.T) {
	url, _ := pgLedger(t, 3)
	code, out, errOut := ledgerctl(t, "rebuild", "search", "--store", url, "--json")
	var got []rebuilt
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || len(got) != 1 {
		t.Fatalf("rebuild search: exit %d, %q %s (%v)", code, out, errOut, err)
	}
	if got[0].Model != "search" || got[0].Entries != 4 || got[0].Bytes <= 0 {
		t.Fatalf("rebuilt %+v, want the genesis entry and 3 registrations", got[0])
	}
}
