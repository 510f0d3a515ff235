package backup

import (
	"archive/tar"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Format names the archive: the clear header line and the manifest both carry it.
const Format = "aba-ledger-backup/v1"

// ManifestFile is the archive's last member: an archive without it was cut short.
const ManifestFile = "manifest.json"

// Manifest says what an archive holds and what the log's head was, so that a restore
// can prove it put back exactly that: every member's size and SM3 digest, and the head
// (size, last entry hash, Merkle root) the restored store must show.
type Manifest struct {
	Format    string `json:"format"`
	CreatedAt string `json:"created_at"`
	Origin    string `json:"origin"`
	// Source is the kind of store copied (bolt, postgres): informative; an archive
	// restores into either.
	Source string `json:"source"`
	Head   Head   `json:"head"`
	// RecordSeq is the position of the ledger.backup_taken.v1 entry that records this
	// backup; it is inside the copied log.
	RecordSeq   uint64 `json:"record_seq"`
	PrivateKeys bool   `json:"private_keys"`
	Files       []File `json:"files"`
}

// Head is the log's end as the backup copied it.
type Head struct {
	Size     uint64      `json:"size"`
	LastHash ledger.Hash `json:"last_hash"`
	Root     ledger.Hash `json:"root"`
}

// File is one member of the archive.
type File struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	SM3  string `json:"sm3"`
}

// memberRE is every name an archive may hold besides the manifest: nothing else is
// written on extraction, so a hostile archive cannot place a file anywhere else.
var memberRE = regexp.MustCompile(`^(log/entries-[0-9]{6}|log/checkpoints-[0-9]{6}\.jsonl|checkpoints/([0-9]+\.ckpt|latest)|keys/[a-z0-9_-]+\.(pub|key)|access/(credentials\.json|audit\.jsonl))$`)

// privateKeyRE names the members that hold private keys, written with mode 0600.
var privateKeyRE = regexp.MustCompile(`^keys/.*\.key$|^access/`)

// Bounds: the manifest is read into memory; members are streamed to disk.
const (
	maxManifestBase      = 1 << 20
	maxManifestPerMember = 512
)

// Writer writes one archive: members as they are added, each hashed with SM3 on the way,
// then the manifest listing them. Nothing is in clear after the header line.
type Writer struct {
	enc   *encWriter
	tw    *tar.Writer
	files []File
	now   time.Time
}

// NewWriter starts an archive on w, encrypted under a key derived from pass.
func NewWriter(w io.Writer, pass []byte) (*Writer, error) {
	enc, err := newEncWriter(w, pass)
	if err != nil {
		return nil, err
	}
	return &Writer{enc: enc, tw: tar.NewWriter(enc), now: time.Now().UTC()}, nil
}

// Add writes a member held in memory.
func (w *Writer) Add(name string, b []byte) error {
	return w.AddReader(name, int64(len(b)), bytes.NewReader(b))
}

// AddReader writes a member of exactly size bytes read from r.
func (w *Writer) AddReader(name string, size int64, r io.Reader) error {
	if !memberRE.MatchString(name) {
		return fmt.Errorf("backup member %q is not a name the format allows", name)
	}
	if slices.ContainsFunc(w.files, func(f File) bool { return f.Name == name }) {
		return fmt.Errorf("backup member %q added twice", name)
	}
	mode := int64(0o644)
	if privateKeyRE.MatchString(name) {
		mode = 0o600
	}
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: mode, ModTime: w.now, Format: tar.FormatPAX}
	if err := w.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("writing member %s: %w", name, err)
	}
	d := crypto.NewSM3()
	n, err := io.Copy(io.MultiWriter(w.tw, d), io.LimitReader(r, size))
	if err != nil {
		return fmt.Errorf("writing member %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("member %s: %d bytes read, %d announced", name, n, size)
	}
	w.files = append(w.files, File{Name: name, Size: size, SM3: hex.EncodeToString(d.Sum(nil))})
	return nil
}

// Close writes the manifest (m with Format, CreatedAt and Files filled in) and the last
// frame. m is returned as written.
func (w *Writer) Close(m Manifest) (*Manifest, error) {
	m.Format, m.CreatedAt, m.Files = Format, w.now.Format(time.RFC3339Nano), w.files
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	h := &tar.Header{Typeflag: tar.TypeReg, Name: ManifestFile, Size: int64(len(b) + 1), Mode: 0o644, ModTime: w.now, Format: tar.FormatPAX}
	if err := w.tw.WriteHeader(h); err != nil {
		return nil, fmt.Errorf("writing the manifest: %w", err)
	}
	if _, err := w.tw.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("writing the manifest: %w", err)
	}
	if err := w.tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the archive: %w", err)
	}
	if err := w.enc.Close(); err != nil {
		return nil, fmt.Errorf("closing the archive: %w", err)
	}
	return &m, nil
}

