package esdbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// Event types written by this package.
const (
	EntryEventType      = "ledger.entry.v1"
	CheckpointEventType = "ledger.checkpoint.v1"
)

// entrySpace is the UUIDv5 namespace of entry event ids.
var entrySpace = uuid.MustParse("5d0c7a52-3c1e-5b8e-a1f4-6c6564676572")

// EntryEventID is the event id an entry is appended under: a UUIDv5 of the entry's
// hash, so that it names the sealed bytes, not the submission. The server decides
// idempotency by event ids alone: an append whose ids match the events already after
// the expected revision is acknowledged without writing. With the submission's id as
// the event id, a second sealing of the same submission (another front-end, another
// recorded_at, other bytes) at the same seq would be acknowledged for bytes the log
// does not hold. With this id, such an acknowledgement means the stored entry hashes
// to the same value as the one sent. The submission's id stays in the metadata.
func EntryEventID(h ledger.Hash) uuid.UUID { return uuid.NewSHA1(entrySpace, h[:]) }

// MaxAppend is the most event data one AppendToStream carries (below the server's
// default MaxAppendSize of 1 MiB, leaving room for metadata and framing).
const MaxAppend = 768 << 10

// RecommendedMaxBatch keeps a typical batch (entries of 1–2 KiB) in one append.
const RecommendedMaxBatch = 256

// readChunk is how many events one read asks for.
const readChunk = 4096

// Options tune Open.
type Options struct {
	// Prefix names the streams (PREFIX-entries, PREFIX-checkpoints); default "ledger",
	// or the prefix query parameter of the URL.
	Prefix string
	Logger *slog.Logger
}

// Store is a ledger.Store on EventStoreDB. Methods are safe for concurrent use.
type Store struct {
	c           *esdb.Client
	entries     string
	checkpoints string
	log         *slog.Logger

	refreshMu sync.Mutex // one index refresh at a time
	mu        sync.RWMutex
	size      uint64
	last      ledger.Hash
	ids       map[string]uint64   // submission id → seq
	streams   map[string][]uint64 // stream → seqs, version v at [v-1]
}

var _ ledger.Store = (*Store)(nil)

// meta is an entry event's metadata.
type meta struct {
	Seq           uint64      `json:"seq"`
	Hash          ledger.Hash `json:"hash"`
	ID            string      `json:"id"`
	Stream        string      `json:"stream"`
	StreamVersion uint64      `json:"stream_version"`
	Nodes         []node      `json:"nodes"`
}

type node struct {
	Level uint8       `json:"l"`
	Index uint64      `json:"i"`
	Hash  ledger.Hash `json:"h"`
}

type checkpointMeta struct {
	Size uint64      `json:"size"`
	Root ledger.Hash `json:"root"`
}

// Open connects to the cluster named by an esdb:// (or esdb+discover://) connection
// string and builds the index from the entries stream. The URL may carry
// prefix=NAME, which this package consumes; the rest goes to the client.
func Open(ctx context.Context, connection string, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	conn, prefix, err := splitPrefix(connection)
	if err != nil {
		return nil, err
	}
	if o.Prefix == "" {
		o.Prefix = prefix
	}
	if o.Prefix == "" {
		o.Prefix = "ledger"
	}
	cfg, err := esdb.ParseConnectionString(conn)
	if err != nil {
		return nil, fmt.Errorf("parsing the EventStoreDB connection string: %w", err)
	}
	lg := o.Logger
	cfg.Logger = func(level esdb.LogLevel, format string, args ...any) {
		if level == esdb.LogError || level == esdb.LogWarn {
			lg.Warn("esdb: " + fmt.Sprintf(format, args...))
		}
	}
	c, err := esdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to EventStoreDB: %w", err)
	}
	s := &Store{c: c, entries: o.Prefix + "-entries", checkpoints: o.Prefix + "-checkpoints", log: o.Logger,
		ids: map[string]uint64{}, streams: map[string][]uint64{}}
	if err := s.refresh(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// splitPrefix removes this package's prefix parameter from the connection string.
func splitPrefix(conn string) (string, string, error) {
	base, query, ok := strings.Cut(conn, "?")
	if !ok {
		return conn, "", nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("parsing the EventStoreDB connection string: %w", err)
	}
	prefix := q.Get("prefix")
	q.Del("prefix")
	if len(q) == 0 {
		return base, prefix, nil
	}
	return base + "?" + q.Encode(), prefix, nil
}

func notFound(err error) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == esdb.ErrorCodeResourceNotFound
}

