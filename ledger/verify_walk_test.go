package ledger_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	bolt "go.etcd.io/bbolt"
)

// TestVerifyPipelineBoundaries runs verification with chunks of 7 entries and tasks of
// 3, so that findings fall on the first, last and middle entries of chunks and tasks, and
// checks that the first bad position is named exactly wherever it falls.
func TestVerifyPipelineBoundaries(t *testing.T) {
	defer ledger.SetVerifyChunks(7, 3)()
	const size = 40 // genesis, one registration, 38 events
	positions := []uint64{2, 6, 7, 8, 13, 14, 20, 27, 28, 39}
	key := func(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
	tampers := map[string]func(tx *bolt.Tx, seq uint64) error{
		"flipped_byte": func(tx *bolt.Tx, seq uint64) error {
			b := tx.Bucket([]byte("entries"))
			v := append([]byte(nil), b.Get(key(seq))...)
			v[len(v)-20] ^= 0x20
			return b.Put(key(seq), v)
		},
		"gap": func(tx *bolt.Tx, seq uint64) error { return tx.Bucket([]byte("entries")).Delete(key(seq)) },
		"missing_leaf": func(tx *bolt.Tx, seq uint64) error {
			return tx.Bucket([]byte("nodes")).Delete(append([]byte{0}, key(seq)...))
		},
	}
	for name, tamper := range tampers {
		for _, p := range positions {
			t.Run(fmt.Sprintf("%s_at_%d", name, p), func(t *testing.T) {
				st, _ := pipelineLedger(t, size)
				if err := st.DB().Update(func(tx *bolt.Tx) error { return tamper(tx, p) }); err != nil {
					t.Fatal(err)
				}
				_, err := ledger.Verify(ctx, st, ledger.VerifyOptions{Workers: 3})
				var ce *ledger.ChainError
				if !errors.As(err, &ce) || ce.Seq != p {
					t.Fatalf("got %v, want a finding at seq %d", err, p)
				}
			})
		}
	}
	t.Run("intact", func(t *testing.T) {
		st, root := pipelineLedger(t, size)
		var calls, last uint64
		r, err := ledger.Verify(ctx, st, ledger.VerifyOptions{Workers: 3, Progress: func(done, total uint64) {
			if done < last || total != size {
				t.Errorf("progress %d/%d after %d", done, total, last)
			}
			calls, last = calls+1, done
		}})
		if err != nil || r.Entries != size || r.Root != root {
			t.Fatalf("report %+v, err %v; want %d entries with root %s", r, err, size, root)
		}
		if calls < 2 || last != size {
			t.Fatalf("progress called %d times, last %d", calls, last)
		}
	})
}

func pipelineLedger(t *testing.T, size int) (*boltstore.Store, ledger.Hash) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "aba-county-01")
	for i := 2; i < size; i++ {
		if _, err := l.Append(ctx, f.Event(t, "aba-county-01", fmt.Sprintf("resource/r%d", i%3), i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	_, root := l.Root()
	return st, root
}
