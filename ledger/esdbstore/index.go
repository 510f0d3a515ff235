package esdbstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
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
// Entries are indexed in memory first (the pending tail) and written to the file in
// one transaction when flushAt of them wait, flushEvery after the first of them, and
// at close, so that an append does not wait for an fsync. A crash loses the pending
// tail only: the file is consistent at the last flush, and the next Open reads the
// rest from the log.
//
//	meta     "v" → indexVersion; "stream" → the entries stream's name;
//	         "size" → entries in the file (u64); "last" → hash of the last one
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

// When the pending tail is written to the file: when flushAt entries wait, or
// flushEvery after the first of them (a variable for tests).
const flushAt = 4096

var flushEvery = 200 * time.Millisecond

type index struct {
	db     *bolt.DB
	temp   string // a file of our own, removed at close
	stream string
	log    *slog.Logger

	flushMu sync.Mutex // one flush (or reset) at a time

	mu      sync.RWMutex
	size    uint64 // entries indexed: the file's, then the pending tail
	last    ledger.Hash
	pend    []pending         // entries [size-len(pend), size), not yet in the file
	pendIDs map[string]uint64 // their ids (the first seq of each)
	heads   map[string]uint64 // the version of each stream the pending tail touches
	timer   *time.Timer       // a flush is scheduled
	closed  bool
}

