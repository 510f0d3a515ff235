package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

func TestDemoThenVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := ledgerctl(t, "demo", "--data", dir, "--events", "400", "--json")
	if code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	var r demoResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("demo --json: %v: %q", err, out)
	}
	if r.Events < 400 || r.Entries != uint64(1+r.Events) {
		t.Fatalf("demo wrote %d events in %d entries", r.Events, r.Entries)
	}

	code, out, errOut = ledgerctl(t, "verify", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("verify after demo: exit %d: %s %s", code, out, errOut)
	}
	var v verifyResult
	_ = json.Unmarshal([]byte(out), &v)
	if v.Entries != r.Entries || v.Root != r.Root || v.Published < 2 {
		t.Fatalf("verify saw %+v; demo reported %d entries, root %s", v, r.Entries, r.Root)
	}

	// Every institution's key is on disk (0600) and registered to that institution.
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg, err := ledger.LoadRegistry(context.Background(), st, r.Entries)
	if err != nil {
		t.Fatal(err)
	}
	// Every type of the event catalogue is in the ledger, with a key rotation and the
	// recorded refusal of the suspended party's act.
	types := map[string]int{}
	refusals := 0
	if err := st.Entries(context.Background(), 0, r.Entries, func(raw ledger.RawEntry) error {
		e, err := ledger.ParseEntry(raw.Bytes)
		if err != nil {
			return err
		}
		types[e.Submission.Type]++
		if e.Submission.Type == "ledger.access_refused.v1" && e.Submission.Stream == "access/"+scenario.SuspendedParty.Party {
			refusals++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range append(events.Names(), ledger.TypeKeyRotated, ledger.TypeKeyRegistered) {
		if types[name] == 0 {
			t.Errorf("no %s in the demo ledger", name)
		}
		if types[name] != r.Types[name] {
			t.Errorf("%s: %d in the ledger, the demo reported %d", name, types[name], r.Types[name])
		}
	}
	if refusals != 1 {
		t.Errorf("%d refusals recorded for the suspended party, want 1", refusals)
	}
	if len(r.Violations) < 18 {
		t.Errorf("%d deliberate violations", len(r.Violations))
	}

	for _, in := range scenario.Institutions {
		k, err := crypto.ReadPrivateKeyFile(filepath.Join(dir, "keys", "institutions", in.ID+".key"))
		if err != nil {
			t.Fatalf("%s: %v", in.ID, err)
		}
		info, ok := reg.Key(k.Public().ID())
		if !ok || info.Institution != in.ID || info.Role != ledger.RoleInstitution {
			t.Fatalf("%s's key is not registered to it: %+v", in.ID, info)
		}
	}
}

func TestDemoRefusals(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if code, _, e := ledgerctl(t, "demo", "--data", dir, "--events", "0"); code != exitOK {
		t.Fatalf("setup: %s", e)
	}
	before, _ := os.Stat(filepath.Join(dir, "ledger.db"))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"existing_ledger", []string{"demo", "--data", dir}, "already holds a ledger"},
		{"no_data", []string{"demo"}, "--data"},
		{"negative_events", []string{"demo", "--data", filepath.Join(t.TempDir(), "x"), "--events", "-1"}, "--events"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := ledgerctl(t, c.args...)
			if code != exitUsage || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stderr %q: want 2 and one line mentioning %q", code, errOut, c.want)
			}
		})
	}
	after, _ := os.Stat(filepath.Join(dir, "ledger.db"))
	if after.ModTime() != before.ModTime() || after.Size() != before.Size() {
		t.Fatal("a refused demo wrote to the existing ledger")
	}
}
