package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
)

// DirOptions say which files of a data directory go into an archive.
type DirOptions struct {
	// Checkpoints: the published checkpoints (checkpoints/<size>.ckpt) of at most
	// MaxSize entries, the only ones the copied log covers, and checkpoints/latest as
	// the newest of those.
	Checkpoints bool
	MaxSize     uint64
	// PublicKeys: keys/*.pub, each checked to be exactly one public key.
	PublicKeys bool
	// PrivateKeys: keys/*.key (the ledger key, and the root key in single-operator
	// mode). Only when the operator asks: whoever opens the archive can then sign.
	PrivateKeys bool
	// Access: access/credentials.json (hashed tokens) and access/audit.jsonl (whole
	// lines only: ledgerd may be appending to it).
	Access bool
}

// AddDir adds the files of data directory dir that o selects; a member already in the
// archive (the same name from a snapshot) is kept and the file skipped. Missing
// directories and files are skipped: a front-end on PostgreSQL may have no access files.
func (w *Writer) AddDir(dir string, o DirOptions) error {
	if o.Checkpoints {
		if err := w.addCheckpoints(filepath.Join(dir, "checkpoints"), o.MaxSize); err != nil {
			return err
		}
	}
	if o.PublicKeys || o.PrivateKeys {
		if err := w.addKeys(filepath.Join(dir, "keys"), o); err != nil {
			return err
		}
	}
	if o.Access {
		if err := w.addFile(filepath.Join(dir, "access", "credentials.json"), "access/credentials.json", false); err != nil {
			return err
		}
		if err := w.addFile(filepath.Join(dir, "access", "audit.jsonl"), "access/audit.jsonl", true); err != nil {
			return err
		}
	}
	return nil
}

// Has reports whether the archive already holds member name.
func (w *Writer) Has(name string) bool {
	return slices.ContainsFunc(w.files, func(f File) bool { return f.Name == name })
}

func (w *Writer) addCheckpoints(dir string, maxSize uint64) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing published checkpoints: %w", err)
	}
	var sizes []uint64
	for _, e := range ents {
		s, ok := strings.CutSuffix(e.Name(), ".ckpt")
		n, err := strconv.ParseUint(s, 10, 64)
		if ok && err == nil && n <= maxSize && strconv.FormatUint(n, 10) == s {
			sizes = append(sizes, n)
		}
	}
	slices.Sort(sizes)
	var newest []byte
	for _, n := range sizes {
		name := "checkpoints/" + strconv.FormatUint(n, 10) + ".ckpt"
		b, err := os.ReadFile(filepath.Join(dir, strconv.FormatUint(n, 10)+".ckpt"))
		if err != nil {
			return fmt.Errorf("reading published checkpoint %d: %w", n, err)
		}
		newest = b
		if w.Has(name) {
			continue
		}
		if err := w.Add(name, b); err != nil {
			return err
		}
	}
	if newest != nil && !w.Has("checkpoints/latest") {
		return w.Add("checkpoints/latest", newest)
	}
	return nil
}

func (w *Writer) addKeys(dir string, o DirOptions) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing keys: %w", err)
	}
	for _, e := range ents {
		name := "keys/" + e.Name()
		pub, priv := strings.HasSuffix(name, ".pub"), strings.HasSuffix(name, ".key")
		if !e.Type().IsRegular() || !memberRE.MatchString(name) || w.Has(name) || pub && !o.PublicKeys || priv && !o.PrivateKeys {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("reading key %s: %w", e.Name(), err)
		}
		if pub {
			k, err := crypto.ParsePublicKeyPEM(b)
			if err != nil {
				return fmt.Errorf("%s is not one SM2 public key: %w", name, err)
			}
			b = crypto.MarshalPublicKeyPEM(k)
		}
		if err := w.Add(name, b); err != nil {
			return err
		}
	}
	return nil
}

// addFile adds one file if it exists; wholeLines keeps only up to its last newline, for
// a log another process appends to.
func (w *Writer) addFile(path, name string, wholeLines bool) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	size := fi.Size()
	if wholeLines {
		if size, err = lastNewline(f, size); err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return w.AddReader(name, size, io.NewSectionReader(f, 0, size))
}

// lastNewline is the length of f's first size bytes up to and including the last '\n'.
func lastNewline(f io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// PublishedCheckpoints reads the checkpoints an extracted archive carries (what
// verification of the restored log checks it against).
func PublishedCheckpoints(dir string, m *Manifest) ([][]byte, error) {
	var out [][]byte
	for _, name := range members(m, "checkpoints/") {
		if name == "checkpoints/latest" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// RemoveLog deletes the log members from an extracted archive once they are restored,
// leaving the data directory's own files (checkpoints, keys, access).
func RemoveLog(dir string) error {
	return os.RemoveAll(filepath.Join(dir, "log"))
}
