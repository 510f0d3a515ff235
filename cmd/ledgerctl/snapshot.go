package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/internal/atomicfile"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/spf13/cobra"
)

func init() { register(newSnapshotCmd) }

// snapshotResult is what `snapshot --json` prints.
type snapshotResult struct {
	Dir         string `json:"dir"`
	Entries     uint64 `json:"entries"`
	StoreBytes  int64  `json:"store_bytes"`
	Checkpoints int    `json:"published_checkpoints"`
	TakenAt     string `json:"taken_at"`
	Origin      string `json:"origin"`
}

func newSnapshotCmd() *cobra.Command {
	var (
		server, out, token string
		asJSON             bool
	)
	c := &cobra.Command{
		Use:   "snapshot --server URL --out DIR [--token T]",
		Short: "Copy a running ledger into a data directory for offline tools 获取运行中账本的快照",
		Long: `Fetch GET /v1/snapshot from a running ledgerd on the embedded store and write it as a
data directory: ledger.db (a consistent copy, taken in one read transaction while the
ledger keeps appending), checkpoints/ (those published outside the store), keys/*.pub (the
genesis ledger and root public keys) and snapshot.json (what was copied, when). Then
"ledgerctl verify --data DIR", "report KIND --data DIR" and "prove --data DIR" work on it
while the ledger runs.

The copy is the server's word until verified: run verify on it, pinning the keys you hold
(--ledger-pub, --root-pub), not the ones in DIR/keys. Exporting evidence bundles is a
recorded act signed by the ledger key and is refused on a snapshot (docs/operations.md).

Needs a token of a role that reads every entry (authority, security_officer, reviewer):
--token or LEDGER_TOKEN. DIR must not exist or be empty; the directory appears only
once complete.

Exit 0: written. Exit 2: usage, I/O or HTTP error (one line), nothing left behind.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" || out == "" {
				return usage("snapshot: --server URL and --out DIR are required (需要 --server 与 --out 参数)")
			}
			if err := checkSnapshotTarget(out); err != nil {
				return usage("snapshot: %v", err)
			}
			m, err := fetchSnapshot(cmd.Context(), server, token, out)
			if err != nil {
				return usage("snapshot: %v", err)
			}
			res := snapshotResult{Dir: out, Entries: m.Size, StoreBytes: m.StoreBytes, TakenAt: m.TakenAt, Origin: m.Origin}
			for _, n := range m.Checkpoints {
				if n != "latest" {
					res.Checkpoints++
				}
			}
			return writeOut(cmd, asJSON, res, func(w io.Writer) {
				fmt.Fprintf(w, "snapshot 快照: %s\n", out)
				fmt.Fprintf(w, "entries 记录数:     %d (%d bytes)\n", res.Entries, res.StoreBytes)
				fmt.Fprintf(w, "checkpoints 检查点: %d published 已发布\n", res.Checkpoints)
				fmt.Fprintf(w, "taken at 时间:      %s\n", res.TakenAt)
				fmt.Fprintf(w, "next 下一步:        ledgerctl verify --data %s --ledger-pub YOUR-COPY.pub\n", out)
			})
		},
	}
	f := c.Flags()
	f.StringVar(&server, "server", "", "ledgerd base URL, e.g. http://127.0.0.1:8080")
	f.StringVar(&out, "out", "", "data directory to write (must not exist, or be empty)")
	f.StringVar(&token, "token", "", "bearer token of a role that reads every entry (default $LEDGER_TOKEN)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on standard output")
	return c
}

// checkSnapshotTarget refuses a directory that holds anything: above all an existing
// store, which a snapshot must never replace.
func checkSnapshotTarget(out string) error {
	if datadir.Exists(out) {
		return fmt.Errorf("%s already holds a ledger; refusing to overwrite it (目录中已有账本，拒绝覆盖)", out)
	}
	ents, err := os.ReadDir(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(ents) > 0:
		return fmt.Errorf("%s is not empty; refusing to write into it (目录非空，拒绝写入)", out)
	}
	if fi, err := os.Stat(filepath.Dir(filepath.Clean(out))); err != nil || !fi.IsDir() {
		return fmt.Errorf("directory %s does not exist (目录不存在)", filepath.Dir(filepath.Clean(out)))
	}
	return nil
}

// isSnapshot reports whether dir was written by ledgerctl snapshot: a copy, not a ledger
// that may record anything.
func isSnapshot(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, client.SnapshotManifestFile))
	return err == nil
}

// fetchSnapshot streams GET /v1/snapshot into a temporary directory beside out and renames
// it into place once the manifest has arrived and matches what was written.
func fetchSnapshot(ctx context.Context, server, token, out string) (*client.SnapshotManifest, error) {
	body, err := ledgerd(server, token).Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", server, err)
	}
	defer body.Close()
	clean := filepath.Clean(out)
	tmp, err := os.MkdirTemp(filepath.Dir(clean), "."+filepath.Base(clean)+".tmp-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	m, err := unpackSnapshot(body, tmp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", server, err)
	}
	if err := os.Chmod(tmp, 0o700); err != nil {
		return nil, err
	}
	if err := os.Remove(clean); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err // not empty after all: leave it alone
	}
	if err := os.Rename(tmp, clean); err != nil {
		return nil, err
	}
	return m, atomicfile.SyncDir(filepath.Dir(clean))
}

// checkpointNameRE and keyNameRE are every name a snapshot stream may hold besides ledger.db and snapshot.json:
// nothing else is written, so a hostile stream cannot place a file anywhere else.
var (
	checkpointNameRE = regexp.MustCompile(`^checkpoints/([0-9]+\.ckpt|latest|unreadable-[0-9]+\.ckpt)$`)
	keyNameRE        = regexp.MustCompile(`^keys/[a-z0-9_-]+\.pub$`)
)

// Bounds on the members read into memory. The store is not bounded here: it is written
// as it arrives (never decompressed, never sparse), so it takes as many bytes on disk as
// the server sent, and its length must then match the manifest.
const (
	// maxKeyMember: a PEM SM2 public key is under 200 bytes.
	maxKeyMember = 16 << 10
	// maxCheckpointMember: a signed checkpoint note with its witnesses' cosignatures
	// (witness requests are bounded at 64 KiB).
	maxCheckpointMember = 64 << 10
	// maxManifestBase and maxManifestPerMember bound snapshot.json, which lists every
	// member before it (about 30 bytes each): it grows with the number of published
	// checkpoints (one a second under load), so its bound does too, by what was received.
	maxManifestBase      = 64 << 10
	maxManifestPerMember = 256
)

// unpackSnapshot writes the members of a snapshot stream into dir and returns its
// manifest, refusing unknown names, key files that are not public keys, a store whose
// length disagrees with the manifest, and a stream without a manifest (cut short).
func unpackSnapshot(r io.Reader, dir string) (*client.SnapshotManifest, error) {
	tr := tar.NewReader(r)
	var m *client.SnapshotManifest
	var storeBytes int64 = -1
	members := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the snapshot stream, cut short? (传输中断): %w", err)
		}
		if m != nil {
			return nil, fmt.Errorf("member %q after %s", h.Name, client.SnapshotManifestFile)
		}
		members++
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("member %q is not a regular file", h.Name)
		}
		// A PAX sparse member reads back as holes of zeros the stream does not carry:
		// a hostile or broken server could make a few bytes unpack into terabytes.
		for k := range h.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return nil, fmt.Errorf("member %q is a sparse file", h.Name)
			}
		}
		switch {
		case h.Name == client.SnapshotStoreFile:
			if storeBytes >= 0 {
				return nil, fmt.Errorf("two %s members", h.Name)
			}
			if storeBytes, err = writeMember(dir, h.Name, tr, 0o600); errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("the stream was cut short in %s (快照不完整): %w", h.Name, err)
			} else if err != nil {
				return nil, err
			}
		case h.Name == client.SnapshotManifestFile:
			b, err := readMember(tr, h.Name, maxManifestBase+int64(members)*maxManifestPerMember)
			if err != nil {
				return nil, err
			}
			m = &client.SnapshotManifest{}
			if err := json.Unmarshal(b, m); err != nil {
				return nil, fmt.Errorf("%s: %w", h.Name, err)
			}
			if m.Format != client.SnapshotFormat {
				return nil, fmt.Errorf("snapshot format %q, this ledgerctl reads %s", m.Format, client.SnapshotFormat)
			}
			if err := writeFile(filepath.Join(dir, h.Name), b, 0o644); err != nil {
				return nil, err
			}
		case checkpointNameRE.MatchString(h.Name):
			b, err := readMember(tr, h.Name, maxCheckpointMember)
			if err != nil {
				return nil, err
			}
			if err := writeFile(filepath.Join(dir, filepath.FromSlash(h.Name)), b, 0o644); err != nil {
				return nil, err
			}
		case keyNameRE.MatchString(h.Name):
			b, err := readMember(tr, h.Name, maxKeyMember)
			if err != nil {
				return nil, err
			}
			// Only public keys are ever written: a member that is not exactly one public
			// key (above all, one that carries a private key) fails the whole snapshot,
			// and what is written is the key re-encoded, not the bytes the server sent.
			k, err := crypto.ParsePublicKeyPEM(b)
			if err != nil {
				return nil, fmt.Errorf("%s is not one SM2 public key, refusing the snapshot: %w", h.Name, err)
			}
			if err := writeFile(filepath.Join(dir, filepath.FromSlash(h.Name)), crypto.MarshalPublicKeyPEM(k), 0o644); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unexpected member %q in the snapshot stream", h.Name)
		}
	}
	switch {
	case m == nil:
		return nil, fmt.Errorf("the stream ended without %s: it was cut short (快照不完整)", client.SnapshotManifestFile)
	case storeBytes < 0:
		return nil, fmt.Errorf("the stream holds no %s", client.SnapshotStoreFile)
	case storeBytes != m.StoreBytes:
		return nil, fmt.Errorf("%s is %d bytes, the manifest says %d", client.SnapshotStoreFile, storeBytes, m.StoreBytes)
	}
	return m, nil
}

// readMember reads a small member whole, refusing one beyond limit bytes.
func readMember(r io.Reader, name string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}

// writeMember copies one member to dir/name (slash-separated), fsynced.
func writeMember(dir, name string, r io.Reader, mode os.FileMode) (int64, error) {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", name, err)
	}
	return n, nil
}

func writeFile(p string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	_, err := writeMember(filepath.Dir(p), filepath.Base(p), bytes.NewReader(b), mode)
	return err
}
