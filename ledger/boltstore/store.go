package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	bEntries     = []byte("entries")
	bIDs         = []byte("ids")
	bStreams     = []byte("streams")
	bStreamHeads = []byte("streamheads")
	bNodes       = []byte("nodes")
	bCheckpoints = []byte("checkpoints")
	bMeta        = []byte("meta")
	kHead        = []byte("head")
)

// Store is a ledger.Store on one bbolt file.
type Store struct {
	db      *bolt.DB
	path    string
	damaged atomic.Pointer[DamagedError] // set once a bbolt call panicked (guard)
	// writeFailed is set once the disk reported a write or sync failure other than a
	// full disk (diskfull.go): appends are refused until the store is opened again.
	writeFailed atomic.Pointer[ledger.Problem]
	// failCommit, if set (tests), fails a write transaction after its changes are made,
	// as the disk would at commit.
	failCommit func() error
}

var _ ledger.Store = (*Store)(nil)

// ErrInUse is Open's answer when another process (normally a running ledgerd) holds the
// file: the officer's tools need to say what to do instead, not "timeout".
var ErrInUse = errors.New("the store is held by another process, normally a running ledgerd: stop it, or take a copy with `ledgerctl snapshot --server URL --data NEWDIR` and work on the copy " +
	"(账本文件正被另一进程 (通常是运行中的 ledgerd) 占用：请先停止它，或用 ledgerctl snapshot 取得副本后在副本上操作)")

// lockTimeout is how long Open waits for another process to let go of the file.
const lockTimeout = time.Second

// Open opens or creates the store file. It fails fast (after one second) if another
// process holds the file, rather than queueing behind it.
//
// An existing file is validated (ValidateFile) under bbolt's lock before bbolt maps it:
// bbolt panics, partly in goroutines of its own, on a file cut short or overwritten, so
// a damaged file must be refused before bbolt reads it. Such a file is a *DamagedError,
// returned as it is (it names the file).
func Open(path string) (*Store, error) {
	// bbolt opens the file through OpenFile: the first call is Open's own (lock, then
	// validate); later ones are Tx.WriteTo's read-only copies, which must not lock.
	var (
		opened atomic.Bool
		file   *os.File
	)
	openFile := func(name string, flag int, mode os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, mode)
		if err != nil || !opened.CompareAndSwap(false, true) {
			return f, err
		}
		if err := lockFile(f, lockTimeout); err != nil {
			f.Close()
			return nil, err
		}
		if err := validateOpen(path, f); err != nil {
			f.Close()
			return nil, err
		}
		file = f
		return f, nil
	}
	s := &Store{path: path}
	err := s.guard(func() error {
		db, err := bolt.Open(path, 0o600, &bolt.Options{
			Timeout:        lockTimeout,
			NoFreelistSync: true,
			FreelistType:   bolt.FreelistMapType,
			OpenFile:       openFile,
		})
		s.db = db
		return err
	})
	var d *DamagedError
	switch {
	case errors.As(err, &d):
		if s.db == nil && file != nil {
			file.Close() // bbolt panicked holding it: let go of the lock
		}
		return nil, d
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, &DamagedError{Path: path, Detail: err.Error()}
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("opening %s: %w", path, ErrInUse)
	case err != nil:
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	var bad []byte
	err = s.update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bEntries, bIDs, bStreams, bStreamHeads, bNodes, bCheckpoints, bMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				bad = b
				return err
			}
		}
		return nil
	})
	if errors.Is(err, berrors.ErrIncompatibleValue) {
		err = &DamagedError{Path: path, Detail: fmt.Sprintf("%q holds a value where this store keeps a bucket", bad)}
	}
	if err != nil {
		s.db.Close()
		if errors.As(err, &d) {
			return nil, d
		}
		return nil, fmt.Errorf("initialising %s: %w", path, err)
	}
	return s, nil
}

// view and update are db.View and db.Update under guard: a bbolt panic is a
// *DamagedError, not a crash.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	return s.guard(func() error { return s.db.View(fn) })
}

func (s *Store) update(fn func(*bolt.Tx) error) error {
	return s.guard(func() error { return s.db.Update(fn) })
}

// DB exposes the bbolt handle for tests that must tamper with stored bytes.
func (s *Store) DB() *bolt.DB { return s.db }

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func streamKey(stream string, version uint64) []byte {
	k := make([]byte, 0, len(stream)+9)
	k = append(k, stream...)
	k = append(k, 0)
	return append(k, u64(version)...)
}

