package backup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aba-prefecture/dataledger/ledger"
)

// The log is carried as its sealed entries, not as a store file, so that an archive of
// one backend restores into another (bbolt to PostgreSQL and back): entries in members of
// at most chunkEntries entries or chunkBytes bytes, each record the recorded hash (32
// bytes), the length (4 bytes, big-endian) and the canonical entry bytes; the stored
// checkpoints as JSON lines.
const (
	chunkEntries      = 4096
	chunkBytes        = 8 << 20
	chunkCheckpoints  = 4096
	maxEntryBytes     = 16 << 20
	restoreBatch      = 1024
	restoreBatchBytes = 4 << 20
)

// storedCheckpoint is one line of a log/checkpoints-N.jsonl member.
type storedCheckpoint struct {
	Size uint64      `json:"size"`
	Root ledger.Hash `json:"root"`
	Note string      `json:"note"`
}

// WriteLog adds the entries [0, size) of st and its stored checkpoints of at most size
// entries to w, and returns the head they make. Entries below size never change, so the
// copy is consistent while other writers append beyond it.
func WriteLog(ctx context.Context, w *Writer, st ledger.Store, size uint64) (Head, error) {
	acc := ledger.NewAccumulator()
	var head Head
	var buf bytes.Buffer
	n, chunk := 0, 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		err := w.Add(fmt.Sprintf("log/entries-%06d", chunk), buf.Bytes())
		buf.Reset()
		n, chunk = 0, chunk+1
		return err
	}
	err := st.Entries(ctx, 0, size, func(r ledger.RawEntry) error {
		if r.Seq != acc.Size() {
			return fmt.Errorf("the store skips from %d to %d", acc.Size(), r.Seq)
		}
		acc.Add(r.Bytes, nil)
		head.LastHash = r.Hash
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(r.Bytes)))
		buf.Write(r.Hash[:])
		buf.Write(l[:])
		buf.Write(r.Bytes)
		if n++; n == chunkEntries || buf.Len() >= chunkBytes {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return Head{}, fmt.Errorf("copying the entries: %w", err)
	}
	if acc.Size() != size {
		return Head{}, fmt.Errorf("copying the entries: the store holds %d of the %d asked for", acc.Size(), size)
	}
	head.Size, head.Root = size, acc.Root()
	if err := writeCheckpoints(ctx, w, st, size); err != nil {
		return Head{}, err
	}
	return head, nil
}

