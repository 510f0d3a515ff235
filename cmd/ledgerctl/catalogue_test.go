package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// TestLoadSendsCatalogueActs: load registers its institution and catalogs its resources
// before sending, every act it sends is valid for the event catalogue on its own, and a
// second run under the same --institution keeps the registration and catalog it finds.
func TestLoadSendsCatalogueActs(t *testing.T) {
	url, _, st, _ := loadServer(t, true)
	for range 2 {
		if code, _, errOut := ledgerctl(t, "load", "--server", url, "--events", "60", "--institution", "load-water", "--concurrency", "8"); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	}
	types := map[string]int{}
	err := st.Entries(context.Background(), 0, 1000, func(r ledger.RawEntry) error {
		e, err := ledger.ParseEntry(r.Bytes)
		if err != nil || e.Submission.Actor.Institution != "load-water" && e.Submission.Type != "institution.registered.v1" {
			return err
		}
		types[e.Submission.Type]++
		ty, ok := events.Lookup(e.Submission.Type)
		if !ok {
			t.Fatalf("%s is not a catalogue type", e.Submission.Type)
		}
		p, err := events.Decode(ty, e.Submission.Payload)
		if err != nil {
			t.Fatalf("%s: %v", e.Submission.Type, err)
		}
		if s, _ := ty.StreamFor(e.Submission.Actor.Institution, p); s != e.Submission.Stream {
			t.Fatalf("%s on %s, catalogue says %s", e.Submission.Type, e.Submission.Stream, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if types["institution.registered.v1"] != 1 || types["catalog.entry_registered.v1"] != 3 /* load catalogs three resources */ || types["data.collected.v1"] == 0 {
		t.Fatalf("types %v", types)
	}
	ledgertest.MustVerify(t, st)
}

// TestDemo10000ThenVerify is the acceptance line `ledgerctl demo --data D --events 10000 &&
// ledgerctl verify --data D`, run as the binary.
func TestDemo10000ThenVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 signed events")
	}
	bin := filepath.Join(t.TempDir(), "ledgerctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building ledgerctl: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	out, err := exec.Command(bin, "demo", "--data", dir, "--events", "10000", "--json").Output()
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	var r demoResult
	if err := json.Unmarshal(out, &r); err != nil || r.Events < 10000 {
		t.Fatalf("demo: %d events (%v)", r.Events, err)
	}
	t.Logf("demo: %d events in %.1fs", r.Events, r.ElapsedS)
	if out, err := exec.Command(bin, "verify", "--data", dir).CombinedOutput(); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
}