func nodeKey(id ledger.NodeID) []byte {
	k := make([]byte, 9)
	k[0] = id.Level
	binary.BigEndian.PutUint64(k[1:], id.Index)
	return k
}

func readHead(tx *bolt.Tx) ledger.Head {
	var h ledger.Head
	if v := tx.Bucket(bMeta).Get(kHead); len(v) == 40 {
		h.Size = binary.BigEndian.Uint64(v[:8])
		copy(h.LastHash[:], v[8:])
	}
	return h
}

// Head implements ledger.Store.
func (s *Store) Head(ctx context.Context) (ledger.Head, error) {
	var h ledger.Head
	err := s.view(func(tx *bolt.Tx) error { h = readHead(tx); return nil })
	return h, err
}

// Append implements ledger.Store: one transaction, fsynced on commit.
func (s *Store) Append(ctx context.Context, b *ledger.Batch) error {
	if len(b.Entries) == 0 {
		return nil
	}
	if p := s.writeFailed.Load(); p != nil {
		return p
	}
	made := false
	err := s.update(func(tx *bolt.Tx) error {
		if err := appendTx(tx, b); err != nil {
			return err
		}
		made = true
		if s.failCommit != nil {
			return s.failCommit()
		}
		return nil
	})
	if err != nil && made {
		return s.writeFailure(err)
	}
	return err
}

// appendTx puts one batch in a write transaction.
func appendTx(tx *bolt.Tx, b *ledger.Batch) error {
	h := readHead(tx)
	if b.Entries[0].Seq != h.Size {
		return fmt.Errorf("%w: batch starts at %d, store holds %d", ledger.ErrHeadMoved, b.Entries[0].Seq, h.Size)
	}
	entries, ids, streams, heads, nodes := tx.Bucket(bEntries), tx.Bucket(bIDs), tx.Bucket(bStreams), tx.Bucket(bStreamHeads), tx.Bucket(bNodes)
	entries.FillPercent, nodes.FillPercent = 1.0, 1.0
	for i, e := range b.Entries {
		if e.Seq != h.Size+uint64(i) {
			return fmt.Errorf("batch is not contiguous at %d", e.Seq)
		}
		if ids.Get([]byte(e.ID)) != nil {
			return fmt.Errorf("%w: id %s already stored", ledger.ErrConflict, e.ID)
		}
		v := make([]byte, 32+len(e.Bytes))
		copy(v, e.Hash[:])
		copy(v[32:], e.Bytes)
		if err := entries.Put(u64(e.Seq), v); err != nil {
			return err
		}
		if err := ids.Put([]byte(e.ID), u64(e.Seq)); err != nil {
			return err
		}
		if err := streams.Put(streamKey(e.Stream, e.StreamVersion), u64(e.Seq)); err != nil {
			return err
		}
		if err := heads.Put([]byte(e.Stream), u64(e.StreamVersion)); err != nil {
			return err
		}
	}
	for _, n := range b.Nodes {
		if err := nodes.Put(nodeKey(n.ID), n.Hash[:]); err != nil {
			return err
		}
	}
	last := b.Entries[len(b.Entries)-1]
	hv := make([]byte, 40)
	binary.BigEndian.PutUint64(hv, last.Seq+1)
	copy(hv[8:], last.Hash[:])
	return tx.Bucket(bMeta).Put(kHead, hv)
}

func rawEntry(seq uint64, v []byte) (ledger.RawEntry, error) {
	if len(v) < 32 {
		return ledger.RawEntry{}, fmt.Errorf("stored entry %d is truncated", seq)
	}
	r := ledger.RawEntry{Seq: seq, Bytes: v[32:]}
	copy(r.Hash[:], v[:32])
	return r, nil
}

// Entries implements ledger.Store.
func (s *Store) Entries(ctx context.Context, from, to uint64, fn func(ledger.RawEntry) error) error {
	return s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEntries).Cursor()
		for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				return fmt.Errorf("malformed entry key %x", k)
			}
			seq := binary.BigEndian.Uint64(k)
			if seq >= to {
				return nil
			}
			r, err := rawEntry(seq, v)
			if err != nil {
				return err
			}
			if err := caller(fn, r); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
}

