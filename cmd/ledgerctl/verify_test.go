package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/gowebpki/jcs"
	"github.com/transparency-dev/merkle/compact"
	bolt "go.etcd.io/bbolt"
)

// The tamper fixture: genesis (0), two key registrations (1, 2), then tamperEvents data
// events on one stream, alternately by institutions A and B. Checkpoints are stored (and
// published to DIR/checkpoints/) at size tamperCkpt and at the end.
const (
	tamperEvents = 30
	tamperSize   = 3 + tamperEvents
	tamperCkpt   = 8
	tamperStream = "dataset/aba-stats-bureau/population"
)

type tamperFixture struct {
	dir  string
	keyA *crypto.PrivateKey
	keyB *crypto.PrivateKey
}

var (
	fixtureOnce sync.Once
	fixture     tamperFixture
	fixtureErr  error
)

// tamperLedger builds the fixture once per test binary; each case gets its own copy.
func tamperLedger(t *testing.T) tamperFixture {
	t.Helper()
	fixtureOnce.Do(func() { fixture, fixtureErr = buildTamperFixture() })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	dst := filepath.Join(t.TempDir(), "data")
	if err := copyDir(fixture.dir, dst); err != nil {
		t.Fatal(err)
	}
	f := fixture
	f.dir = dst
	return f
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(filepath.Dir(fixture.dir))
	}
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func buildTamperFixture() (tamperFixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ledgerctl-tamper-")
	if err != nil {
		return tamperFixture{}, err
	}
	dir = filepath.Join(dir, "data")
	if err := datadir.Create(ctx, dir, datadir.InitOptions{}); err != nil {
		return tamperFixture{}, err
	}
	lk, err := datadir.LedgerKey(dir)
	if err != nil {
		return tamperFixture{}, err
	}
	rk, err := datadir.RootKey(dir)
	if err != nil {
		return tamperFixture{}, err
	}
	st, err := datadir.OpenStore(dir)
	if err != nil {
		return tamperFixture{}, err
	}
	defer st.Close()
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: dir}.Checkpoints())
	if err != nil {
		return tamperFixture{}, err
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: lk, CheckpointEvery: -1, Publisher: pub})
	if err != nil {
		return tamperFixture{}, err
	}
	f := tamperFixture{dir: dir}
	insts := []string{"aba-stats-bureau", "aba-health-commission"}
	keys := make([]*crypto.PrivateKey, 2)
	for i, inst := range insts {
		if keys[i], err = crypto.GenerateKey(); err != nil {
			return f, err
		}
		sub := ledgertest.Submission(datadir.DefaultAuthority, rk.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRegistered,
			ledger.KeyRegisteredPayload{KeyID: keys[i].Public().ID(), Institution: inst, PublicKey: string(crypto.MarshalPublicKeyPEM(keys[i].Public()))})
		s, err := ledger.SignSubmission(rk, sub)
		if err != nil {
			return f, err
		}
		if _, err := l.Append(ctx, s); err != nil {
			return f, err
		}
	}
	f.keyA, f.keyB = keys[0], keys[1]
	publish := func() error { _, err := l.Checkpoint(ctx); return err }
	for n := range tamperEvents {
		if l.Size() == tamperCkpt {
			if err := publish(); err != nil {
				return f, err
			}
		}
		k := keys[n%2]
		sub := ledgertest.Submission(insts[n%2], k.Public().ID(), tamperStream, "data.collected.v1",
			map[string]any{"resource": "R-0001", "records": 1000 + n, "purpose": "年度统计"})
		s, err := ledger.SignSubmission(k, sub)
		if err != nil {
			return f, err
		}
		if _, err := l.Append(ctx, s); err != nil {
			return f, err
		}
	}
	if err := publish(); err != nil {
		return f, err
	}
	return f, l.Close()
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		return os.WriteFile(target, b, fi.Mode().Perm())
	})
}

// stored is one value of the entries bucket: recorded hash ‖ canonical entry bytes.
type stored struct {
	hash  ledger.Hash
	bytes []byte
}

// entryFields mirrors the canonical entry for editing; the submission stays verbatim.
type entryFields struct {
	PrevHash      string          `json:"prev_hash"`
	RecordedAt    string          `json:"recorded_at"`
	Seq           uint64          `json:"seq"`
	Signature     []byte          `json:"signature"`
	StreamVersion uint64          `json:"stream_version"`
	Submission    json.RawMessage `json:"submission"`
}

