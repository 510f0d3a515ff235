package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/internal/pgmigrate"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the LISTEN/NOTIFY channel on which every committed append announces the new
// log size (the payload, in decimal).
const Channel = "ledger_appended"

// Component is this package's name in schema_migrations.
const Component = "ledger"

// Options tune Open. Zero values take the documented defaults; the connection string's
// own parameters (ledger_lease=, ledger_lock_wait=) fill in what is zero here.
type Options struct {
	// MaxConns caps the pool (default 8). A ledger needs few: the sequencer uses one at a
	// time, readers the rest.
	MaxConns int32
	// Logger receives warnings about the server's durability settings (default
	// slog.Default()).
	Logger *slog.Logger
	// Lease bounds how long one writer keeps the head lock without talking to the server
	// (default DefaultLease). The lock session runs with idle_in_transaction_session_timeout
	// = Lease, so the server ends the session, and the lock with it, of a holder that is
	// paused (SIGSTOP, a long GC pause, a frozen VM) or cut off; a holder that has held the
	// lock longer appends without it. TCP keepalives on every session (after Lease of
	// silence, then every Lease/3, three probes) find a vanished peer in seconds, not the
	// kernel's two hours. See lock.go.
	Lease time.Duration
	// LockWait is how long a writer queues for the head lock before it stops waiting
	// behind that holder (default 3/2 of Lease, long enough for the server to end a paused
	// holder's session first). A wait that times out moves this writer to the head row's
	// lock until the advisory lock is free again, so a stuck holder costs each writer one
	// wait, not one per batch.
	LockWait time.Duration
}

// DefaultLease is the default Options.Lease: long beyond any healthy holder's critical
// section (milliseconds), short enough that a stalled one stops the others for seconds.
const DefaultLease = 2 * time.Second

// Connection-string parameters of this package, removed before the rest reaches pgx.
const (
	paramLease    = "ledger_lease"
	paramLockWait = "ledger_lock_wait"
)

// Store is a ledger.Store on a PostgreSQL database. All methods are safe for concurrent
// use, and any number of Stores in any number of processes may share one database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	lease    time.Duration // Options.Lease
	lockWait time.Duration // Options.LockWait

	lockMu   sync.Mutex // held from LockHead to its unlock (see lock.go)
	connMu   sync.Mutex // guards the fields below
	lockConn *pgx.Conn  // the session that holds the head lock
	inTx     bool       // lockConn has a transaction open, holding the head lock
	granted  time.Time  // when the lock held now was granted
	rowMode  bool       // queue on the head row, not the advisory lock (lock.go)

	leasesMu sync.Mutex
	leases   []*Lease // named leases handed out (leases.go), given up by Close
}

var (
	_ ledger.Store      = (*Store)(nil)
	_ ledger.HeadLocker = (*Store)(nil)
)