// Extract decrypts the archive read from r with pass into dir (which must exist and be
// empty) and returns its manifest once every member has been checked against it: the
// names it allows, each member's size and SM3 digest, none missing and none extra. On
// any error what was written to dir is the caller's to remove.
func Extract(r io.Reader, pass []byte, dir string) (*Manifest, error) {
	dec, err := newDecReader(r, pass)
	if err != nil {
		return nil, err
	}
	m, err := extractTar(dec, dir)
	if err != nil {
		return nil, err
	}
	// The tar ends with its manifest; the frames must end there too.
	if _, err := io.Copy(io.Discard, dec); err != nil {
		return nil, err
	}
	return m, nil
}

// extractTar is Extract on the decrypted stream.
func extractTar(r io.Reader, dir string) (*Manifest, error) {
	tr := tar.NewReader(r)
	got := map[string]File{}
	var m *Manifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the archive: %w", err)
		}
		if m != nil {
			return nil, fmt.Errorf("member %q after %s", h.Name, ManifestFile)
		}
		if err := checkHeader(h); err != nil {
			return nil, err
		}
		if h.Name == ManifestFile {
			if m, err = readManifest(tr, int64(maxManifestBase+len(got)*maxManifestPerMember)); err != nil {
				return nil, err
			}
			continue
		}
		if !memberRE.MatchString(h.Name) {
			return nil, fmt.Errorf("unexpected member %q in the archive", h.Name)
		}
		if _, dup := got[h.Name]; dup {
			return nil, fmt.Errorf("member %q appears twice", h.Name)
		}
		f, err := extractMember(tr, dir, h.Name)
		if err != nil {
			return nil, err
		}
		got[h.Name] = f
	}
	if m == nil {
		return nil, fmt.Errorf("the archive ends without %s: it was cut short (备份不完整)", ManifestFile)
	}
	return m, checkFiles(m, got)
}

func checkHeader(h *tar.Header) error {
	if h.Typeflag != tar.TypeReg {
		return fmt.Errorf("member %q is not a regular file", h.Name)
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return fmt.Errorf("member %q is a sparse file", h.Name)
		}
	}
	return nil
}

// ParseManifest decodes a manifest strictly: no unknown members, no trailing data, this
// format only.
func ParseManifest(b []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: data after the manifest", ManifestFile)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%s: format %q, this ledgerctl reads %s", ManifestFile, m.Format, Format)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !memberRE.MatchString(f.Name) || seen[f.Name] || f.Size < 0 || len(f.SM3) != 64 {
			return nil, fmt.Errorf("%s: bad file entry %q", ManifestFile, f.Name)
		}
		seen[f.Name] = true
	}
	return &m, nil
}

func readManifest(r io.Reader, limit int64) (*Manifest, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ManifestFile, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", ManifestFile, limit)
	}
	return ParseManifest(b)
}

// extractMember streams one member to dir/name, hashing it, fsynced.
func extractMember(r io.Reader, dir, name string) (File, error) {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return File{}, fmt.Errorf("extracting %s: %w", name, err)
	}
	mode := os.FileMode(0o644)
	if privateKeyRE.MatchString(name) {
		mode = 0o600
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return File{}, fmt.Errorf("extracting %s: %w", name, err)
	}
	d := crypto.NewSM3()
	n, err := io.Copy(io.MultiWriter(out, d), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, fmt.Errorf("extracting %s: %w", name, err)
	}
	return File{Name: name, Size: n, SM3: hex.EncodeToString(d.Sum(nil))}, nil
}

// checkFiles holds what was extracted to the manifest, member by member.
func checkFiles(m *Manifest, got map[string]File) error {
	for _, f := range m.Files {
		g, ok := got[f.Name]
		switch {
		case !ok:
			return fmt.Errorf("%s lists %s, which the archive does not hold", ManifestFile, f.Name)
		case g.Size != f.Size || g.SM3 != f.SM3:
			return fmt.Errorf("%s: %d bytes, SM3 %s; the manifest says %d bytes, SM3 %s (备份内容与清单不符)", f.Name, g.Size, g.SM3, f.Size, f.SM3)
		}
		delete(got, f.Name)
	}
	for name := range got {
		return fmt.Errorf("member %s is not in %s", name, ManifestFile)
	}
	return nil
}