// read calls fn for up to count events of stream from revision from, in order.
func (s *Store) read(ctx context.Context, stream string, from, count uint64, fn func(*esdb.RecordedEvent) error) error {
	rs, err := s.c.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(from)}, count)
	if err != nil {
		if notFound(err) {
			return nil
		}
		return fmt.Errorf("reading %s from %d: %w", stream, from, err)
	}
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if notFound(err) {
				return nil
			}
			return fmt.Errorf("reading %s from %d: %w", stream, from, err)
		}
		if err := fn(ev.OriginalEvent()); err != nil {
			return err
		}
	}
}

func decodeMeta(ev *esdb.RecordedEvent) (meta, error) {
	var m meta
	if err := json.Unmarshal(ev.UserMetadata, &m); err != nil {
		return m, fmt.Errorf("event %d of %s has malformed metadata: %w", ev.EventNumber, ev.StreamID, err)
	}
	return m, nil
}

// refresh extends the index with entries appended since it last looked.
func (s *Store) refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	for {
		s.mu.RLock()
		from := s.size
		s.mu.RUnlock()
		n := 0
		var batch []meta
		err := s.read(ctx, s.entries, from, readChunk, func(ev *esdb.RecordedEvent) error {
			if ev.EventNumber != from+uint64(n) {
				return fmt.Errorf("%w: %s skips from %d to %d", ledger.ErrCorrupt, s.entries, from+uint64(n), ev.EventNumber)
			}
			m, err := decodeMeta(ev)
			if err != nil {
				return err
			}
			m.Seq = ev.EventNumber // the position is the server's, whatever the metadata says
			if ev.EventID != EntryEventID(m.Hash) && ev.EventID.String() != m.ID {
				return fmt.Errorf("%w: event %d's id %s is neither derived from its hash nor its submission's id %s", ledger.ErrCorrupt, ev.EventNumber, ev.EventID, m.ID)
			}
			m.Nodes = nil
			batch = append(batch, m)
			n++
			return nil
		})
		if err != nil {
			return fmt.Errorf("indexing %s: %w", s.entries, err)
		}
		s.index(from, batch)
		if n < readChunk {
			return nil
		}
	}
}

// index adds entries starting at seq from, if the index is still there.
func (s *Store) index(from uint64, ms []meta) {
	if len(ms) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.size != from {
		return // someone indexed them first
	}
	for _, m := range ms {
		s.ids[m.ID] = m.Seq
		s.streams[m.Stream] = append(s.streams[m.Stream], m.Seq)
	}
	s.size = from + uint64(len(ms))
	s.last = ms[len(ms)-1].Hash
}