// Open connects to the database named by url (a postgres:// URL or key=value DSN),
// applies any pending migrations, and returns the store. It insists on durable commits:
// a session whose synchronous_commit is off gets it turned on, and a server running with
// fsync off is logged as an error.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	if o.MaxConns <= 0 {
		o.MaxConns = 8
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	url, err := takeParams(url, &o)
	if err != nil {
		return nil, err
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.LockWait <= 0 {
		o.LockWait = o.Lease * 3 / 2
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing the PostgreSQL URL: %w", err)
	}
	keepAlive(cfg.ConnConfig, o.Lease)
	cfg.MaxConns = o.MaxConns
	cfg.MinConns = 0
	// Every query here is a point or range lookup on an index. A generic plan cached
	// while a table was small (or before autovacuum's first ANALYZE) can be a sequential
	// scan that then runs on millions of rows; plan each execution for its arguments.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		// Keep whatever stronger level the operator chose (remote_write, remote_apply for
		// a synchronous standby); only "off" would acknowledge before the WAL is flushed.
		_, err := c.Exec(ctx, `SELECT set_config('synchronous_commit',
			CASE current_setting('synchronous_commit') WHEN 'off' THEN 'on' ELSE current_setting('synchronous_commit') END, false)`)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	s := &Store{pool: pool, log: o.Logger, lease: o.Lease, lockWait: o.LockWait}
	if err := s.init(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	if err := pgmigrate.Migrate(ctx, s.pool, Component, sub); err != nil {
		return fmt.Errorf("migrating the ledger schema: %w", err)
	}
	var fsync string
	if err := s.pool.QueryRow(ctx, "SELECT current_setting('fsync')").Scan(&fsync); err != nil {
		return fmt.Errorf("reading the server's settings: %w", err)
	}
	if fsync != "on" {
		s.log.Error("PostgreSQL runs with fsync off: acknowledged entries can be lost in a crash")
	}
	return nil
}

// Pool exposes the connection pool, for projections that keep their read models in the
// same database and for tests that tamper with stored rows.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Head implements ledger.Store.
func (s *Store) Head(ctx context.Context) (ledger.Head, error) {
	var h ledger.Head
	var size int64
	var last []byte
	if err := s.pool.QueryRow(ctx, "SELECT size, last_hash FROM ledger_head").Scan(&size, &last); err != nil {
		return h, fmt.Errorf("reading the head: %w", err)
	}
	h.Size = uint64(size)
	copy(h.LastHash[:], last)
	return h, nil
}

// appendSQL is one statement, hence one round trip and one transaction: the head row
// moves from $1 to $2 only if it is still at $1 (a conditional UPDATE under the row
// lock: a concurrent writer waits, then finds the size changed and updates nothing), and
// the entries and nodes are inserted only if it moved. The unique constraints on seq, id
// and (stream, stream_version) back the head check up. NOTIFY is transactional: readers
// hear of the entries when they are committed.
const appendSQL = `
WITH head AS (
    UPDATE ledger_head SET size = $2, last_hash = $3 WHERE size = $1 RETURNING size
), entries AS (
    INSERT INTO ledger_entries (seq, id, stream, stream_version, hash, leaf, body)
    SELECT * FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bytea[], $9::bytea[], $10::bytea[])
    WHERE EXISTS (SELECT FROM head)
), nodes AS (
    INSERT INTO ledger_nodes (level, idx, hash)
    SELECT * FROM unnest($11::smallint[], $12::bigint[], $13::bytea[])
    WHERE EXISTS (SELECT FROM head)
)
SELECT count(*) FROM (SELECT pg_notify('` + Channel + `', size::text) FROM head) n`

// Append implements ledger.Store: one statement in its own transaction, acknowledged
// after the commit record is flushed (synchronous_commit). Called by the holder of the
// head lock, it runs in the lock's transaction and commits it, which releases the lock
// at the moment the entries become visible.
func (s *Store) Append(ctx context.Context, b *ledger.Batch) error {
	n := len(b.Entries)
	if n == 0 {
		return nil
	}
	first := b.Entries[0].Seq
	var (
		seqs     = make([]int64, n)
		ids      = make([]string, n)
		streams  = make([]string, n)
		versions = make([]int64, n)
		hashes   = make([][]byte, n)
		leaves   = make([][]byte, n)
		bodies   = make([][]byte, n)
	)
	var (
		levels  []int16
		indexes []int64
		nhashes [][]byte
	)
	for i := range b.Nodes {
		nd := &b.Nodes[i]
		if nd.ID.Level == 0 {
			// A leaf is kept beside its entry.
			if j := nd.ID.Index - first; nd.ID.Index >= first && j < uint64(n) {
				leaves[j] = nd.Hash[:]
			}
			continue
		}
		levels = append(levels, int16(nd.ID.Level))
		indexes = append(indexes, int64(nd.ID.Index))
		nhashes = append(nhashes, nd.Hash[:])
	}
	for i := range b.Entries {
		e := &b.Entries[i]
		if e.Seq != first+uint64(i) {
			return fmt.Errorf("batch is not contiguous at %d", e.Seq)
		}
		seqs[i], ids[i], streams[i], versions[i] = int64(e.Seq), e.ID, e.Stream, int64(e.StreamVersion)
		hashes[i], bodies[i] = e.Hash[:], e.Bytes
		if leaves[i] == nil {
			leaf := ledger.LeafHash(e.Bytes)
			leaves[i] = leaf[:]
		}
	}
	last := b.Entries[n-1]
	args := []any{int64(first), int64(last.Seq + 1), last.Hash[:], seqs, ids, streams, versions, hashes, leaves, bodies, levels, indexes, nhashes}
	moved, err := s.appendLocked(ctx, args)
	switch {
	case errors.Is(err, errNotLocked):
		err = s.pool.QueryRow(ctx, appendSQL, args...).Scan(&moved)
	case errors.Is(err, errLockLost):
		s.log.Warn("the head lock's session failed during an append; reading the log to settle it", "first", first, "err", err)
		moved, err = s.settle(ctx, first, b.Entries[0].Hash, args)
	}
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
			switch pe.ConstraintName {
			case "ledger_entries_id_key":
				return fmt.Errorf("%w: an id in the batch is already stored: %s", ledger.ErrConflict, pe.Detail)
			case "ledger_entries_pkey", "ledger_entries_stream_key", "ledger_nodes_pkey":
				return fmt.Errorf("%w: %s", ledger.ErrHeadMoved, pe.Message)
			}
		}
		return fmt.Errorf("appending entries %d..%d: %w", first, last.Seq, err)
	}
	if moved != 1 {
		return fmt.Errorf("%w: batch starts at %d, but the database's head is elsewhere", ledger.ErrHeadMoved, first)
	}
	return nil
}

