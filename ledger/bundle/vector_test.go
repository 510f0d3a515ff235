package bundle_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// vectorFile is a small evidence bundle kept as a test vector for other implementations
// (docs/formats.md §6). LEDGER_WRITE_VECTORS=1 regenerates it (with fresh keys: only
// public keys are in it).
const vectorFile = "../../docs/vectors/bundle-v1.json"

func TestBundleVector(t *testing.T) {
	if os.Getenv("LEDGER_WRITE_VECTORS") == "1" {
		writeVector(t)
	}
	raw, err := os.ReadFile(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	lk, err := crypto.ParsePublicKeyPEM([]byte(b.Keys[b.LedgerKey]))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bundle.Verify(b, bundle.VerifyOptions{LedgerKey: lk})
	if err != nil {
		t.Fatalf("the published test vector does not verify: %v", err)
	}
	if rep.Export.By != "officer-li" || len(rep.Selected) != 2 {
		t.Fatalf("vector report %+v", rep)
	}
	// The file is exactly what Write produces for it.
	var buf bytes.Buffer
	bundle.Write(&buf, b)
	if !bytes.Equal(buf.Bytes(), raw) {
		t.Fatal("docs/vectors/bundle-v1.json is not in the canonical written form")
	}
	// And one changed byte anywhere inside a base64 or hex value fails.
	i := bytes.Index(raw, []byte(`"hash": "`)) + len(`"hash": "`)
	bad := bytes.Clone(raw)
	bad[i] = map[bool]byte{true: '1', false: '0'}[bad[i] == '0']
	b2, err := bundle.Read(bytes.NewReader(bad))
	if err == nil {
		_, err = bundle.Verify(b2, bundle.VerifyOptions{})
	}
	if err == nil {
		t.Fatal("a changed hash digit verifies")
	}
}

func writeVector(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := ledgertest.New(t)
	f.Origin = "vector.aba.example/ledger"
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "aba-stats-bureau")
	f.Register(t, l, "aba-health-commission")
	for i, inst := range []string{"aba-stats-bureau", "aba-health-commission", "aba-stats-bureau"} {
		stream := "dataset/aba-stats-bureau/population"
		if inst != "aba-stats-bureau" {
			stream = "dataset/aba-health-commission/clinics"
		}
		if _, err := l.Append(t.Context(), f.Event(t, inst, stream, i)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := bundle.Export(t.Context(), l, f.LedgerKey, bundle.Request{
		Selection: bundle.Selection{Stream: "dataset/aba-stats-bureau/population"}, By: "officer-li",
		Reason: "test vector: case 2026-017", Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "PRIVATE") {
		t.Fatal("a private key in the vector")
	}
	if err := os.WriteFile(vectorFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
