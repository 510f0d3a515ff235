package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	bolt "go.etcd.io/bbolt"
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
	db *bolt.DB
}

var _ ledger.Store = (*Store)(nil)

// Open opens or creates the store file. It fails fast (after one second) if another
// process holds the file, rather than queueing behind it.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bEntries, bIDs, bStreams, bStreamHeads, bNodes, bCheckpoints, bMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising %s: %w", path, err)
	}
	return &Store{db: db}, nil
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
	err := s.db.View(func(tx *bolt.Tx) error { h = readHead(tx); return nil })
	return h, err
}

// Append implements ledger.Store: one transaction, fsynced on commit.
func (s *Store) Append(ctx context.Context, b *ledger.Batch) error {
	if len(b.Entries) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
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
	})
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
	return s.db.View(func(tx *bolt.Tx) error {
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
			if err := fn(r); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
}

// Stream implements ledger.Store.
func (s *Store) Stream(ctx context.Context, stream string, from uint64, fn func(ledger.RawEntry) error) error {
	prefix := append([]byte(stream), 0)
	return s.db.View(func(tx *bolt.Tx) error {
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
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Lookup implements ledger.Store.
func (s *Store) Lookup(ctx context.Context, ids []string) (map[string]uint64, error) {
	out := make(map[string]uint64)
	err := s.db.View(func(tx *bolt.Tx) error {
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
	err := s.db.View(func(tx *bolt.Tx) error {
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
	err := s.db.View(func(tx *bolt.Tx) error {
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
	return s.db.Update(func(tx *bolt.Tx) error {
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
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bCheckpoints).ForEach(func(k, v []byte) error {
			c, err := checkpoint(k, v)
			if err != nil {
				return err
			}
			return fn(c)
		})
	})
}

// LatestCheckpoint implements ledger.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	var c ledger.Checkpoint
	err := s.db.View(func(tx *bolt.Tx) error {
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