func decodeEntry(t *testing.T, b []byte) entryFields {
	t.Helper()
	var e entryFields
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// encode produces the canonical bytes an attacker who knows the format would write.
func (e entryFields) encode(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if b, err = jcs.Transform(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func seal(b []byte) stored { return stored{hash: ledger.SumEntry(b), bytes: b} }

// tamperDB gives a case the bbolt file of its copy, as an attacker with file access has it.
type tamperDB struct {
	t  *testing.T
	db *bolt.DB
}

func openTamper(t *testing.T, dir string) *tamperDB {
	t.Helper()
	st, err := boltstore.Open(datadir.Paths{Dir: dir}.Store())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &tamperDB{t: t, db: st.DB()}
}

func (d *tamperDB) update(fn func(tx *bolt.Tx) error) {
	d.t.Helper()
	if err := d.db.Update(fn); err != nil {
		d.t.Fatal(err)
	}
}

func key(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// entries reads the whole log as stored.
func (d *tamperDB) entries() []stored {
	var out []stored
	_ = d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("entries")).ForEach(func(_, v []byte) error {
			var s stored
			copy(s.hash[:], v[:32])
			s.bytes = append([]byte(nil), v[32:]...)
			out = append(out, s)
			return nil
		})
	})
	return out
}

// put stores one entry value at seq without touching anything else.
func (d *tamperDB) put(seq uint64, s stored) {
	d.update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("entries")).Put(key(seq), append(s.hash[:len(s.hash):len(s.hash)], s.bytes...))
	})
}

// rewrite replaces the whole log with es, renumbering nothing itself: it rebuilds every
// Merkle node and the head from es so that the store is self-consistent, as a careful
// attacker would leave it. Stored checkpoints are left alone.
func (d *tamperDB) rewrite(es []stored) {
	d.update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("entries")); err != nil {
			return err
		}
		if err := tx.DeleteBucket([]byte("nodes")); err != nil {
			return err
		}
		eb, _ := tx.CreateBucket([]byte("entries"))
		nb, _ := tx.CreateBucket([]byte("nodes"))
		r := (&compact.RangeFactory{Hash: ledger.Hasher{}.HashChildren}).NewEmptyRange(0)
		for i, s := range es {
			if err := eb.Put(key(uint64(i)), append(s.hash[:len(s.hash):len(s.hash)], s.bytes...)); err != nil {
				return err
			}
			leaf := ledger.LeafHash(s.bytes)
			if err := r.Append(leaf[:], func(id compact.NodeID, h []byte) {
				k := append([]byte{byte(id.Level)}, key(id.Index)...)
				_ = nb.Put(k, append([]byte(nil), h...))
			}); err != nil {
				return err
			}
		}
		hv := key(uint64(len(es)))
		if len(es) > 0 {
			hv = append(hv, es[len(es)-1].hash[:]...)
		} else {
			hv = append(hv, make([]byte, 32)...)
		}
		return tx.Bucket([]byte("meta")).Put([]byte("head"), hv)
	})
}

// rechain re-links es from position from on: each entry names the hash of the one before
// and is resealed, so that only the change made before calling it is wrong.
func rechain(t *testing.T, es []stored, from int) {
	t.Helper()
	for i := from; i < len(es); i++ {
		e := decodeEntry(t, es[i].bytes)
		e.PrevHash = es[i-1].hash.String()
		es[i] = seal(e.encode(t))
	}
}

// renumber sets each entry's seq to its position from position from on.
func renumber(t *testing.T, es []stored, from int) {
	t.Helper()
	for i := from; i < len(es); i++ {
		e := decodeEntry(t, es[i].bytes)
		e.Seq = uint64(i)
		es[i] = seal(e.encode(t))
	}
}

