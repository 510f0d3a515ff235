package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/witness"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"
)

// proofEnv is a server whose ledger publishes checkpoints and accepts one witness.
type proofEnv struct {
	*env
	pub *ledger.DirPublisher
	w   *witness.Witness
	wk  *crypto.PrivateKey
}

func newProofEnv(t *testing.T, n int) *proofEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := boltstore.Open(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub, err := ledger.NewDirPublisher(filepath.Join(dir, "checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{Publisher: pub})
	f.Register(t, l, "county-01")
	for i := range n {
		if _, err := l.Append(t.Context(), f.Event(t, "county-01", "dataset/a", i)); err != nil {
			t.Fatal(err)
		}
	}
	wk, _ := crypto.GenerateKey()
	w, err := witness.New("witness.example", wk, filepath.Join(dir, "witness.json"), witness.Log{Origin: f.Origin, Key: f.LedgerKey.Public()})
	if err != nil {
		t.Fatal(err)
	}
	col := witness.NewCollector(f.Origin, f.LedgerKey.Public(), pub, witness.WitnessKey{Name: w.Name(), Key: wk.Public()})
	reg := prometheus.NewRegistry()
	m, err := api.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Ledger: l, Metrics: m, Gatherer: reg, Logger: slog.New(slog.DiscardHandler), Witnesses: col})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &proofEnv{env: &env{t: t, f: f, st: st, l: l, api: a, srv: srv}, pub: pub, w: w, wk: wk}
}

func (e *proofEnv) getJSON(path string, v any) int {
	e.t.Helper()
	resp, b := e.do(http.MethodGet, path, "", nil)
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			e.t.Fatalf("%s: %v", path, err)
		}
	}
	return resp.StatusCode
}

func TestInclusionProofEndpoint(t *testing.T) {
	e := newProofEnv(t, 20)
	c, err := e.l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{0, 1, 7, c.Size - 1} {
		var p api.InclusionProof
		if code := e.getJSON(fmt.Sprintf("/v1/proofs/inclusion?seq=%d", seq), &p); code != 200 {
			t.Fatalf("seq %d: %d", seq, code)
		}
		ck, _, err := ledger.OpenCheckpoint([]byte(p.Checkpoint), e.f.Origin, e.f.LedgerKey.Public())
		if err != nil || ck.Size != p.Size || ck.Root != p.Root {
			t.Fatalf("seq %d: checkpoint %v, size %d", seq, err, p.Size)
		}
		if err := ledger.VerifyInclusion(p.Entry, seq, p.Size, p.InclusionProof, ck.Root); err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
	}
	// An older size: no checkpoint, the root is the one of that size.
	var p api.InclusionProof
	if code := e.getJSON("/v1/proofs/inclusion?seq=3&size=5", &p); code != 200 || p.Checkpoint != "" {
		t.Fatalf("size 5: %d %+v", code, p)
	}
	if root, _ := ledger.RootAt(t.Context(), e.st, 5); root != p.Root || ledger.VerifyInclusion(p.Entry, 3, 5, p.InclusionProof, root) != nil {
		t.Fatal("proof at size 5 does not verify")
	}
	for _, tc := range []struct {
		q    string
		code int
	}{
		{"", 400}, {"seq=x", 400}, {"seq=01", 400}, {"seq=5&size=5", 400}, {"seq=1&size=99999", 404},
	} {
		if resp, _ := e.do(http.MethodGet, "/v1/proofs/inclusion?"+tc.q, "", nil); resp.StatusCode != tc.code {
			t.Errorf("?%s: %d, want %d", tc.q, resp.StatusCode, tc.code)
		}
	}
}

func TestConsistencyProofEndpoint(t *testing.T) {
	e := newProofEnv(t, 30)
	c, err := e.l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []uint64{0, 1, 9, 16, c.Size} {
		var p api.ConsistencyProof
		if code := e.getJSON(fmt.Sprintf("/v1/proofs/consistency?from=%d", from), &p); code != 200 {
			t.Fatalf("from %d: %d", from, code)
		}
		if p.To != c.Size || p.ToRoot != c.Root || !strings.HasPrefix(p.Checkpoint, e.f.Origin+"\n") {
			t.Fatalf("from %d: %+v", from, p)
		}
		if err := ledger.VerifyConsistency(from, p.To, p.Proof, p.FromRoot, c.Root); err != nil {
			t.Fatalf("from %d: %v", from, err)
		}
	}
	for _, q := range []string{"", "from=5&to=4", "from=-1"} {
		if resp, _ := e.do(http.MethodGet, "/v1/proofs/consistency?"+q, "", nil); resp.StatusCode != 400 {
			t.Errorf("?%s: %d", q, resp.StatusCode)
		}
	}
}

func TestCosignatureEndpoint(t *testing.T) {
	e := newProofEnv(t, 5)
	c, err := e.l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	line, err := e.w.AddCheckpoint(t.Context(), 0, nil, c.Note)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, _ := ledger.MergeSignatures(c.Note, [][]byte{line})
	post := func(b []byte) (int, []byte) {
		resp, out := e.do(http.MethodPost, "/v1/checkpoint/cosignatures", "text/plain", bytes.NewReader(b))
		return resp.StatusCode, out
	}
	if code, out := post(c.Note); code != 403 {
		t.Fatalf("without a cosignature: %d %s", code, out)
	}
	if code, out := post([]byte("garbage")); code != 400 {
		t.Fatalf("garbage: %d %s", code, out)
	}
	if code, out := post(cosigned); code != 200 || !strings.Contains(string(out), e.w.Name()) {
		t.Fatalf("cosigned: %d %s", code, out)
	}
	// GET /v1/checkpoint now shows the cosignature, and it verifies.
	resp, text := e.do(http.MethodGet, "/v1/checkpoint", "", nil)
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	n, err := note.Open(text, note.VerifierList(ledger.NewNoteVerifier(e.f.Origin, e.f.LedgerKey.Public()), witness.NewVerifier(e.w.Name(), e.wk.Public())))
	if err != nil || len(n.Sigs) != 2 {
		t.Fatalf("served checkpoint %q: %v", text, err)
	}
	// A fork: a checkpoint of the same size with another root, signed by the ledger key
	// and cosigned by a witness that has not seen the real one. Refused, and counted as
	// an integrity failure.
	forged, err := ledger.SignCheckpoint(e.f.Origin, c.Size, ledger.Hash{1}, e.f.LedgerKey)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := witness.New(e.w.Name(), e.wk, filepath.Join(t.TempDir(), "w2.json"), witness.Log{Origin: e.f.Origin, Key: e.f.LedgerKey.Public()})
	if err != nil {
		t.Fatal(err)
	}
	line2, err := w2.AddCheckpoint(t.Context(), 0, nil, forged.Note)
	if err != nil {
		t.Fatal(err)
	}
	fork, _ := ledger.MergeSignatures(forged.Note, [][]byte{line2})
	if code, out := post(fork); code != 409 {
		t.Fatalf("fork: %d %s", code, out)
	}
	if _, m := e.do(http.MethodGet, "/metrics", "", nil); !strings.Contains(string(m), `ledger_verify_failures_total{reason="checkpoint_conflict"} 1`) {
		t.Fatalf("fork not counted:\n%s", m)
	}
	// A server without witnesses refuses cosignatures.
	plain := newEnv(t)
	if resp, _ := plain.do(http.MethodPost, "/v1/checkpoint/cosignatures", "text/plain", bytes.NewReader(cosigned)); resp.StatusCode != 404 {
		t.Fatalf("no witnesses configured: %d", resp.StatusCode)
	}
}