// Head implements ledger.Store.
func (s *Store) Head(ctx context.Context) (ledger.Head, error) {
	if err := s.refresh(ctx); err != nil {
		return ledger.Head{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return ledger.Head{Size: s.size, LastHash: s.last}, nil
}

// nodeSeq is the entry whose append completes node id.
func nodeSeq(id ledger.NodeID) uint64 { return (id.Index+1)<<id.Level - 1 }

// entryEvents turns a batch into events, each carrying the nodes its entry completes.
func entryEvents(b *ledger.Batch) ([]esdb.EventData, error) {
	first := b.Entries[0].Seq
	nodes := make([][]node, len(b.Entries))
	for _, n := range b.Nodes {
		seq := nodeSeq(n.ID)
		if seq < first || seq-first >= uint64(len(b.Entries)) {
			return nil, fmt.Errorf("node level %d index %d is not completed by entries %d..%d", n.ID.Level, n.ID.Index, first, first+uint64(len(b.Entries))-1)
		}
		nodes[seq-first] = append(nodes[seq-first], node{n.ID.Level, n.ID.Index, n.Hash})
	}
	out := make([]esdb.EventData, len(b.Entries))
	for i, e := range b.Entries {
		md, err := json.Marshal(meta{Seq: e.Seq, Hash: e.Hash, ID: e.ID, Stream: e.Stream, StreamVersion: e.StreamVersion, Nodes: nodes[i]})
		if err != nil {
			return nil, fmt.Errorf("entry %d: encoding its metadata: %w", e.Seq, err)
		}
		out[i] = esdb.EventData{EventID: EntryEventID(e.Hash), EventType: EntryEventType, ContentType: esdb.ContentTypeBinary, Data: e.Bytes, Metadata: md}
	}
	return out, nil
}

// chunks splits events into appends of at most MaxAppend bytes of data and metadata.
func chunks(evs []esdb.EventData) [][]esdb.EventData {
	var out [][]esdb.EventData
	start, size := 0, 0
	for i, ev := range evs {
		n := len(ev.Data) + len(ev.Metadata)
		if i > start && size+n > MaxAppend {
			out = append(out, evs[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(out, evs[start:])
}

func expected(seq uint64) esdb.ExpectedRevision {
	if seq == 0 {
		return esdb.NoStream{}
	}
	return esdb.Revision(seq - 1)
}

// Append implements ledger.Store: one AppendToStream per chunk, each expecting the
// revision before its first entry.
func (s *Store) Append(ctx context.Context, b *ledger.Batch) error {
	if len(b.Entries) == 0 {
		return nil
	}
	first := b.Entries[0].Seq
	for i, e := range b.Entries {
		if e.Seq != first+uint64(i) {
			return fmt.Errorf("batch is not contiguous at %d", e.Seq)
		}
	}
	if err := s.refresh(ctx); err != nil {
		return err
	}
	s.mu.RLock()
	size := s.size
	var dup error
	seen := map[string]bool{}
	for _, e := range b.Entries {
		if _, ok := s.ids[e.ID]; ok || seen[e.ID] {
			dup = fmt.Errorf("%w: id %s already stored", ledger.ErrConflict, e.ID)
			break
		}
		seen[e.ID] = true
	}
	s.mu.RUnlock()
	if first != size {
		return fmt.Errorf("%w: batch starts at %d, the entries stream holds %d", ledger.ErrHeadMoved, first, size)
	}
	if dup != nil {
		return dup
	}
	evs, err := entryEvents(b)
	if err != nil {
		return err
	}
	at := first
	for i, ch := range chunks(evs) {
		err := s.appendRetrying(ctx, at, ch)
		if err != nil {
			var e *esdb.Error
			if errors.As(err, &e) && e.Code() == esdb.ErrorCodeWrongExpectedVersion {
				if i == 0 {
					return fmt.Errorf("%w: %v", ledger.ErrHeadMoved, err)
				}
				return fmt.Errorf("batch from %d written only up to %d (another writer moved the head): %w", first, at, err)
			}
			return fmt.Errorf("appending entries from %d: %w", at, err)
		}
		at += uint64(len(ch))
	}
	ms := make([]meta, len(b.Entries))
	for i, e := range b.Entries {
		ms[i] = meta{Seq: e.Seq, Hash: e.Hash, ID: e.ID, Stream: e.Stream, StreamVersion: e.StreamVersion}
	}
	s.index(first, ms)
	return nil
}

// Entries implements ledger.Store.
func (s *Store) Entries(ctx context.Context, from, to uint64, fn func(ledger.RawEntry) error) error {
	for from < to {
		count := min(to-from, readChunk)
		next := from
		err := s.read(ctx, s.entries, from, count, func(ev *esdb.RecordedEvent) error {
			if ev.EventNumber >= to {
				return errStop
			}
			m, err := decodeMeta(ev)
			if err != nil {
				return err
			}
			next = ev.EventNumber + 1
			return fn(ledger.RawEntry{Seq: ev.EventNumber, Hash: m.Hash, Bytes: ev.Data})
		})
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return err
		}
		if next < from+count {
			return nil // the stream ends (or skips past to)
		}
		from = next
	}
	return nil
}

var errStop = errors.New("stop")

// transient says whether an append may have failed only on the way (leader change,
// timeout, node going down) and can be sent again.
func transient(err error) bool {
	var e *esdb.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case esdb.ErrorUnavailable, esdb.ErrorCodeDeadlineExceeded, esdb.ErrorCodeNotLeader, esdb.ErrorAborted:
		return true
	}
	return false
}

// appendRetrying appends events at seq at, resending them after a transient failure. That
// is safe because the server treats the same event ids appended at the same expected
// revision as one write: if the first attempt did commit, the resend succeeds without
// writing again, and the batch is never doubled.
func (s *Store) appendRetrying(ctx context.Context, at uint64, evs []esdb.EventData) error {
	var err error
	for attempt := range 3 {
		_, err = s.c.AppendToStream(ctx, s.entries, esdb.AppendToStreamOptions{ExpectedRevision: expected(at), RequiresLeader: true}, evs...)
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		s.log.Warn("esdb: append failed in transit; sending it again", "seq", at, "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		}
	}
	return err
}

// readSeqs reads the entry events at the given positions (sorted, distinct), grouping
// consecutive positions into one read.
func (s *Store) readSeqs(ctx context.Context, seqs []uint64, fn func(*esdb.RecordedEvent) error) error {
	for i := 0; i < len(seqs); {
		j := i + 1
		for j < len(seqs) && seqs[j] == seqs[j-1]+1 && j-i < readChunk {
			j++
		}
		want := seqs[i]
		err := s.read(ctx, s.entries, seqs[i], uint64(j-i), func(ev *esdb.RecordedEvent) error {
			if ev.EventNumber != want {
				return fmt.Errorf("%w: wanted entry %d, the stream gave %d", ledger.ErrNotFound, want, ev.EventNumber)
			}
			want++
			return fn(ev)
		})
		if err != nil {
			return err
		}
		if want != seqs[j-1]+1 {
			return fmt.Errorf("%w: entry %d", ledger.ErrNotFound, want)
		}
		i = j
	}
	return nil
}

// Stream implements ledger.Store.
func (s *Store) Stream(ctx context.Context, stream string, from uint64, fn func(ledger.RawEntry) error) error {
	if err := s.refresh(ctx); err != nil {
		return err
	}
	if from == 0 {
		from = 1
	}
	s.mu.RLock()
	all := s.streams[stream]
	var seqs []uint64
	if from <= uint64(len(all)) {
		seqs = append(seqs, all[from-1:]...)
	}
	s.mu.RUnlock()
	return s.readSeqs(ctx, seqs, func(ev *esdb.RecordedEvent) error {
		m, err := decodeMeta(ev)
		if err != nil {
			return err
		}
		return fn(ledger.RawEntry{Seq: ev.EventNumber, Hash: m.Hash, Bytes: ev.Data})
	})
}

// Lookup implements ledger.Store.
func (s *Store) Lookup(ctx context.Context, ids []string) (map[string]uint64, error) {
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]uint64, len(ids))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, id := range ids {
		if seq, ok := s.ids[id]; ok {
			out[id] = seq
		}
	}
	return out, nil
}

// StreamVersions implements ledger.Store.
func (s *Store) StreamVersions(ctx context.Context, streams []string) (map[string]uint64, error) {
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]uint64, len(streams))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, st := range streams {
		if n := len(s.streams[st]); n > 0 {
			out[st] = uint64(n)
		}
	}
	return out, nil
}

// Nodes implements ledger.Store: each node is read from the metadata of the entry that
// completed it.
func (s *Store) Nodes(ctx context.Context, ids []ledger.NodeID) ([]ledger.Hash, error) {
	out := make([]ledger.Hash, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	bySeq := map[uint64][]int{}
	for i, id := range ids {
		seq := nodeSeq(id)
		if id.Level >= 64 || seq < id.Index {
			return nil, fmt.Errorf("%w: Merkle node level %d index %d", ledger.ErrNotFound, id.Level, id.Index)
		}
		bySeq[seq] = append(bySeq[seq], i)
	}
	seqs := make([]uint64, 0, len(bySeq))
	for seq := range bySeq {
		seqs = append(seqs, seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	found := make([]bool, len(ids))
	err := s.readSeqs(ctx, seqs, func(ev *esdb.RecordedEvent) error {
		m, err := decodeMeta(ev)
		if err != nil {
			return err
		}
		for _, i := range bySeq[ev.EventNumber] {
			for _, n := range m.Nodes {
				if n.Level == ids[i].Level && n.Index == ids[i].Index {
					out[i], found[i] = n.Hash, true
				}
			}
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

// lastCheckpoint reads the newest checkpoint event; ok is false if there is none.
func (s *Store) lastCheckpoint(ctx context.Context) (c ledger.Checkpoint, rev uint64, ok bool, err error) {
	rs, err := s.c.ReadStream(ctx, s.checkpoints, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		if notFound(err) {
			return c, 0, false, nil
		}
		return c, 0, false, err
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if errors.Is(err, io.EOF) || notFound(err) {
		return c, 0, false, nil
	}
	if err != nil {
		return c, 0, false, err
	}
	c, err = decodeCheckpoint(ev.OriginalEvent())
	return c, ev.OriginalEvent().EventNumber, err == nil, err
}

func decodeCheckpoint(ev *esdb.RecordedEvent) (ledger.Checkpoint, error) {
	var m checkpointMeta
	if err := json.Unmarshal(ev.UserMetadata, &m); err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("checkpoint event %d has malformed metadata: %w", ev.EventNumber, err)
	}
	return ledger.Checkpoint{Size: m.Size, Root: m.Root, Note: ev.Data}, nil
}

var checkpointSpace = uuid.MustParse("0b6d3f0e-8f1a-5c1e-9d35-6c6564676572")

// PutCheckpoint implements ledger.Store. Checkpoints are kept in growing size: one for
// a size already covered is not stored (the one stored is of the same log).
func (s *Store) PutCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	h, err := s.Head(ctx)
	if err != nil {
		return err
	}
	if c.Size > h.Size {
		return fmt.Errorf("checkpoint for size %d beyond the log's %d entries", c.Size, h.Size)
	}
	md, _ := json.Marshal(checkpointMeta{Size: c.Size, Root: c.Root})
	ev := esdb.EventData{EventID: uuid.NewSHA1(checkpointSpace, append(c.Root[:], fmt.Sprint(c.Size)...)),
		EventType: CheckpointEventType, ContentType: esdb.ContentTypeBinary, Data: c.Note, Metadata: md}
	for range 8 {
		last, rev, ok, err := s.lastCheckpoint(ctx)
		if err != nil {
			return fmt.Errorf("reading the latest checkpoint: %w", err)
		}
		var exp esdb.ExpectedRevision = esdb.NoStream{}
		if ok {
			if last.Size >= c.Size {
				return nil
			}
			exp = esdb.Revision(rev)
		}
		_, err = s.c.AppendToStream(ctx, s.checkpoints, esdb.AppendToStreamOptions{ExpectedRevision: exp}, ev)
		var e *esdb.Error
		if errors.As(err, &e) && e.Code() == esdb.ErrorCodeWrongExpectedVersion {
			continue // another writer stored one: look again
		}
		if err != nil {
			return fmt.Errorf("storing checkpoint %d: %w", c.Size, err)
		}
		return nil
	}
	return fmt.Errorf("storing checkpoint %d: other writers kept appending checkpoints", c.Size)
}

// Checkpoints implements ledger.Store.
func (s *Store) Checkpoints(ctx context.Context, fn func(ledger.Checkpoint) error) error {
	var cs []ledger.Checkpoint
	for from := uint64(0); ; from += readChunk {
		n := 0
		err := s.read(ctx, s.checkpoints, from, readChunk, func(ev *esdb.RecordedEvent) error {
			c, err := decodeCheckpoint(ev)
			if err != nil {
				return err
			}
			cs = append(cs, c)
			n++
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading checkpoints: %w", err)
		}
		if n < readChunk {
			break
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Size < cs[j].Size })
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// LatestCheckpoint implements ledger.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	c, _, ok, err := s.lastCheckpoint(ctx)
	if err != nil {
		return c, fmt.Errorf("reading the latest checkpoint: %w", err)
	}
	if !ok {
		return c, ledger.ErrNotFound
	}
	return c, nil
}

// Close implements ledger.Store.
func (s *Store) Close() error { return s.c.Close() }
