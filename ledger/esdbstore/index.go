package esdbstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The index maps submission ids and (stream, version) pairs to seqs. It is a cache of
// the entries stream kept in a local bbolt file, so that it costs disk, not memory,
// and a store reopened on the same file reads from the server only what was
// appended since. It is never trusted beyond what the log confirms: Open compares
// its last entry with the log's and rebuilds it from the log when they differ.
//
//	meta     "v" → indexVersion; "stream" → the entries stream's name;
//	         "size" → entries indexed (u64); "last" → hash of the last one
//	ids      submission id → seq (the first entry with that id)
//	streams  uvarint(len(stream)) ‖ stream ‖ version (u64) → seq
//	heads    stream → its version (u64)
var (
	bMeta    = []byte("meta")
	bIDs     = []byte("ids")
	bStreams = []byte("streams")
	bHeads   = []byte("heads")
	kVersion = []byte("v")
	kStream  = []byte("stream")
	kSize    = []byte("size")
	kLast    = []byte("last")
)

// indexVersion names the file layout above.
const indexVersion = 1

type index struct {
	db   *bolt.DB
	temp string // a file of our own, removed at close

	mu   sync.RWMutex
	size uint64
	last ledger.Hash
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func streamPrefix(stream string) []byte {
	k := binary.AppendUvarint(nil, uint64(len(stream)))
	return append(k, stream...)
}

func streamKey(stream string, version uint64) []byte {
	return append(streamPrefix(stream), u64(version)...)
}

// openIndex opens the index file at path for the entries stream named stream, or a
// temporary one if path is empty. A file written for another stream or layout is
// emptied.
func openIndex(path, stream string) (*index, error) {
	x := &index{}
	if path == "" {
		f, err := os.CreateTemp("", "esdbstore-index-*.db")
		if err != nil {
			return nil, fmt.Errorf("creating a temporary index file: %w", err)
		}
		f.Close()
		path, x.temp = f.Name(), f.Name()
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         x.temp != "", // a temporary index does not outlive the process
	})
	if err != nil {
		x.remove()
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("opening the index %s: another store holds it: %w", path, err)
		}
		return nil, fmt.Errorf("opening the index %s: %w", path, err)
	}
	x.db = db
	err = db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil || string(m.Get(kStream)) != stream || !eqU64(m.Get(kVersion), indexVersion) {
			return x.resetTx(tx, stream)
		}
		for _, b := range [][]byte{bIDs, bStreams, bHeads} {
			if tx.Bucket(b) == nil {
				return x.resetTx(tx, stream)
			}
		}
		size, last := m.Get(kSize), m.Get(kLast)
		if len(size) != 8 || len(last) != len(x.last) {
			return x.resetTx(tx, stream)
		}
		x.size = binary.BigEndian.Uint64(size)
		copy(x.last[:], last)
		return nil
	})
	if err != nil {
		x.close()
		return nil, fmt.Errorf("reading the index %s: %w", path, err)
	}
	return x, nil
}

func eqU64(b []byte, v uint64) bool { return len(b) == 8 && binary.BigEndian.Uint64(b) == v }

// resetTx empties the index within tx.
func (x *index) resetTx(tx *bolt.Tx, stream string) error {
	for _, b := range [][]byte{bMeta, bIDs, bStreams, bHeads} {
		if tx.Bucket(b) != nil {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	m := tx.Bucket(bMeta)
	for k, v := range map[string][]byte{"v": u64(indexVersion), "stream": []byte(stream), "size": u64(0), "last": ledger.ZeroHash[:]} {
		if err := m.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// reset empties the index.
func (x *index) reset(stream string) error {
	if err := x.db.Update(func(tx *bolt.Tx) error { return x.resetTx(tx, stream) }); err != nil {
		return fmt.Errorf("emptying the index: %w", err)
	}
	x.mu.Lock()
	x.size, x.last = 0, ledger.ZeroHash
	x.mu.Unlock()
	return nil
}

// head is what the index covers: entries [0, size), the last hashing to last.
func (x *index) head() (uint64, ledger.Hash) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.size, x.last
}

// add indexes entries from seq from on, in one transaction. Entries the index
// already holds (another caller indexed them first) are skipped; a gap is an error.
func (x *index) add(from uint64, ms []meta) error {
	if len(ms) == 0 {
		return nil
	}
	var size uint64
	var last ledger.Hash
	err := x.db.Update(func(tx *bolt.Tx) error {
		m, ids, streams, heads := tx.Bucket(bMeta), tx.Bucket(bIDs), tx.Bucket(bStreams), tx.Bucket(bHeads)
		have := binary.BigEndian.Uint64(m.Get(kSize))
		if have < from {
			return fmt.Errorf("the index ends at %d", have)
		}
		if have-from >= uint64(len(ms)) {
			return nil
		}
		ms = ms[have-from:]
		versions := map[string]uint64{}
		for _, e := range ms {
			if ids.Get([]byte(e.ID)) == nil {
				if err := ids.Put([]byte(e.ID), u64(e.Seq)); err != nil {
					return err
				}
			}
			v, ok := versions[e.Stream]
			if !ok {
				if b := heads.Get([]byte(e.Stream)); len(b) == 8 {
					v = binary.BigEndian.Uint64(b)
				}
			}
			v++
			versions[e.Stream] = v
			if err := streams.Put(streamKey(e.Stream, v), u64(e.Seq)); err != nil {
				return err
			}
		}
		for st, v := range versions {
			if err := heads.Put([]byte(st), u64(v)); err != nil {
				return err
			}
		}
		size, last = ms[len(ms)-1].Seq+1, ms[len(ms)-1].Hash
		if err := m.Put(kSize, u64(size)); err != nil {
			return err
		}
		return m.Put(kLast, last[:])
	})
	if err != nil {
		return fmt.Errorf("indexing entries from %d: %w", from, err)
	}
	if size > 0 {
		x.mu.Lock()
		if size > x.size {
			x.size, x.last = size, last
		}
		x.mu.Unlock()
	}
	return nil
}

// lookup maps the ids the index holds to their seqs.
func (x *index) lookup(ids []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(ids))
	err := x.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bIDs)
		for _, id := range ids {
			if v := b.Get([]byte(id)); len(v) == 8 {
				out[id] = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("looking up ids in the index: %w", err)
	}
	return out, nil
}

// versions returns the streams' current versions (absent streams: absent).
func (x *index) versions(streams []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(streams))
	err := x.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bHeads)
		for _, s := range streams {
			if v := b.Get([]byte(s)); len(v) == 8 {
				out[s] = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading stream versions from the index: %w", err)
	}
	return out, nil
}

// seqs returns the seqs of up to limit entries of stream from version from on.
func (x *index) seqs(stream string, from uint64, limit int) ([]uint64, error) {
	var out []uint64
	prefix := streamPrefix(stream)
	err := x.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bStreams).Cursor()
		for k, v := c.Seek(streamKey(stream, from)); k != nil && len(out) < limit; k, v = c.Next() {
			if len(k) != len(prefix)+8 || string(k[:len(prefix)]) != string(prefix) {
				break
			}
			if len(v) != 8 {
				return fmt.Errorf("%w: the index entry for %s is malformed", ledger.ErrCorrupt, stream)
			}
			out = append(out, binary.BigEndian.Uint64(v))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading stream %s from the index: %w", stream, err)
	}
	return out, nil
}

// close closes the file, removing a temporary one.
func (x *index) close() error {
	var err error
	if x.db != nil {
		err = x.db.Close()
	}
	x.remove()
	return err
}

func (x *index) remove() {
	if x.temp != "" {
		os.Remove(x.temp)
	}
}
