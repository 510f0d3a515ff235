package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/backup"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/google/uuid"
)

// TestLedgerRecordsOutsideTheCatalogue: the ledger's own records that are not catalogue
// types (an evidence bundle's export event, which ledgerd records for POST /v1/bundles)
// pass the checker when the ledger key signs them, and are refused when an institution
// signs one: the registry lets only the ledger key sign ledger.* types.
func TestLedgerRecordsOutsideTheCatalogue(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	ctx := context.Background()
	before := w.size(t)
	b, err := bundle.Export(ctx, w.l, w.f.LedgerKey, bundle.Request{Selection: bundle.Selection{Stream: "resource/health.appointments"}, By: "officer-1", Reason: "case 1"})
	if err != nil {
		t.Fatalf("export through the checker: %v", err)
	}
	if b.ExportSeq != before || w.size(t) != before+1 {
		t.Fatalf("export at %d, size %d; want %d, %d", b.ExportSeq, w.size(t), before, before+1)
	}

	for _, rec := range []struct{ stream, typ string }{
		{bundle.ExportStream, bundle.TypeExported},
		{backup.Stream, backup.TypeTaken}, // a backup that never happened, or one hidden
	} {
		forged, err := ledger.SignSubmission(w.f.Key(health), ledger.Submission{
			ID: uuid.Must(uuid.NewV7()).String(), Stream: rec.stream, Type: rec.typ,
			OccurredAt: time.Now().UTC().Format(time.RFC3339Nano),
			Actor:      ledger.Actor{Institution: health, Person: "p-1", KeyID: w.f.Key(health).Public().ID()},
			Payload:    []byte(`{}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.l.Append(ctx, forged); !errors.Is(err, ledger.ErrUnauthorized) {
			t.Fatalf("institution-signed %s: %v, want unauthorized", rec.typ, err)
		}
		if w.size(t) != before+1 {
			t.Fatalf("a refused %s was written: size %d", rec.typ, w.size(t))
		}
	}
}