// clamp turns an exclusive upper bound into a bigint.
func clamp(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// scanEntries calls fn for each (seq, hash, body) row, without copying the bytes.
func scanEntries(rows pgx.Rows, fn func(ledger.RawEntry) error) error {
	defer rows.Close()
	var (
		seq        int64
		hash, body pgtype.DriverBytes
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &hash, &body); err != nil {
			return err
		}
		r := ledger.RawEntry{Seq: uint64(seq), Bytes: body}
		if len(hash) != len(r.Hash) {
			return fmt.Errorf("stored entry %d has a malformed hash", seq)
		}
		copy(r.Hash[:], hash)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Entries implements ledger.Store. Rows stream from the server as fn consumes them.
func (s *Store) Entries(ctx context.Context, from, to uint64, fn func(ledger.RawEntry) error) error {
	if from >= to {
		return nil
	}
	rows, err := s.pool.Query(ctx, "SELECT seq, hash, body FROM ledger_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq", clamp(from), clamp(to))
	if err != nil {
		return fmt.Errorf("reading entries %d..%d: %w", from, to, err)
	}
	return scanEntries(rows, fn)
}

// EntriesWithLeaves implements ledger.LeafReader: Entries with the leaf hash stored in
// each entry's row.
func (s *Store) EntriesWithLeaves(ctx context.Context, from, to uint64, fn func(ledger.RawEntry, ledger.Hash) error) error {
	if from >= to {
		return nil
	}
	rows, err := s.pool.Query(ctx, "SELECT seq, hash, leaf, body FROM ledger_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq", clamp(from), clamp(to))
	if err != nil {
		return fmt.Errorf("reading entries %d..%d: %w", from, to, err)
	}
	defer rows.Close()
	var (
		seq              int64
		hash, leaf, body pgtype.DriverBytes
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &hash, &leaf, &body); err != nil {
			return err
		}
		r := ledger.RawEntry{Seq: uint64(seq), Bytes: body}
		var lf ledger.Hash
		if len(hash) != len(r.Hash) || len(leaf) != len(lf) {
			return fmt.Errorf("stored entry %d has a malformed hash or leaf", seq)
		}
		copy(r.Hash[:], hash)
		copy(lf[:], leaf)
		if err := fn(r, lf); err != nil {
			return err
		}
	}
	return rows.Err()
}

var _ ledger.LeafReader = (*Store)(nil)

// Stream implements ledger.Store.
func (s *Store) Stream(ctx context.Context, stream string, from uint64, fn func(ledger.RawEntry) error) error {
	rows, err := s.pool.Query(ctx, "SELECT seq, hash, body FROM ledger_entries WHERE stream = $1 AND stream_version >= $2 ORDER BY stream_version", stream, clamp(from))
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", stream, err)
	}
	return scanEntries(rows, fn)
}

// Lookup implements ledger.Store.
func (s *Store) Lookup(ctx context.Context, ids []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT id, seq FROM ledger_entries WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("looking up ids: %w", err)
	}
	var id string
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&id, &seq}, func() error { out[id] = uint64(seq); return nil })
	if err != nil {
		return nil, fmt.Errorf("looking up ids: %w", err)
	}
	return out, nil
}

