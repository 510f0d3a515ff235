package readmodel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/aba-prefecture/dataledger/internal/atomicfile"
)

// DirStore keeps each snapshot as one file, DIR/NAME.snapshot, replaced atomically: the
// embedded default (DATA/readmodels). A reader never sees half a snapshot, and tools can
// read the directory while ledgerd writes it.
type DirStore struct{ dir string }

// OpenDir opens (creating) the snapshot directory.
func OpenDir(dir string) (*DirStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("read-model snapshots: %w", err)
	}
	return &DirStore{dir: dir}, nil
}

// nameRE is what a model name may be: it becomes a file name.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

func (d *DirStore) path(name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("read-model name %q: lower-case letters, digits, - and _", name)
	}
	return filepath.Join(d.dir, name+".snapshot"), nil
}

// Load implements Store.
func (d *DirStore) Load(_ context.Context, name string) (*Snapshot, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := readSnapshot(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if s.Name != name {
		return nil, fmt.Errorf("%s: %w: holds %q", p, ErrCorrupt, s.Name)
	}
	return s, nil
}

// Save implements Store (one process writes a directory: the furthest is the last).
func (d *DirStore) Save(_ context.Context, s *Snapshot) error {
	p, err := d.path(s.Name)
	if err != nil {
		return err
	}
	return atomicfile.WriteWith(p, 0o600, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		if err := writeSnapshot(bw, s); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// Drop implements Store.
func (d *DirStore) Drop(_ context.Context, name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// List implements Store.
func (d *DirStore) List(context.Context) ([]Info, error) {
	es, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range es {
		name, ok := strings.CutSuffix(e.Name(), ".snapshot")
		if !ok || !nameRE.MatchString(name) {
			continue
		}
		i, err := d.info(filepath.Join(d.dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (d *DirStore) info(p string) (Info, error) {
	f, err := os.Open(p)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	h, err := readHeader(bufio.NewReader(f))
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", p, err)
	}
	return Info{Name: h.Name, Fold: h.Fold, Position: h.Position, SavedAt: h.SavedAt, Bytes: h.Bytes}, nil
}

// Close implements Store.
func (d *DirStore) Close() error { return nil }
