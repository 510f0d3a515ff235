package events_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/events"
)

// TestConstantsCurrent fails when types_gen.go differs from the catalogue: run go
// generate ./domain/events.
func TestConstantsCurrent(t *testing.T) {
	want, err := events.Constants()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("types_gen.go")
	if err != nil {
		t.Fatalf("%v (run go generate ./domain/events)", err)
	}
	if !bytes.Equal(got, want) {
		t.Error("types_gen.go differs from the catalogue: run go generate ./domain/events")
	}
}

// The naming rule: every word capitalised, the version kept.
func TestConstName(t *testing.T) {
	for name, want := range map[string]string{
		"data.collected.v1":           "DataCollectedV1",
		"subject_request.answered.v1": "SubjectRequestAnsweredV1",
		"ledger.access_refused.v1":    "LedgerAccessRefusedV1",
	} {
		if got := events.ConstName(name); got != want {
			t.Errorf("ConstName(%q) = %q, want %q", name, got, want)
		}
	}
	if events.DataCollectedV1 != "data.collected.v1" || events.MigrationDeclaredV1 != "migration.declared.v1" {
		t.Error("generated constants do not hold their names")
	}
}
