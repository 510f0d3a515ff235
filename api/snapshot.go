package api

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
)

// GET /v1/snapshot: a consistent copy of a running ledger's embedded store, with what the
// offline tools need beside it, so that a security officer can verify, report, prove and
// export from a copy without stopping ledgerd (the store file is locked while it runs).
//
// The body is a tar stream (application/x-tar), in this order:
//
//	ledger.db               the bbolt store as of one read transaction (mode 0600)
//	checkpoints/<size>.ckpt every checkpoint published outside the store, read before
//	                        the copy's transaction began, so the copy covers each one
//	checkpoints/latest      the newest of them (what DirPublisher writes)
//	keys/ledger.pub         PKIX PEM of the ledger key named by the genesis entry
//	keys/root.pub           PKIX PEM of the root key named by the genesis entry
//	snapshot.json           SnapshotManifest, last: a stream without it was cut short
//
// No private key is ever part of it: key files are marshalled from the public keys the
// log registers, not read from the data directory. docs/operations.md, "Investigating a
// running ledger", is the operator's side.

// The snapshot stream's layout and member names, as the client reads them.
const (
	SnapshotFormat       = client.SnapshotFormat
	SnapshotStoreFile    = client.SnapshotStoreFile
	SnapshotManifestFile = client.SnapshotManifestFile
)

// Snapshotter is the store capability GET /v1/snapshot needs: a consistent copy of the
// whole store, taken while appends continue. boltstore.Store has it; stores replicated by
// their own database (PostgreSQL, EventStoreDB) do not, and are read in place with
// ledgerctl --store instead.
//
// Snapshot calls begin inside its read transaction with the copy's length in bytes and
// its head, then writes exactly that many bytes to the writer begin returns.
type Snapshotter interface {
	Snapshot(ctx context.Context, begin func(size int64, head ledger.Head) (io.Writer, error)) error
}

// PublishedCheckpoints lists the checkpoints published outside the store, in increasing
// size order (ledger.DirPublisher has it).
type PublishedCheckpoints interface {
	All() ([][]byte, error)
}

// SnapshotManifest is the client package's message.
type SnapshotManifest = client.SnapshotManifest

// snapshotWriteTimeout bounds each write of a snapshot. The store's read transaction is
// open until the last byte leaves, and bbolt cannot grow its file under an open read
// transaction: a client that stops reading must not stall appends for long.
const snapshotWriteTimeout = 30 * time.Second

// streamRoutes answer with a body too large to hold in memory until the read is audited:
// the access middleware records the read when the handler sends its status, before the
// first byte of the body (auditedStream).
var streamRoutes = map[string]bool{"/v1/snapshot": true, "/v1/backups": true}

var errNoSnapshot = problem(ErrNotSupported, "snapshot_unsupported", "",
	"this ledger's store cannot serve a snapshot; it is a database server: read it in place with ledgerctl --store",
	"此账本的存储不支持快照；它是数据库服务，请用 ledgerctl --store 直接读取")

