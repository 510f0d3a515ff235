package ledger_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	bolt "go.etcd.io/bbolt"
)

// The parallel verifier is held to the sequential reference (ledger.VerifySequential):
// on any log, tampered in any way, both name the same first bad position for the same
// reason, or both find it intact with the same root.

const diffSize = 48 // genesis, three institutions' keys, events on a few streams

// diffBase writes a small ledger to a bolt file once and returns its path.
func diffBase(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "base.db")
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	insts := []string{"aba-county-01", "aba-county-02", "aba-county-03"}
	for _, in := range insts {
		f.Register(t, l, in)
	}
	for i := int(l.Size()); i < diffSize; i++ {
		if _, err := l.Append(ctx, f.Event(t, insts[i%3], fmt.Sprintf("resource/r%d", i%4), i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// mutation is one change to the stored log, as a bolt transaction.
type mutation func(tx *bolt.Tx, r *rand.Rand) error

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// stored reads entry seq's stored value (hash, then bytes) and parses it.
func stored(tx *bolt.Tx, seq uint64) ([]byte, *ledger.Entry) {
	v := tx.Bucket([]byte("entries")).Get(seqKey(seq))
	if len(v) < 32 {
		return nil, nil
	}
	e, err := ledger.ParseEntry(append([]byte(nil), v[32:]...))
	if err != nil {
		return v, nil
	}
	return v, e
}

// put stores e at seq with its true hash and leaf, as a writer would have: only the
// rules for positions can find it.
func put(tx *bolt.Tx, seq uint64, e *ledger.Entry) error {
	v := append(append([]byte(nil), e.Hash[:]...), e.Bytes...)
	if err := tx.Bucket([]byte("entries")).Put(seqKey(seq), v); err != nil {
		return err
	}
	leaf := ledger.LeafHash(e.Bytes)
	return tx.Bucket([]byte("nodes")).Put(append([]byte{0}, seqKey(seq)...), leaf[:])
}

// reseal forges entry seq again with one field changed by change, signature intact.
func reseal(seq uint64, change func(e *ledger.Entry, rec *time.Time, version *uint64, prev *ledger.Hash, s *ledger.Signed)) mutation {
	return func(tx *bolt.Tx, r *rand.Rand) error {
		_, e := stored(tx, seq)
		if e == nil {
			return nil
		}
		rec, _ := time.Parse(time.RFC3339Nano, e.RecordedAt)
		version, prev := e.StreamVersion, e.PrevHash
		s := &ledger.Signed{Submission: e.Submission, Canonical: e.SubmissionRaw, Signature: e.Signature}
		change(e, &rec, &version, &prev, s)
		return put(tx, seq, ledger.SealEntry(seq, rec, version, prev, s))
	}
}

// mutations are the kinds of tampering tried, each at a position (and a second one
// where it needs it).
var mutations = []func(seq, other uint64) mutation{
	func(seq, _ uint64) mutation { // a flipped byte (the recorded hash then disagrees)
		return func(tx *bolt.Tx, r *rand.Rand) error {
			v, _ := stored(tx, seq)
			if v == nil {
				return nil
			}
			v = append([]byte(nil), v...)
			v[32+r.IntN(len(v)-32)] ^= byte(1 + r.IntN(255))
			return tx.Bucket([]byte("entries")).Put(seqKey(seq), v)
		}
	},
	func(seq, _ uint64) mutation { // the entry is gone
		return func(tx *bolt.Tx, _ *rand.Rand) error { return tx.Bucket([]byte("entries")).Delete(seqKey(seq)) }
	},
	func(seq, _ uint64) mutation { // its Merkle leaf is gone
		return func(tx *bolt.Tx, _ *rand.Rand) error {
			return tx.Bucket([]byte("nodes")).Delete(append([]byte{0}, seqKey(seq)...))
		}
	},
	func(seq, other uint64) mutation { // two entries exchanged
		return func(tx *bolt.Tx, _ *rand.Rand) error {
			a, _ := stored(tx, seq)
			b, _ := stored(tx, other)
			if a == nil || b == nil {
				return nil
			}
			a, b = append([]byte(nil), a...), append([]byte(nil), b...)
			if err := tx.Bucket([]byte("entries")).Put(seqKey(seq), b); err != nil {
				return err
			}
			return tx.Bucket([]byte("entries")).Put(seqKey(other), a)
		}
	},
	func(seq, _ uint64) mutation { // resealed a stream version on
		return reseal(seq, func(_ *ledger.Entry, _ *time.Time, v *uint64, _ *ledger.Hash, _ *ledger.Signed) { *v++ })
	},
	func(seq, _ uint64) mutation { // resealed an hour before it was recorded
		return reseal(seq, func(_ *ledger.Entry, rec *time.Time, _ *uint64, _ *ledger.Hash, _ *ledger.Signed) {
			*rec = rec.Add(-time.Hour)
		})
	},
	func(seq, _ uint64) mutation { // resealed on another chain
		return reseal(seq, func(_ *ledger.Entry, _ *time.Time, _ *uint64, p *ledger.Hash, _ *ledger.Signed) { p[0] ^= 1 })
	},
	func(seq, other uint64) mutation { // another entry's signed submission resealed here
		return func(tx *bolt.Tx, r *rand.Rand) error {
			_, o := stored(tx, other)
			if o == nil {
				return nil
			}
			return reseal(seq, func(_ *ledger.Entry, _ *time.Time, _ *uint64, _ *ledger.Hash, s *ledger.Signed) {
				*s = ledger.Signed{Submission: o.Submission, Canonical: o.SubmissionRaw, Signature: o.Signature}
			})(tx, r)
		}
	},
	func(seq, other uint64) mutation { // a signature from another entry
		return func(tx *bolt.Tx, r *rand.Rand) error {
			_, o := stored(tx, other)
			if o == nil {
				return nil
			}
			return reseal(seq, func(_ *ledger.Entry, _ *time.Time, _ *uint64, _ *ledger.Hash, s *ledger.Signed) {
				s.Signature = o.Signature
			})(tx, r)
		}
	},
}

// outcome is what a verifier found.
type outcome struct {
	seq    uint64
	reason string
	root   ledger.Hash
	other  string
}

func run(verify func() (ledger.VerifyReport, error)) outcome {
	r, err := verify()
	var ce *ledger.ChainError
	switch {
	case errors.As(err, &ce):
		return outcome{seq: ce.Seq, reason: ce.Reason}
	case err != nil:
		return outcome{other: err.Error()}
	}
	return outcome{reason: "intact", root: r.Root}
}

// differ applies program (pairs of mutation kind and positions read from r) to a copy
// of base and reports what each verifier found.
func differ(t testing.TB, base string, r *rand.Rand, steps int) (par, seq outcome, what string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	copyFile(t, base, path)
	st, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range steps {
		k, p, o := r.IntN(len(mutations)), uint64(r.IntN(diffSize)), uint64(r.IntN(diffSize))
		what += fmt.Sprintf("[kind %d at %d/%d]", k, p, o)
		if err := st.DB().Update(func(tx *bolt.Tx) error { return mutations[k](p, o)(tx, r) }); err != nil {
			t.Fatal(err)
		}
	}
	defer ledger.SetVerifyChunks(uint64(2+r.IntN(9)), 1+r.IntN(4))()
	par = run(func() (ledger.VerifyReport, error) {
		return ledger.Verify(ctx, st, ledger.VerifyOptions{Workers: 1 + r.IntN(4)})
	})
	seq = run(func() (ledger.VerifyReport, error) { return ledger.VerifySequential(ctx, st, ledger.VerifyOptions{}) })
	return par, seq, what
}

// TestVerifyDifferential: random tampering (one to three changes of every kind, at
// random positions, with random pipeline sizes); the parallel verifier and the
// sequential reference agree every time. The seed is printed; LEDGER_PROPERTY_SEED
// repeats a run.
func TestVerifyDifferential(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("LEDGER_PROPERTY_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (LEDGER_PROPERTY_SEED=%d repeats this run)", seed, seed)
	base := diffBase(t)
	r := rand.New(rand.NewPCG(seed, seed>>1))
	found := map[string]int{}
	rounds := 100
	if testing.Short() {
		rounds = 40
	}
	for i := range rounds {
		par, seq, what := differ(t, base, r, 1+r.IntN(3))
		if par != seq {
			t.Fatalf("round %d %s: parallel found %+v, sequential %+v", i, what, par, seq)
		}
		found[par.reason]++
	}
	t.Logf("findings: %v", found)
	for _, want := range []string{"bad_entry_hash", "missing_entry", "missing_node", "bad_signature", "bad_prev_hash", "bad_stream_version"} {
		if found[want] == 0 && !testing.Short() {
			t.Errorf("no round found %s: the tampering does not exercise the rule", want)
		}
	}
	par, seq, _ := differ(t, base, r, 0)
	if par != seq || par.reason != "intact" {
		t.Fatalf("intact log: parallel %+v, sequential %+v", par, seq)
	}
}

// FuzzVerifyDifferential lets the fuzzer choose the tampering.
func FuzzVerifyDifferential(f *testing.F) {
	base := diffBase(f)
	f.Add(uint64(1), uint8(1))
	f.Add(uint64(42), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, steps uint8) {
		par, seq, what := differ(t, base, rand.New(rand.NewPCG(seed, ^seed)), int(steps%4))
		if par != seq {
			t.Fatalf("%s: parallel found %+v, sequential %+v", what, par, seq)
		}
	})
}