// StreamVersions implements ledger.Store: each stream's highest version, from the
// (stream, stream_version) index.
func (s *Store) StreamVersions(ctx context.Context, streams []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(streams))
	if len(streams) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT q.s, m.v FROM unnest($1::text[]) AS q(s),
		LATERAL (SELECT max(stream_version) AS v FROM ledger_entries WHERE stream = q.s) m
		WHERE m.v IS NOT NULL`, streams)
	if err != nil {
		return nil, fmt.Errorf("reading stream versions: %w", err)
	}
	var st string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&st, &v}, func() error { out[st] = uint64(v); return nil })
	if err != nil {
		return nil, fmt.Errorf("reading stream versions: %w", err)
	}
	return out, nil
}

// Nodes implements ledger.Store. Leaves come from ledger_entries.leaf, interior nodes
// from ledger_nodes.
func (s *Store) Nodes(ctx context.Context, ids []ledger.NodeID) ([]ledger.Hash, error) {
	out := make([]ledger.Hash, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	levels := make([]int16, len(ids))
	idx := make([]int64, len(ids))
	for i, id := range ids {
		levels[i], idx[i] = int16(id.Level), clamp(id.Index)
	}
	rows, err := s.pool.Query(ctx, `SELECT q.ord, CASE WHEN q.level = 0 THEN e.leaf ELSE n.hash END
		FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS q(level, idx, ord)
		LEFT JOIN ledger_nodes n ON q.level > 0 AND n.level = q.level AND n.idx = q.idx
		LEFT JOIN ledger_entries e ON q.level = 0 AND e.seq = q.idx`, levels, idx)
	if err != nil {
		return nil, fmt.Errorf("reading Merkle nodes: %w", err)
	}
	found := make([]bool, len(ids))
	var ord int64
	var h []byte
	_, err = pgx.ForEachRow(rows, []any{&ord, &h}, func() error {
		i := int(ord - 1)
		if i < 0 || i >= len(ids) {
			return fmt.Errorf("node lookup returned position %d", ord)
		}
		if len(h) == len(out[i]) {
			copy(out[i][:], h)
			found[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading Merkle nodes: %w", err)
	}
	for i, ok := range found {
		if !ok {
			return nil, fmt.Errorf("%w: Merkle node level %d index %d", ledger.ErrNotFound, ids[i].Level, ids[i].Index)
		}
	}
	return out, nil
}

// PutCheckpoint implements ledger.Store. The first checkpoint stored for a size stays:
// two writers signing the same size produce two valid notes of the same root, and the
// table is append-only.
func (s *Store) PutCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO ledger_checkpoints (size, root, note)
		SELECT $1, $2, $3 FROM ledger_head WHERE size >= $1
		ON CONFLICT (size) DO NOTHING`, clamp(c.Size), c.Root[:], c.Note)
	if err != nil {
		return fmt.Errorf("storing checkpoint %d: %w", c.Size, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	h, err := s.Head(ctx)
	if err != nil {
		return err
	}
	if c.Size > h.Size {
		return fmt.Errorf("checkpoint for size %d beyond the log's %d entries", c.Size, h.Size)
	}
	return nil
}

func scanCheckpoint(row pgx.CollectableRow) (ledger.Checkpoint, error) {
	var size int64
	var root, note []byte
	if err := row.Scan(&size, &root, &note); err != nil {
		return ledger.Checkpoint{}, err
	}
	if len(root) != 32 {
		return ledger.Checkpoint{}, fmt.Errorf("stored checkpoint %d has a malformed root", size)
	}
	c := ledger.Checkpoint{Size: uint64(size), Note: note}
	copy(c.Root[:], root)
	return c, nil
}

// Checkpoints implements ledger.Store.
func (s *Store) Checkpoints(ctx context.Context, fn func(ledger.Checkpoint) error) error {
	rows, err := s.pool.Query(ctx, "SELECT size, root, note FROM ledger_checkpoints ORDER BY size")
	if err != nil {
		return fmt.Errorf("reading checkpoints: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scanCheckpoint)
	if err != nil {
		return fmt.Errorf("reading checkpoints: %w", err)
	}
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// LatestCheckpoint implements ledger.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, "SELECT size, root, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1")
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("reading the latest checkpoint: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCheckpoint)
	if errors.Is(err, pgx.ErrNoRows) {
		return ledger.Checkpoint{}, ledger.ErrNotFound
	}
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("reading the latest checkpoint: %w", err)
	}
	return c, nil
}

// Watch calls fn with the new log size each time any writer commits an append, until
// ctx ends; it returns ctx's error then, or the connection's if it fails. It holds one
// pooled connection while it runs. Notifications can be coalesced or (on reconnection)
// missed: readers treat them as a hint to read the store, never as the data itself.
func (s *Store) Watch(ctx context.Context, fn func(size uint64)) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connecting to listen: %w", err)
	}
	conn := pc.Hijack() // never hand a listening session back to the pool
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return fmt.Errorf("listening on %s: %w", Channel, err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("waiting for appends: %w", err)
		}
		if size, err := strconv.ParseUint(n.Payload, 10, 64); err == nil {
			fn(size)
		}
	}
}

// Close implements ledger.Store.
func (s *Store) Close() error {
	s.closeLeases()
	s.connMu.Lock()
	s.dropLockConn()
	s.connMu.Unlock()
	s.pool.Close()
	return nil
}