func TestVerifyIntact(t *testing.T) {
	f := tamperLedger(t)
	code, out, errOut := ledgerctl(t, "verify", "--data", f.dir, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	var r verifyResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if r.Status != "intact" || r.Entries != tamperSize || r.Checkpoints != 5 || r.Published != 3 || len(r.Root) != 64 {
		t.Fatalf("report %+v: want intact, %d entries, 2 stored + 3 published checkpoints (8, 33, latest)", r, tamperSize)
	}
	code, out, _ = ledgerctl(t, "verify", "--data", f.dir)
	if code != exitOK || !strings.HasPrefix(out, "intact") || !strings.Contains(out, r.Root) {
		t.Fatalf("exit %d, text output %q", code, out)
	}
}

// TestVerifyTampered is the tamper table: every case edits the bbolt file directly and
// must make `ledgerctl verify` exit 1 naming the exact first bad position.
func TestVerifyTampered(t *testing.T) {
	const n = 11 // the 9th data event (records 1008), by institution A; n+1 is by B
	cases := []struct {
		name   string
		tamper func(t *testing.T, f tamperFixture, d *tamperDB)
		seq    uint64
		reason string // "" accepts any reason
	}{
		{"flipped_byte", func(t *testing.T, f tamperFixture, d *tamperDB) {
			s := d.entries()[n]
			s.bytes[len(s.bytes)/2] ^= 0x01
			d.put(n, s)
		}, n, ""},
		{"payload_changed_hash_recomputed", func(t *testing.T, f tamperFixture, d *tamperDB) {
			s := d.entries()[n]
			b := bytes.Replace(s.bytes, []byte(`"records":1008`), []byte(`"records":9001`), 1)
			if bytes.Equal(b, s.bytes) {
				t.Fatal("payload value not found")
			}
			d.put(n, seal(b))
		}, n, "bad_leaf_hash"},
		{"payload_changed_rechained", func(t *testing.T, f tamperFixture, d *tamperDB) {
			es := d.entries()
			es[n] = seal(bytes.Replace(es[n].bytes, []byte(`"records":1008`), []byte(`"records":9001`), 1))
			rechain(t, es, n+1)
			d.rewrite(es)
		}, n, "bad_signature"},
		{"bad_prev_hash", func(t *testing.T, f tamperFixture, d *tamperDB) {
			es := d.entries()
			e := decodeEntry(t, es[n].bytes)
			e.PrevHash = es[n-2].hash.String()
			es[n] = seal(e.encode(t))
			rechain(t, es, n+1)
			d.rewrite(es)
		}, n, "bad_prev_hash"},
		{"signature_from_other_registered_key", func(t *testing.T, f tamperFixture, d *tamperDB) {
			es := d.entries()
			e := decodeEntry(t, es[n].bytes)
			sig, err := f.keyB.SignMessage(e.Submission)
			if err != nil {
				t.Fatal(err)
			}
			e.Signature = sig
			es[n] = seal(e.encode(t))
			rechain(t, es, n+1)
			d.rewrite(es)
		}, n, "bad_signature"},
		{"entries_swapped", func(t *testing.T, f tamperFixture, d *tamperDB) {
			es := d.entries()
			d.put(n, es[n+1])
			d.put(n+1, es[n])
		}, n, ""},
		{"entries_swapped_renumbered_rechained", func(t *testing.T, f tamperFixture, d *tamperDB) {
			es := d.entries()
			es[n], es[n+1] = es[n+1], es[n]
			renumber(t, es, n)
			rechain(t, es, n)
			d.rewrite(es)
		}, n, "bad_stream_version"},
		{"entry_deleted_gap", func(t *testing.T, f tamperFixture, d *tamperDB) {
			d.update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("entries")).Delete(key(n)) })
		}, n, "missing_entry"},
		{"entry_deleted_renumbered", func(t *testing.T, f tamperFixture, d *tamperDB) {
			es := d.entries()
			es = append(es[:n], es[n+1:]...)
			renumber(t, es, n)
			rechain(t, es, n)
			d.rewrite(es)
		}, n, "bad_stream_version"},
		{"rewritten_by_key_holder", func(t *testing.T, f tamperFixture, d *tamperDB) {
			// Whoever holds A's key re-signs a changed event and fixes every link after
			// it: only the signed checkpoints know, and they bound the rewrite to after
			// the last one that agrees.
			es := d.entries()
			e := decodeEntry(t, es[n].bytes)
			changed := bytes.Replace(e.Submission, []byte(`"records":1008`), []byte(`"records":9001`), 1)
			if bytes.Equal(changed, e.Submission) {
				t.Fatal("payload value not found")
			}
			e.Submission = changed
			sig, err := f.keyA.SignMessage(e.Submission)
			if err != nil {
				t.Fatal(err)
			}
			e.Signature = sig
			es[n] = seal(e.encode(t))
			rechain(t, es, n+1)
			d.rewrite(es)
		}, tamperCkpt, "checkpoint_mismatch"},
		{"truncated_after_checkpoint", func(t *testing.T, f tamperFixture, d *tamperDB) {
			d.rewrite(d.entries()[:tamperSize-5])
		}, tamperSize - 5, "truncated"},
		{"truncated_stored_checkpoints_removed", func(t *testing.T, f tamperFixture, d *tamperDB) {
			// The published checkpoint file still covers the removed entries.
			d.rewrite(d.entries()[:tamperSize-5])
			deleteStoredCheckpointsFrom(t, d, tamperCkpt+1)
		}, tamperSize - 5, "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := tamperLedger(t)
			d := openTamper(t, f.dir)
			c.tamper(t, f, d)
			if err := d.db.Close(); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := ledgerctl(t, "verify", "--data", f.dir)
			if code != exitTampered {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, exitTampered, out, errOut)
			}
			prefix := fmt.Sprintf("tampered: seq %d: ", c.seq)
			if c.reason != "" {
				prefix += c.reason + ":"
			}
			if first, _, _ := strings.Cut(out, "\n"); !strings.HasPrefix(first, prefix) {
				t.Fatalf("first line %q, want prefix %q", first, prefix)
			}
			if !strings.Contains(errOut, prefix) || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("stderr %q: want one line with %q", errOut, prefix)
			}

			code, out, _ = ledgerctl(t, "verify", "--data", f.dir, "--json")
			var r verifyResult
			if err := json.Unmarshal([]byte(out), &r); code != exitTampered || err != nil || r.Status != "tampered" || r.Seq == nil || *r.Seq != c.seq {
				t.Fatalf("--json: exit %d, %q (%v)", code, out, err)
			}
			// The sequential reference names the same position for the same reason.
			code, out, _ = ledgerctl(t, "verify", "--data", f.dir, "--sequential", "--json")
			var sr verifyResult
			if err := json.Unmarshal([]byte(out), &sr); code != exitTampered || err != nil || sr.Seq == nil || *sr.Seq != c.seq || sr.Reason != r.Reason {
				t.Fatalf("--sequential: exit %d, %q (%v); parallel said %s at %d", code, out, err, r.Reason, *r.Seq)
			}
		})
	}
}