func (s *Server) getSnapshot(w http.ResponseWriter, r *http.Request) {
	snap, ok := s.l.Store().(Snapshotter)
	if !ok {
		s.refuse(w, r, errNoSnapshot)
		return
	}
	ctx := r.Context()
	// Read before the copy's transaction begins: the ledger stores a checkpoint before it
	// publishes it, so every checkpoint listed now is covered by the copy. One published
	// later could be beyond it and would read as truncation.
	var published [][]byte
	if s.cfg.Published != nil {
		var err error
		if published, err = s.cfg.Published.All(); err != nil {
			s.refuse(w, r, fmt.Errorf("listing published checkpoints: %w", err))
			return
		}
	}
	keys, err := genesisKeys(ctx, s.l.Store())
	if err != nil {
		s.refuse(w, r, err)
		return
	}
	out := &deadlineWriter{w: w, rc: http.NewResponseController(w)}
	tw := tar.NewWriter(out)
	m := SnapshotManifest{Format: SnapshotFormat, Origin: s.l.Origin()}
	started := false
	err = snap.Snapshot(ctx, func(size int64, head ledger.Head) (io.Writer, error) {
		now := time.Now().UTC()
		m.Size, m.LastHash, m.StoreBytes, m.TakenAt = head.Size, head.LastHash, size, now.Format(time.RFC3339Nano)
		h := w.Header()
		h.Set("Content-Type", "application/x-tar")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="ledger-snapshot-%d.tar"`, head.Size))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Ledger-Size", strconv.FormatUint(head.Size, 10))
		w.WriteHeader(http.StatusOK)
		started = true
		if err := tw.WriteHeader(fileHeader(SnapshotStoreFile, size, 0o600, now)); err != nil {
			return nil, err
		}
		return tw, nil
	})
	if err == nil {
		err = writeSnapshotTail(tw, &m, published, keys)
	}
	if err == nil {
		err = tw.Close()
	}
	switch {
	case err == nil:
		s.log.Info("snapshot served", "size", m.Size, "store_bytes", m.StoreBytes, "checkpoints", len(m.Checkpoints), "remote", remoteIP(r))
	case started:
		// The status is sent; the client sees a stream without snapshot.json and refuses it.
		s.log.Warn("snapshot cut short", "size", m.Size, "remote", remoteIP(r), "err", err)
	default:
		s.refuse(w, r, err)
	}
}

// writeSnapshotTail writes the published checkpoints, the public keys and the manifest.
func writeSnapshotTail(tw *tar.Writer, m *SnapshotManifest, published [][]byte, keys map[string][]byte) error {
	now, _ := time.Parse(time.RFC3339Nano, m.TakenAt)
	put := func(name string, b []byte) error {
		if err := tw.WriteHeader(fileHeader(name, int64(len(b)), 0o644, now)); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	m.Checkpoints, m.Keys = []string{}, []string{}
	var newest []byte
	var newestSize uint64
	for i, note := range published {
		name := fmt.Sprintf("unreadable-%d.ckpt", i) // kept: verify reports it, as it would on the server
		if size, ok := noteSize(note); ok {
			name = strconv.FormatUint(size, 10) + ".ckpt"
			if newest == nil || size >= newestSize {
				newest, newestSize = note, size
			}
		}
		if err := put("checkpoints/"+name, note); err != nil {
			return err
		}
		m.Checkpoints = append(m.Checkpoints, name)
	}
	if newest != nil {
		if err := put("checkpoints/latest", newest); err != nil {
			return err
		}
		m.Checkpoints = append(m.Checkpoints, "latest")
	}
	names := make([]string, 0, len(keys))
	for n := range keys {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := put("keys/"+n, keys[n]); err != nil {
			return err
		}
		m.Keys = append(m.Keys, n)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return put(SnapshotManifestFile, append(b, '\n'))
}

// noteSize reads the tree size of a signed checkpoint note without verifying it.
func noteSize(note []byte) (uint64, bool) {
	body, _, ok := strings.Cut(string(note), "\n\n")
	if !ok {
		return 0, false
	}
	c, err := ledger.ParseCheckpointBody(body + "\n")
	return c.Size, err == nil
}

// genesisKeys are the ledger and root keys the genesis entry names, as PKIX PEM: the keys
// ledgerctl verify --ledger-pub/--root-pub pin. Built from public keys, never read from
// files, so a private key cannot slip in.
func genesisKeys(ctx context.Context, st ledger.Store) (map[string][]byte, error) {
	reg, err := ledger.LoadRegistry(ctx, st, 1)
	if err != nil {
		return nil, fmt.Errorf("reading the genesis entry: %w", err)
	}
	out := map[string][]byte{}
	for name, id := range map[string]string{"ledger.pub": reg.LedgerKey, "root.pub": reg.RootKey} {
		if k, ok := reg.Key(id); ok && k.Key != nil {
			out[name] = crypto.MarshalPublicKeyPEM(k.Key)
		}
	}
	return out, nil
}

func fileHeader(name string, size int64, mode int64, t time.Time) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: mode, ModTime: t, Format: tar.FormatPAX}
}

// deadlineWriter gives each write of a long stream its own deadline, replacing the
// server's whole-response WriteTimeout, which a large store would exceed.
type deadlineWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	// Not every ResponseWriter supports deadlines (tests' recorders); then there is none.
	if err := d.rc.SetWriteDeadline(time.Now().Add(snapshotWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	return d.w.Write(p)
}

// auditedStream is how the access middleware audits a streamRoutes read: the record is
// written when the handler sends its status, and only if that succeeds do the status
// and body go out; otherwise the client gets the 503 of an audit failure and the
// handler's writes fail. Headers are held until then, so a refused answer carries none
// of them.
type auditedStream struct {
	w      http.ResponseWriter
	header http.Header
	audit  func(status int) bool // records the read; on failure it has answered w
	status int
	failed bool
}

var errNotAudited = errors.New("the read could not be audited; nothing is served")

func (a *auditedStream) Header() http.Header { return a.header }

func (a *auditedStream) WriteHeader(code int) {
	if a.status != 0 {
		return
	}
	a.status = code
	if !a.audit(code) {
		a.failed = true
		return
	}
	h := a.w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	a.w.WriteHeader(code)
}

func (a *auditedStream) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.WriteHeader(http.StatusOK)
	}
	if a.failed {
		return 0, errNotAudited
	}
	return a.w.Write(p)
}

// finish audits a handler that wrote nothing at all (a bare 200).
func (a *auditedStream) finish() {
	if a.status == 0 {
		a.WriteHeader(http.StatusOK)
	}
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flushes).
func (a *auditedStream) Unwrap() http.ResponseWriter { return a.w }
