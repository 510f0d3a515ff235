package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/witness"
)

func headSize(t *testing.T, dir string) uint64 {
	t.Helper()
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := st.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return h.Size
}

// rewriteBundle decodes FILE, lets fn change it, and writes it back as JSON.
func rewriteBundle(t *testing.T, from, to string, fn func(b *bundle.Bundle)) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Read(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	fn(b)
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := bundle.Write(out, b); err != nil {
		t.Fatal(err)
	}
}

func TestExportAndVerifyBundle(t *testing.T) {
	fx := tamperLedger(t)
	out := filepath.Join(t.TempDir(), "case-017.json")
	before := headSize(t, fx.dir)
	code, stdout, stderr := ledgerctl(t, "export", "--data", fx.dir, "--out", out, "--stream", tamperStream, "--reason", "case 2026-017", "--by", "officer-li")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "exported") || headSize(t, fx.dir) != before+1 {
		t.Fatalf("export printed %q; the export event was not recorded", stdout)
	}
	// The ledger stays intact with the export event in it.
	if code, _, stderr := ledgerctl(t, "verify", "--data", fx.dir); code != 0 {
		t.Fatalf("verify after export: %d %s", code, stderr)
	}
	code, stdout, stderr = ledgerctl(t, "verify-bundle", out, "--ledger-pub", filepath.Join(fx.dir, "keys", "ledger.pub"))
	if code != 0 || !strings.Contains(stdout, "officer-li") || !strings.Contains(stdout, "case 2026-017") {
		t.Fatalf("verify-bundle: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = ledgerctl(t, "verify-bundle", "--json", out)
	var res bundleResult
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Status != "intact" || res.Selected != tamperEvents {
		t.Fatalf("verify-bundle --json: exit %d %s", code, stdout)
	}

	// One changed byte in each kind of field: exit 1, naming the field.
	dir := t.TempDir()
	tests := []struct {
		name  string
		fn    func(b *bundle.Bundle)
		field string
	}{
		{"entry", func(b *bundle.Bundle) { b.Entries[5].Entry[40] ^= 1 }, "entries[5]"},
		{"submission", func(b *bundle.Bundle) { b.Entries[5].Submission[3] ^= 1 }, "entries[5].submission"},
		{"signature", func(b *bundle.Bundle) { b.Entries[5].Signature[10] ^= 1 }, "entries[5].signature"},
		{"proof", func(b *bundle.Bundle) { b.Entries[5].InclusionProof[0][0] ^= 1 }, "entries[5].inclusion_proof"},
		{"checkpoint", func(b *bundle.Bundle) {
			c := []byte(b.Checkpoint)
			c[len(c)-10] ^= 1
			b.Checkpoint = string(c)
		}, "checkpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".json")
			rewriteBundle(t, out, p, tc.fn)
			code, stdout, _ := ledgerctl(t, "verify-bundle", p)
			if code != exitTampered || !strings.HasPrefix(stdout, "tampered: "+tc.field) {
				t.Fatalf("exit %d, %q", code, stdout)
			}
		})
	}
	// A flipped base64 character in the file itself.
	raw, _ := os.ReadFile(out)
	i := strings.Index(string(raw), `"signature": "`) + len(`"signature": "`) + 5
	raw[i] = map[bool]byte{true: 'B', false: 'A'}[raw[i] == 'A']
	p := filepath.Join(dir, "flipped.json")
	os.WriteFile(p, raw, 0o644)
	if code, _, _ := ledgerctl(t, "verify-bundle", p); code != exitTampered {
		t.Fatalf("flipped base64 character: exit %d", code)
	}

	// Usage errors: exit 2, nothing recorded.
	size := headSize(t, fx.dir)
	os.WriteFile(filepath.Join(dir, "not.json"), []byte("hello"), 0o644)
	for _, args := range [][]string{
		{"verify-bundle", filepath.Join(dir, "missing.json")},
		{"verify-bundle", filepath.Join(dir, "not.json")},
		{"verify-bundle"},
		{"export", "--data", fx.dir, "--out", out},
		{"export", "--data", fx.dir, "--out", filepath.Join(dir, "x.json"), "--stream", "dataset/none"},
		{"export", "--data", fx.dir, "--out", filepath.Join(dir, "y.json"), "--seq", "5-2"},
		{"export", "--data", fx.dir, "--out", filepath.Join(dir, "z.json"), "--seq", "abc"},
		{"export", "--data", fx.dir, "--out", filepath.Join(dir, "w.json"), "--by", "王 伟", "--seq", "1-2"},
		{"export", "--out", filepath.Join(dir, "v.json")},
		{"export", "--server", "http://127.0.0.1:1", "--data", fx.dir, "--out", filepath.Join(dir, "u.json")},
		{"export", "--server", "http://127.0.0.1:1", "--out", filepath.Join(dir, "t.json"), "--reason", "r"}, // nothing listens
	} {
		if code, _, stderr := ledgerctl(t, args...); code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
	if headSize(t, fx.dir) != size {
		t.Fatal("a refused export recorded an event")
	}
}

func TestExportRefusesRolledBackStore(t *testing.T) {
	fx := tamperLedger(t)
	db := datadir.Paths{Dir: fx.dir}.Store()
	snapshot, _ := os.ReadFile(db)
	// The export publishes a newer checkpoint; then the operator restores the old file.
	if code, _, stderr := ledgerctl(t, "export", "--data", fx.dir, "--out", filepath.Join(t.TempDir(), "b.json"), "--seq", "3-4"); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	if err := os.WriteFile(db, snapshot, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := ledgerctl(t, "verify", "--data", fx.dir)
	if code != exitTampered || !strings.Contains(stdout, "truncated") {
		t.Fatalf("verify of the rolled-back store: exit %d %q", code, stdout)
	}
	code, _, stderr := ledgerctl(t, "export", "--data", fx.dir, "--out", filepath.Join(t.TempDir(), "c.json"), "--seq", "3-4")
	if code != exitTampered || !strings.Contains(stderr, "truncated") {
		t.Fatalf("export on the rolled-back store: exit %d %q", code, stderr)
	}
}

func TestProveAndConsistency(t *testing.T) {
	fx := tamperLedger(t)
	for _, args := range [][]string{
		{"prove", "--data", fx.dir, "--seq", "0"},
		{"prove", "--data", fx.dir, "--seq", "17"},
		{"prove", "--data", fx.dir, "--seq", "3", "--size", "5"},
		{"consistency", "--data", fx.dir, "--from", fmt.Sprint(tamperCkpt)},
		{"consistency", "--data", fx.dir, "--from", "1", "--to", "20"},
	} {
		if code, stdout, stderr := ledgerctl(t, args...); code != 0 || !strings.Contains(stdout, "verified") && !strings.Contains(stdout, "consistent") {
			t.Errorf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	code, stdout, _ := ledgerctl(t, "prove", "--data", fx.dir, "--seq", "4", "--json")
	var p client.InclusionProof
	if code != 0 || json.Unmarshal([]byte(stdout), &p) != nil || p.Seq != 4 || p.Checkpoint == "" {
		t.Fatalf("prove --json: %d %s", code, stdout)
	}
	for _, args := range [][]string{
		{"prove", "--data", fx.dir},
		{"prove", "--data", fx.dir, "--seq", "999"},
		{"prove", "--seq", "1"},
		{"consistency", "--data", fx.dir, "--from", "9", "--to", "3"},
		{"consistency", "--data", fx.dir, "--server", "http://x", "--from", "1"},
	} {
		if code, _, _ := ledgerctl(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// serve runs the api over the data directory's ledger, with one configured witness.
func serve(t *testing.T, dir string, wname string, wkey *crypto.PublicKey) (*ledger.Ledger, string) {
	t.Helper()
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	lk, _ := datadir.LedgerKey(dir)
	pub, _ := ledger.NewDirPublisher(datadir.Paths{Dir: dir}.Checkpoints())
	l, err := ledger.Open(t.Context(), st, ledger.Options{Signer: lk, Publisher: pub, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	col := witness.NewCollector(l.Origin(), lk.Public(), pub, witness.WitnessKey{Name: wname, Key: wkey})
	a, err := api.New(api.Config{Ledger: l, Logger: slog.New(slog.DiscardHandler), Witnesses: col})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); l.Close(); st.Close() })
	return l, srv.URL
}

func TestWitnessAndServerProofs(t *testing.T) {
	fx := tamperLedger(t)
	wdir := t.TempDir()
	wk, _ := crypto.GenerateKey()
	if err := crypto.WriteKeyPair(filepath.Join(wdir, "w"), wk); err != nil {
		t.Fatal(err)
	}
	l, url := serve(t, fx.dir, "witness.county-audit", wk.Public())
	ledgerPub := filepath.Join(fx.dir, "keys", "ledger.pub")
	state := filepath.Join(wdir, "state.json")
	wargs := []string{"witness", "--key", filepath.Join(wdir, "w.key"), "--state", state, "--server", url, "--log-pub", ledgerPub, "--name", "witness.county-audit"}
	if code, stdout, stderr := ledgerctl(t, wargs...); code != 0 || !strings.Contains(stdout, "witness.county-audit") {
		t.Fatalf("first cosign: exit %d %s%s", code, stdout, stderr)
	}
	// The log grows; the witness checks consistency from what it cosigned.
	for i := range 5 {
		if _, err := l.Append(t.Context(), mustSign(t, fx, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := ledgerctl(t, wargs...)
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("previously %d", tamperSize)) {
		t.Fatalf("second cosign: exit %d %s%s", code, stdout, stderr)
	}
	// Proofs from the server, checked against its cosigned checkpoint.
	for _, args := range [][]string{
		{"prove", "--server", url, "--seq", "7", "--ledger-pub", ledgerPub},
		{"consistency", "--server", url, "--from", "8"},
	} {
		if code, stdout, stderr := ledgerctl(t, args...); code != 0 {
			t.Fatalf("%v: exit %d %s%s", args, code, stdout, stderr)
		}
	}
	// A witness whose memory says the log had another root at its size refuses: exit 1.
	b, _ := os.ReadFile(state)
	var st struct {
		Logs map[string]map[string]any `json:"logs"`
	}
	json.Unmarshal(b, &st)
	for _, v := range st.Logs {
		v["root"] = strings.Repeat("ab", 32)
	}
	b, _ = json.Marshal(st)
	os.WriteFile(state, b, 0o600)
	if _, err := l.Append(t.Context(), mustSign(t, fx, 99)); err != nil {
		t.Fatal(err)
	}
	l.Checkpoint(t.Context())
	if code, _, stderr := ledgerctl(t, wargs...); code != exitTampered {
		t.Fatalf("forked log: exit %d %s", code, stderr)
	}
}

func mustSign(t *testing.T, fx tamperFixture, n int) *ledger.Signed {
	t.Helper()
	return ledgertest.Sign(t, fx.keyA, ledgertest.Submission("aba-stats-bureau", fx.keyA.Public().ID(), tamperStream, "data.collected.v1", map[string]int{"n": n}))
}
