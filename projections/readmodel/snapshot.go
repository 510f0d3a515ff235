package readmodel

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Snapshot is a read model's state as it stood after Position entries: what a Store
// keeps, so that a restart folds only what came after.
type Snapshot struct {
	Name string
	// Fold identifies the code that wrote State (FoldIdentity): a snapshot written by
	// other fold code is never read back, since the same bytes may mean another state.
	Fold     string
	Position uint64
	// LastHash is the hash of entry Position-1: a snapshot of another ledger (a restored
	// or replaced store) is recognised and rebuilt rather than folded onto.
	LastHash ledger.Hash
	SavedAt  time.Time
	State    []byte
	// View is the model's report as of the day it was saved, for stores that keep one
	// beside the state (KeepsViews); nil otherwise. It is not read back.
	View *report.Report
}

// Info is what is known about a stored snapshot without reading its state.
type Info struct {
	Name     string    `json:"name"`
	Fold     string    `json:"fold"`
	Position uint64    `json:"position"`
	SavedAt  time.Time `json:"saved_at"`
	Bytes    int64     `json:"bytes"`
}

// Store keeps read-model snapshots: files beside the embedded store (DirStore), or
// tables in the ledger's PostgreSQL database (PGStore).
type Store interface {
	// Load returns the stored snapshot of name, or nil without error when there is none.
	Load(ctx context.Context, name string) (*Snapshot, error)
	// Save replaces name's snapshot with s. A store shared by several processes keeps
	// the furthest one: a snapshot behind the stored position is not written.
	Save(ctx context.Context, s *Snapshot) error
	// Drop forgets name's snapshot (a rebuild starts from zero).
	Drop(ctx context.Context, name string) error
	// List describes the stored snapshots.
	List(ctx context.Context) ([]Info, error)
	Close() error
}

// ErrCorrupt says a stored snapshot cannot be read back as it was written: a torn or
// damaged file, or a row changed by hand. The model is rebuilt from zero.
var ErrCorrupt = errors.New("read-model snapshot damaged")

// snapshotMagic opens every snapshot file; the version is the file layout's, not the
// state's (Fold says which code wrote that).
const snapshotMagic = "aba-ledger-readmodel/v1\n"

// header is the JSON line after the magic: everything but the state, and the state's
// length and SM3 digest, so that a torn or altered file is refused, not misread.
type header struct {
	Name     string    `json:"name"`
	Fold     string    `json:"fold"`
	Position uint64    `json:"position"`
	LastHash string    `json:"last_hash"`
	SavedAt  time.Time `json:"saved_at"`
	Bytes    int64     `json:"state_bytes"`
	SM3      string    `json:"state_sm3"`
}

// writeSnapshot writes s in the file layout: magic, header line, state.
func writeSnapshot(w io.Writer, s *Snapshot) error {
	sum := crypto.SM3(s.State)
	h, err := json.Marshal(header{Name: s.Name, Fold: s.Fold, Position: s.Position, LastHash: hex.EncodeToString(s.LastHash[:]),
		SavedAt: s.SavedAt.UTC(), Bytes: int64(len(s.State)), SM3: hex.EncodeToString(sum[:])})
	if err != nil {
		return err
	}
	for _, b := range [][]byte{[]byte(snapshotMagic), h, {'\n'}, s.State} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// readHeader reads the magic and the header line.
func readHeader(r *bufio.Reader) (*header, error) {
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != snapshotMagic {
		return nil, fmt.Errorf("%w: not a read-model snapshot", ErrCorrupt)
	}
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	var h header
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if h.Bytes < 0 || h.Bytes > maxState {
		return nil, fmt.Errorf("%w: state of %d bytes", ErrCorrupt, h.Bytes)
	}
	return &h, nil
}

// maxState bounds what a header may announce (a damaged length must not allocate
// without limit); 4 GiB is far above any model of a 100M-entry ledger.
const maxState = 4 << 30

// readSnapshot reads a snapshot file's content and checks it.
func readSnapshot(r io.Reader) (*Snapshot, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	h, err := readHeader(br)
	if err != nil {
		return nil, err
	}
	state := make([]byte, h.Bytes)
	if _, err := io.ReadFull(br, state); err != nil {
		return nil, fmt.Errorf("%w: state cut short: %v", ErrCorrupt, err)
	}
	if n, _ := br.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("%w: bytes after the state", ErrCorrupt)
	}
	if sum := crypto.SM3(state); hex.EncodeToString(sum[:]) != h.SM3 {
		return nil, fmt.Errorf("%w: state digest does not match", ErrCorrupt)
	}
	s := &Snapshot{Name: h.Name, Fold: h.Fold, Position: h.Position, SavedAt: h.SavedAt, State: state}
	if b, err := hex.DecodeString(h.LastHash); err != nil || len(b) != len(s.LastHash) {
		return nil, fmt.Errorf("%w: last_hash", ErrCorrupt)
	} else {
		copy(s.LastHash[:], b)
	}
	return s, nil
}