func writeCheckpoints(ctx context.Context, w *Writer, st ledger.Store, size uint64) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	n, chunk := 0, 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		err := w.Add(fmt.Sprintf("log/checkpoints-%06d.jsonl", chunk), buf.Bytes())
		buf.Reset()
		n, chunk = 0, chunk+1
		return err
	}
	err := st.Checkpoints(ctx, func(c ledger.Checkpoint) error {
		if c.Size > size {
			return nil
		}
		if err := enc.Encode(storedCheckpoint{Size: c.Size, Root: c.Root, Note: string(c.Note)}); err != nil {
			return err
		}
		if n++; n == chunkCheckpoints {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("copying the stored checkpoints: %w", err)
	}
	return nil
}

// members lists the manifest's members with prefix, in order.
func members(m *Manifest, prefix string) []string {
	var out []string
	for _, f := range m.Files {
		if strings.HasPrefix(f.Name, prefix) {
			out = append(out, f.Name)
		}
	}
	return out
}

// RestoreLog appends the log extracted into dir (by Extract, listed in m) to dst, which
// must be empty, with the Merkle nodes each batch completes, then the stored
// checkpoints; and checks that the head it made is m's. Entries are written as they were
// sealed, never re-sealed: every hash, signature and proof stays what it was.
func RestoreLog(ctx context.Context, dst ledger.Store, dir string, m *Manifest) (Head, error) {
	h, err := dst.Head(ctx)
	if err != nil {
		return Head{}, fmt.Errorf("reading the target store's head: %w", err)
	}
	if h.Size != 0 {
		return Head{}, fmt.Errorf("the target store holds %d entries; a restore writes only into an empty one (目标存储非空)", h.Size)
	}
	r := &restorer{dst: dst, acc: ledger.NewAccumulator(), max: restoreBatchBytes}
	if bl, ok := dst.(ledger.BatchLimiter); ok {
		r.max = min(r.max, bl.MaxBatchBytes()/2)
	}
	for _, name := range members(m, "log/entries-") {
		if err := r.chunk(ctx, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			return Head{}, fmt.Errorf("restoring %s: %w", name, err)
		}
	}
	if err := r.flush(ctx); err != nil {
		return Head{}, fmt.Errorf("restoring the entries: %w", err)
	}
	got := Head{Size: r.acc.Size(), LastHash: r.last, Root: r.acc.Root()}
	if got != m.Head {
		return got, fmt.Errorf("the restored log ends at size %d, last hash %s, root %s; the manifest says %d, %s, %s",
			got.Size, got.LastHash, got.Root, m.Head.Size, m.Head.LastHash, m.Head.Root)
	}
	for _, name := range members(m, "log/checkpoints-") {
		if err := restoreCheckpoints(ctx, dst, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			return got, fmt.Errorf("restoring %s: %w", name, err)
		}
	}
	return got, nil
}

type restorer struct {
	dst   ledger.Store
	acc   *ledger.Accumulator
	last  ledger.Hash
	batch ledger.Batch
	bytes int
	max   int
}

// chunk reads one entries member and appends its entries in batches.
func (r *restorer) chunk(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for {
		var hdr [36]byte
		if _, err := io.ReadFull(br, hdr[:]); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("entry %d: %w", r.acc.Size(), err)
		}
		n := binary.BigEndian.Uint32(hdr[32:])
		if n > maxEntryBytes {
			return fmt.Errorf("entry %d claims %d bytes", r.acc.Size(), n)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return fmt.Errorf("entry %d: %w", r.acc.Size(), err)
		}
		var hash ledger.Hash
		copy(hash[:], hdr[:32])
		if err := r.add(ctx, hash, b); err != nil {
			return err
		}
	}
}

func (r *restorer) add(ctx context.Context, hash ledger.Hash, b []byte) error {
	seq := r.acc.Size()
	e, err := ledger.ParseEntry(b)
	if err != nil {
		return fmt.Errorf("entry %d: %w", seq, err)
	}
	if e.Seq != seq || e.Hash != hash {
		return fmt.Errorf("entry %d: it says seq %d, hash %s; recorded %s", seq, e.Seq, e.Hash, hash)
	}
	if seq > 0 && e.PrevHash != r.last {
		return fmt.Errorf("entry %d: prev_hash %s, the entry before is %s", seq, e.PrevHash, r.last)
	}
	if len(r.batch.Entries) > 0 && (len(r.batch.Entries) == restoreBatch || r.bytes+len(b)+ledger.BatchEntryOverhead > r.max) {
		if err := r.flush(ctx); err != nil {
			return err
		}
	}
	r.batch.Entries = append(r.batch.Entries, ledger.SealedEntry{Seq: seq, ID: e.Submission.ID, Stream: e.Submission.Stream,
		StreamVersion: e.StreamVersion, Hash: hash, Bytes: b})
	r.acc.Add(b, func(n ledger.Node) { r.batch.Nodes = append(r.batch.Nodes, n) })
	r.bytes += len(b) + ledger.BatchEntryOverhead
	r.last = hash
	return nil
}

func (r *restorer) flush(ctx context.Context) error {
	if len(r.batch.Entries) == 0 {
		return nil
	}
	first := r.batch.Entries[0].Seq
	if err := r.dst.Append(ctx, &r.batch); err != nil {
		return fmt.Errorf("appending entries %d-%d: %w", first, r.acc.Size()-1, err)
	}
	r.batch, r.bytes = ledger.Batch{}, 0
	return nil
}

func restoreCheckpoints(ctx context.Context, dst ledger.Store, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	for {
		var c storedCheckpoint
		if err := dec.Decode(&c); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := dst.PutCheckpoint(ctx, ledger.Checkpoint{Size: c.Size, Root: c.Root, Note: []byte(c.Note)}); err != nil {
			return fmt.Errorf("storing the checkpoint of size %d: %w", c.Size, err)
		}
	}
}