// pending is an indexed entry not yet in the file, with its stream version.
type pending struct {
	meta
	version uint64
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
// emptied. Failures of background flushes go to log.
func openIndex(path, stream string, log *slog.Logger) (*index, error) {
	x := &index{stream: stream, log: log, pendIDs: map[string]uint64{}, heads: map[string]uint64{}}
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

// reset empties the index, file and pending tail.
func (x *index) reset() error {
	x.flushMu.Lock()
	defer x.flushMu.Unlock()
	if err := x.db.Update(func(tx *bolt.Tx) error { return x.resetTx(tx, x.stream) }); err != nil {
		return fmt.Errorf("emptying the index: %w", err)
	}
	x.mu.Lock()
	x.size, x.last = 0, ledger.ZeroHash
	x.pend, x.pendIDs, x.heads = nil, map[string]uint64{}, map[string]uint64{}
	x.mu.Unlock()
	return nil
}

// head is what the index covers: entries [0, size), the last hashing to last.
func (x *index) head() (uint64, ledger.Hash) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.size, x.last
}

// fileHead reads a stream's version from the file; the caller holds x.mu.
func (x *index) fileHead(tx *bolt.Tx, stream string) uint64 {
	if b := tx.Bucket(bHeads).Get([]byte(stream)); len(b) == 8 {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// add indexes entries from seq from on, in the pending tail. Entries the index
// already holds (another caller indexed them first) are skipped; a gap is an error.
// The tail is written to the file when it is long enough, else soon after.
func (x *index) add(from uint64, ms []meta) error {
	if len(ms) == 0 {
		return nil
	}
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return errors.New("the index is closed")
	}
	if from > x.size {
		x.mu.Unlock()
		return fmt.Errorf("indexing entries from %d: the index ends at %d", from, x.size)
	}
	if x.size-from >= uint64(len(ms)) {
		x.mu.Unlock()
		return nil
	}
	ms = ms[x.size-from:]
	err := x.db.View(func(tx *bolt.Tx) error {
		for _, e := range ms {
			v, ok := x.heads[e.Stream]
			if !ok {
				v = x.fileHead(tx, e.Stream)
			}
			v++
			x.heads[e.Stream] = v
			if _, ok := x.pendIDs[e.ID]; !ok {
				x.pendIDs[e.ID] = e.Seq
			}
			x.pend = append(x.pend, pending{meta: e, version: v})
		}
		return nil
	})
	if err == nil {
		x.size, x.last = ms[len(ms)-1].Seq+1, ms[len(ms)-1].Hash
	}
	n := len(x.pend)
	if err == nil && n < flushAt && x.timer == nil {
		x.timer = time.AfterFunc(flushEvery, x.flushLater)
	}
	x.mu.Unlock()
	if err != nil {
		return fmt.Errorf("indexing entries from %d: %w", from, err)
	}
	if n >= flushAt {
		x.flushLater() // the entries are indexed; a file that cannot take them is logged
	}
	return nil
}

// flushLater is the timer's flush.
func (x *index) flushLater() {
	if err := x.flush(); err != nil {
		x.log.Warn("esdb: writing the index file failed; it will be tried again", "err", err)
	}
}

// flush writes the pending tail to the file in one transaction.
func (x *index) flush() error {
	x.flushMu.Lock()
	defer x.flushMu.Unlock()
	x.mu.Lock()
	if x.timer != nil {
		x.timer.Stop()
		x.timer = nil
	}
	batch := x.pend // add only appends, so these stay as they are
	closed := x.closed
	x.mu.Unlock()
	if closed {
		return nil
	}
	if len(batch) == 0 {
		return nil
	}
	err := x.db.Update(func(tx *bolt.Tx) error {
		m, ids, streams, heads := tx.Bucket(bMeta), tx.Bucket(bIDs), tx.Bucket(bStreams), tx.Bucket(bHeads)
		versions := map[string]uint64{}
		for _, p := range batch {
			if ids.Get([]byte(p.ID)) == nil {
				if err := ids.Put([]byte(p.ID), u64(p.Seq)); err != nil {
					return err
				}
			}
			if err := streams.Put(streamKey(p.Stream, p.version), u64(p.Seq)); err != nil {
				return err
			}
			versions[p.Stream] = p.version
		}
		for st, v := range versions {
			if err := heads.Put([]byte(st), u64(v)); err != nil {
				return err
			}
		}
		last := batch[len(batch)-1]
		if err := m.Put(kSize, u64(last.Seq+1)); err != nil {
			return err
		}
		return m.Put(kLast, last.Hash[:])
	})
	x.mu.Lock()
	defer x.mu.Unlock()
	if err != nil {
		if x.timer == nil && !x.closed {
			x.timer = time.AfterFunc(flushEvery, x.flushLater)
		}
		return fmt.Errorf("writing the index file: %w", err)
	}
	rest := append([]pending(nil), x.pend[len(batch):]...)
	x.pend, x.pendIDs, x.heads = rest, map[string]uint64{}, map[string]uint64{}
	for _, p := range rest {
		if _, ok := x.pendIDs[p.ID]; !ok {
			x.pendIDs[p.ID] = p.Seq
		}
		x.heads[p.Stream] = p.version
	}
	return nil
}

// lookup maps the ids the index holds to their seqs.
func (x *index) lookup(ids []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(ids))
	x.mu.RLock() // across the file read too: a flush cannot move entries meanwhile
	defer x.mu.RUnlock()
	err := x.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bIDs)
		for _, id := range ids {
			if v := b.Get([]byte(id)); len(v) == 8 {
				out[id] = binary.BigEndian.Uint64(v)
			} else if seq, ok := x.pendIDs[id]; ok {
				out[id] = seq
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
	x.mu.RLock()
	defer x.mu.RUnlock()
	err := x.db.View(func(tx *bolt.Tx) error {
		for _, s := range streams {
			v, ok := x.heads[s]
			if !ok {
				v = x.fileHead(tx, s)
			}
			if v > 0 {
				out[s] = v
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
	x.mu.RLock()
	defer x.mu.RUnlock()
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
	// The pending tail holds the stream's versions after the file's.
	for _, p := range x.pend {
		if len(out) >= limit {
			break
		}
		if p.Stream == stream && p.version >= from {
			out = append(out, p.Seq)
		}
	}
	return out, nil
}

// close writes the pending tail and closes the file, removing a temporary one.
func (x *index) close() error {
	var err error
	if x.db != nil {
		if x.temp == "" {
			err = x.flush()
		}
		x.mu.Lock()
		x.closed = true
		if x.timer != nil {
			x.timer.Stop()
			x.timer = nil
		}
		x.mu.Unlock()
		x.flushMu.Lock() // a timer's flush may be under way
		if cerr := x.db.Close(); err == nil {
			err = cerr
		}
		x.flushMu.Unlock()
	}
	x.remove()
	return err
}

func (x *index) remove() {
	if x.temp != "" {
		os.Remove(x.temp)
	}
}