// Stream implements ledger.Store.
func (s *Store) Stream(ctx context.Context, stream string, from uint64, fn func(ledger.RawEntry) error) error {
	prefix := append([]byte(stream), 0)
	return s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bStreams).Cursor()
		entries := tx.Bucket(bEntries)
		for k, v := c.Seek(streamKey(stream, from)); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
			seq := binary.BigEndian.Uint64(v)
			ev := entries.Get(v)
			if ev == nil {
				return fmt.Errorf("%w: stream index names seq %d, which is not stored", ledger.ErrNotFound, seq)
			}
			r, err := rawEntry(seq, ev)
			if err != nil {
				return err
			}
			if err := caller(fn, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Lookup implements ledger.Store.
func (s *Store) Lookup(ctx context.Context, ids []string) (map[string]uint64, error) {
	out := make(map[string]uint64)
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bIDs)
		for _, id := range ids {
			if v := b.Get([]byte(id)); len(v) == 8 {
				out[id] = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	return out, err
}

// StreamVersions implements ledger.Store.
func (s *Store) StreamVersions(ctx context.Context, streams []string) (map[string]uint64, error) {
	out := make(map[string]uint64)
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bStreamHeads)
		for _, st := range streams {
			if v := b.Get([]byte(st)); len(v) == 8 {
				out[st] = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	return out, err
}

// Nodes implements ledger.Store.
func (s *Store) Nodes(ctx context.Context, ids []ledger.NodeID) ([]ledger.Hash, error) {
	out := make([]ledger.Hash, len(ids))
	err := s.view(func(tx *bolt.Tx) error {
		// Verification asks for runs of consecutive leaves: walk those with the cursor
		// instead of one tree descent per node.
		c := tx.Bucket(bNodes).Cursor()
		var k, v []byte
		for i, id := range ids {
			want := nodeKey(id)
			if i > 0 && k != nil && id.Level == ids[i-1].Level && id.Index == ids[i-1].Index+1 {
				k, v = c.Next()
			} else {
				k, v = c.Seek(want)
			}
			if !bytes.Equal(k, want) {
				k, v = c.Seek(want) // not the next key after all: search
			}
			if !bytes.Equal(k, want) || len(v) != 32 {
				return fmt.Errorf("%w: Merkle node level %d index %d", ledger.ErrNotFound, id.Level, id.Index)
			}
			copy(out[i][:], v)
		}
		return nil
	})
	return out, err
}

// PutCheckpoint implements ledger.Store.
func (s *Store) PutCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	return s.update(func(tx *bolt.Tx) error {
		if h := readHead(tx); c.Size > h.Size {
			return fmt.Errorf("checkpoint for size %d beyond the log's %d entries", c.Size, h.Size)
		}
		v := make([]byte, 32+len(c.Note))
		copy(v, c.Root[:])
		copy(v[32:], c.Note)
		return tx.Bucket(bCheckpoints).Put(u64(c.Size), v)
	})
}

func checkpoint(k, v []byte) (ledger.Checkpoint, error) {
	if len(k) != 8 || len(v) < 32 {
		return ledger.Checkpoint{}, errors.New("malformed stored checkpoint")
	}
	c := ledger.Checkpoint{Size: binary.BigEndian.Uint64(k), Note: v[32:]}
	copy(c.Root[:], v[:32])
	return c, nil
}

// Checkpoints implements ledger.Store.
func (s *Store) Checkpoints(ctx context.Context, fn func(ledger.Checkpoint) error) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bCheckpoints).ForEach(func(k, v []byte) error {
			c, err := checkpoint(k, v)
			if err != nil {
				return err
			}
			return caller(fn, c)
		})
	})
}

// LatestCheckpoint implements ledger.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	var c ledger.Checkpoint
	err := s.view(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bCheckpoints).Cursor().Last()
		if k == nil {
			return ledger.ErrNotFound
		}
		var err error
		c, err = checkpoint(k, v)
		c.Note = append([]byte(nil), c.Note...)
		return err
	})
	return c, err
}

// Close implements ledger.Store.
func (s *Store) Close() error { return s.db.Close() }

// Check runs bbolt's own consistency check (Tx.Check) over the whole file: every page
// reachable once, none both reachable and free, keys in order. Open has validated the
// structure already; this is bbolt's second opinion, for ledgerctl verify. It reads the
// whole file in one read transaction and must not run while another goroutine writes.
// A finding is a *DamagedError.
func (s *Store) Check() error {
	var found []string
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if n++; len(found) < 3 {
				found = append(found, err.Error())
			}
		}
		return nil
	})
	if err != nil || n == 0 {
		return err
	}
	detail := "bbolt's consistency check: " + strings.Join(found, "; ")
	if n > len(found) {
		detail += fmt.Sprintf("; and %d more", n-len(found))
	}
	return &DamagedError{Path: s.path, Detail: detail}
}