func deleteStoredCheckpointsFrom(t *testing.T, d *tamperDB, size uint64) {
	t.Helper()
	d.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("checkpoints"))
		c := b.Cursor()
		for k, _ := c.Seek(key(size)); k != nil; k, _ = c.Seek(key(size)) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestVerifyPinnedKeys(t *testing.T) {
	f := tamperLedger(t)
	p := datadir.Paths{Dir: f.dir}
	if code, out, e := ledgerctl(t, "verify", "--data", f.dir, "--ledger-pub", filepath.Join(p.Keys(), "ledger.pub"), "--root-pub", p.RootPub()); code != exitOK {
		t.Fatalf("pinned to the right keys: exit %d %s%s", code, out, e)
	}
	other := filepath.Join(t.TempDir(), "other")
	if code, _, e := ledgerctl(t, "keygen", "--out", other); code != 0 {
		t.Fatal(e)
	}
	code, out, _ := ledgerctl(t, "verify", "--data", f.dir, "--root-pub", other+".pub")
	if code != exitTampered || !strings.HasPrefix(out, "tampered: seq 0: bad_genesis") {
		t.Fatalf("pinned to another root key: exit %d, %q", code, out)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	f := tamperLedger(t)
	forged := filepath.Join(t.TempDir(), "forged")
	_ = os.MkdirAll(forged, 0o700)
	cases := []struct {
		name string
		args []string
	}{
		{"no_data_flag", []string{"verify"}},
		{"missing_dir", []string{"verify", "--data", filepath.Join(t.TempDir(), "none")}},
		{"empty_dir", []string{"verify", "--data", t.TempDir()}},
		{"unreadable_pub", []string{"verify", "--data", f.dir, "--root-pub", filepath.Join(forged, "x.pub")}},
		{"extra_argument", []string{"verify", "--data", f.dir, "extra"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := ledgerctl(t, c.args...)
			if code != exitUsage || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q: want 2 and one line", code, errOut)
			}
		})
	}
}

func TestVerifyForgedPublishedCheckpoint(t *testing.T) {
	f := tamperLedger(t)
	lk, err := crypto.GenerateKey() // not the ledger's key
	if err != nil {
		t.Fatal(err)
	}
	st, err := datadir.OpenStore(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := ledger.LoadRegistry(context.Background(), st, 1)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ledger.SignCheckpoint(reg.Origin, tamperSize, ledger.Hash{1}, lk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(datadir.Paths{Dir: f.dir}.Checkpoints(), "forged.ckpt"), c.Note, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := ledgerctl(t, "verify", "--data", f.dir)
	if code != exitTampered || !strings.HasPrefix(out, "tampered: seq 0: bad_checkpoint") {
		t.Fatalf("exit %d, %q", code, out)
	}
}
