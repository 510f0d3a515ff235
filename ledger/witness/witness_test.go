package witness_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/witness"
	"golang.org/x/mod/sumdb/note"
)

var ctx = context.Background()

// logFixture is a running ledger that publishes its checkpoints.
type logFixture struct {
	f   *ledgertest.Fixture
	st  ledger.Store
	l   *ledger.Ledger
	pub *ledger.DirPublisher
	n   int
}

func newLog(t *testing.T, f *ledgertest.Fixture) *logFixture {
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
	if f == nil {
		f = ledgertest.New(t)
	}
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{Publisher: pub})
	f.Register(t, l, "county-01")
	return &logFixture{f: f, st: st, l: l, pub: pub}
}

func (lf *logFixture) grow(t *testing.T, n int) ledger.Checkpoint {
	t.Helper()
	for range n {
		lf.n++
		if _, err := lf.l.Append(ctx, lf.f.Event(t, "county-01", "resource/a", lf.n)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := lf.l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (lf *logFixture) proof(from, to uint64) ([]ledger.Hash, error) {
	return ledger.ConsistencyProof(ctx, lf.st, from, to)
}

func newWitness(t *testing.T, state string, logs ...witness.Log) (*witness.Witness, *crypto.PrivateKey) {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New("witness.aba.example", k, state, logs...)
	if err != nil {
		t.Fatal(err)
	}
	return w, k
}

func TestCosignGrowingLog(t *testing.T) {
	lf := newLog(t, nil)
	state := filepath.Join(t.TempDir(), "state.json")
	w, wk := newWitness(t, state, witness.Log{Origin: lf.f.Origin, Key: lf.f.LedgerKey.Public()})
	col := witness.NewCollector(lf.f.Origin, lf.f.LedgerKey.Public(), lf.pub, witness.WitnessKey{Name: w.Name(), Key: wk.Public()})

	for round, grow := range []int{3, 1, 17, 0, 40} {
		c := lf.grow(t, grow)
		line, prev, err := w.Cosign(ctx, c.Note, lf.proof)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if round > 0 && prev.Size == 0 {
			t.Fatalf("round %d: the witness forgot its state", round)
		}
		names, err := col.Add(ctx, withSig(c.Note, line))
		if err != nil || len(names) != 1 || names[0] != w.Name() {
			t.Fatalf("round %d: collector kept %v, %v", round, names, err)
		}
		published, err := lf.pub.Latest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(published.Note, note.VerifierList(
			ledger.NewNoteVerifier(lf.f.Origin, lf.f.LedgerKey.Public()), witness.NewVerifier(w.Name(), wk.Public())))
		if err != nil || len(n.Sigs) != 2 {
			t.Fatalf("round %d: published checkpoint %q: %v", round, published.Note, err)
		}
		if s, _ := w.State(lf.f.Origin); s.Size != c.Size || s.Root != c.Root {
			t.Fatalf("round %d: state %+v, want size %d", round, s, c.Size)
		}
	}
	// A witness restarted from the same state file continues where it stopped.
	w2, err := witness.New(w.Name(), wk, state, witness.Log{Origin: lf.f.Origin, Key: lf.f.LedgerKey.Public()})
	if err != nil {
		t.Fatal(err)
	}
	c := lf.grow(t, 2)
	if _, prev, err := w2.Cosign(ctx, c.Note, lf.proof); err != nil || prev.Size != c.Size-2 {
		t.Fatalf("restarted witness: prev %+v, %v", prev, err)
	}
}

func TestWitnessRefusals(t *testing.T) {
	lf := newLog(t, nil)
	origin := lf.f.Origin
	c1 := lf.grow(t, 4)
	state := filepath.Join(t.TempDir(), "state.json")
	w, _ := newWitness(t, state, witness.Log{Origin: origin, Key: lf.f.LedgerKey.Public()})
	if _, _, err := w.Cosign(ctx, c1.Note, lf.proof); err != nil {
		t.Fatal(err)
	}
	c2 := lf.grow(t, 5)
	p12, _ := lf.proof(c1.Size, c2.Size)

	// A fork: the same keys and origin, a different history longer than c1.
	fork := newLog(t, lf.f)
	for range 12 {
		fork.grow(t, 1)
	}
	cf, _ := fork.l.Checkpoint(ctx)
	pf, _ := fork.proof(c1.Size, cf.Size)

	other := ledgertest.New(t)
	foreign, _ := ledger.SignCheckpoint(origin, c2.Size, c2.Root, other.LedgerKey)
	unknown, _ := ledger.SignCheckpoint("elsewhere.example/log", c2.Size, c2.Root, other.LedgerKey)
	bad := append([]ledger.Hash(nil), p12...)
	bad[0][0] ^= 1

	tests := []struct {
		name  string
		old   uint64
		proof []ledger.Hash
		ckpt  []byte
		want  error
	}{
		{"fork", c1.Size, pf, cf.Note, witness.ErrBadProof},
		{"flipped_proof", c1.Size, bad, c2.Note, witness.ErrBadProof},
		{"stale_old_size", c1.Size - 1, p12, c2.Note, &witness.ConflictError{}},
		{"foreign_key", c1.Size, p12, foreign.Note, witness.ErrBadSignature},
		{"unknown_log", c1.Size, p12, unknown.Note, witness.ErrUnknownLog},
		{"rollback", c1.Size, nil, mustCheckpointAt(t, lf, c1.Size-1), witness.ErrBadRequest},
		{"same_size_other_root", c1.Size, nil, mustForeignAt(t, lf, c1.Size), witness.ErrBadProof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.AddCheckpoint(ctx, tc.old, tc.proof, tc.ckpt)
			var ce *witness.ConflictError
			if _, isConflict := tc.want.(*witness.ConflictError); isConflict {
				if !errors.As(err, &ce) || ce.Size != c1.Size {
					t.Fatalf("got %v, want conflict at %d", err, c1.Size)
				}
			} else if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if s, _ := w.State(origin); s.Size != c1.Size || s.Root != c1.Root {
				t.Fatalf("a refusal moved the state to %+v", s)
			}
		})
	}
	// The honest extension is still accepted afterwards.
	if _, err := w.AddCheckpoint(ctx, c1.Size, p12, c2.Note); err != nil {
		t.Fatal(err)
	}
}

// mustCheckpointAt signs a genuine checkpoint for an older size of lf.
func mustCheckpointAt(t *testing.T, lf *logFixture, size uint64) []byte {
	t.Helper()
	root, err := ledger.RootAt(ctx, lf.st, size)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ledger.SignCheckpoint(lf.f.Origin, size, root, lf.f.LedgerKey)
	if err != nil {
		t.Fatal(err)
	}
	return c.Note
}

// mustForeignAt signs, with the log's own key, a checkpoint of size with a wrong root.
func mustForeignAt(t *testing.T, lf *logFixture, size uint64) []byte {
	t.Helper()
	c, err := ledger.SignCheckpoint(lf.f.Origin, size, ledger.LeafHash([]byte("fork")), lf.f.LedgerKey)
	if err != nil {
		t.Fatal(err)
	}
	return c.Note
}

func TestHandler(t *testing.T) {
	lf := newLog(t, nil)
	c1 := lf.grow(t, 3)
	w, wk := newWitness(t, filepath.Join(t.TempDir(), "state.json"), witness.Log{Origin: lf.f.Origin, Key: lf.f.LedgerKey.Public()})
	srv := httptest.NewServer(witness.Handler(w))
	defer srv.Close()
	post := func(body []byte) (int, string) {
		resp, err := http.Post(srv.URL+"/add-checkpoint", "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post(witness.FormatAddCheckpoint(0, nil, c1.Note))
	if code != 200 || !strings.HasPrefix(body, "— "+w.Name()+" ") {
		t.Fatalf("first add: %d %q", code, body)
	}
	n, err := note.Open(append(bytes.Clone(c1.Note), body...), note.VerifierList(witness.NewVerifier(w.Name(), wk.Public())))
	if err != nil || len(n.Sigs) != 1 {
		t.Fatalf("cosignature does not verify: %v", err)
	}
	c2 := lf.grow(t, 6)
	p, _ := lf.proof(c1.Size, c2.Size)
	if code, body := post(witness.FormatAddCheckpoint(1, p, c2.Note)); code != http.StatusConflict || body != fmt.Sprintf("%d\n", c1.Size) {
		t.Fatalf("stale old size: %d %q", code, body)
	}
	if code, _ := post([]byte("old x\n\nnothing")); code != http.StatusBadRequest {
		t.Fatalf("malformed: %d", code)
	}
	p[0][3] ^= 0x40
	if code, _ := post(witness.FormatAddCheckpoint(c1.Size, p, c2.Note)); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad proof: %d", code)
	}
	p[0][3] ^= 0x40
	if code, _ := post(witness.FormatAddCheckpoint(c1.Size, p, c2.Note)); code != 200 {
		t.Fatalf("good proof: %d", code)
	}
	old, proof, ckpt, err := witness.ParseAddCheckpoint(witness.FormatAddCheckpoint(c1.Size, p, c2.Note))
	if err != nil || old != c1.Size || len(proof) != len(p) || !bytes.Equal(ckpt, c2.Note) {
		t.Fatalf("round trip: %d %d %v", old, len(proof), err)
	}
}

func TestCollectorRefusals(t *testing.T) {
	lf := newLog(t, nil)
	c := lf.grow(t, 2)
	w, wk := newWitness(t, filepath.Join(t.TempDir(), "s.json"), witness.Log{Origin: lf.f.Origin, Key: lf.f.LedgerKey.Public()})
	stranger, _ := newWitness(t, filepath.Join(t.TempDir(), "s2.json"), witness.Log{Origin: lf.f.Origin, Key: lf.f.LedgerKey.Public()})
	col := witness.NewCollector(lf.f.Origin, lf.f.LedgerKey.Public(), lf.pub, witness.WitnessKey{Name: w.Name(), Key: wk.Public()})
	strangerLine, err := stranger.AddCheckpoint(ctx, 0, nil, c.Note)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := col.Add(ctx, withSig(c.Note, strangerLine)); !errors.Is(err, witness.ErrNoWitness) {
		t.Fatalf("unconfigured witness: %v", err)
	}
	line, err := w.AddCheckpoint(ctx, 0, nil, c.Note)
	if err != nil {
		t.Fatal(err)
	}
	// The cosignature alone, without the ledger's signature, is refused.
	body, _, _ := bytes.Cut(c.Note, []byte("\n\n"))
	alone := append(append(body, "\n\n"...), line...)
	if _, err := col.Add(ctx, alone); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("cosignature without the ledger's signature: %v", err)
	}
	// A cosignature with a flipped bit is refused.
	bad := withSig(c.Note, line)
	bad[len(bad)-5] ^= 1
	if _, err := col.Add(ctx, bad); err == nil {
		t.Fatal("flipped cosignature accepted")
	}
	if got, _ := lf.pub.Latest(ctx); len(ledger.NoteSignatures(got.Note)) != 1 {
		t.Fatalf("published checkpoint gained signatures: %q", got.Note)
	}
}

func withSig(n, line []byte) []byte {
	out, _ := ledger.MergeSignatures(n, [][]byte{line})
	return out
}
