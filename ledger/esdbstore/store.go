package esdbstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// Event types written by this package, so that readers of the streams (and other
// tools on the cluster) can tell entries from checkpoints.
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

// MaxAppend is the default of Options.MaxAppendBytes: below the server's default
// MaxAppendSize of 1 MiB, leaving room for what the store's count of an append's
// size (appendSize) may miss.
const MaxAppend = 768 << 10

// RecommendedMaxBatch is a group-commit cap (ledgerd --max-batch) that keeps a typical
// batch (entries of 1–2 KiB) within MaxAppend. It is not a guarantee: 256 large
// entries do not fit, and such a batch is refused whole (ErrBatchTooLarge).
const RecommendedMaxBatch = 256

// Defaults of Options, chosen so that a call outlasts a leader election (a few
// seconds) but a dead cluster is reported within seconds, not minutes.
const (
	DefaultCallTimeout = 10 * time.Second
	DefaultRetryFor    = 10 * time.Second
)

// readChunk is how many events one read asks for.
const readChunk = 4096

// Options tune Open. Zero values take the defaults; the connection string's own
// parameters (prefix=, callTimeout=, retryFor=) fill in what is zero here.
type Options struct {
	// Prefix names the streams (PREFIX-entries, PREFIX-checkpoints), so that one
	// cluster can hold several ledgers; default "ledger".
	Prefix string
	// Logger receives warnings about retries and reconnections (default slog.Default()).
	Logger *slog.Logger
	// CallTimeout bounds each call to the server: an append's answer, or the silence
	// between two events of a read (default DefaultCallTimeout). A call past it is
	// abandoned and counts as failed in transit.
	CallTimeout time.Duration
	// RetryFor is how long a call failing in transit (unavailable, not the leader, no
	// answer) is tried again, with backoff, before the store gives up
	// (default DefaultRetryFor). It should outlast a leader election.
	RetryFor time.Duration
	// MaxAppendBytes is the most one append may carry (default MaxAppend; also
	// maxAppendBytes= in the URL). Set it below the server's MaxAppendSize: a batch
	// over it is refused whole (ErrBatchTooLarge), as the server would refuse it.
	MaxAppendBytes int
	// IndexPath is the index file (also index= in the URL): a bbolt file this store
	// keeps its lookups in, so that reopening reads only what was appended since. One
	// store at a time may hold it. Empty: a temporary file, built from the whole
	// entries stream at Open and removed at Close.
	IndexPath string
}

// Store is a ledger.Store on EventStoreDB. Methods are safe for concurrent use.
type Store struct {
	entries     string
	checkpoints string
	log         *slog.Logger
	callTimeout time.Duration
	retryFor    time.Duration
	maxAppend   int
	ctx         context.Context // the store's lifetime, for work shared by callers
	cancel      context.CancelFunc

	cmu    sync.Mutex // guards cur and closed (conn.go)
	cfg    esdb.Configuration
	cur    *conn
	closed bool

	lockq chan struct{} // LockHead's queue: one holder at a time

	fmu     sync.Mutex // guards running and queued: index refreshes (refresh)
	running *flight
	queued  *flight

	idx *index
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

// Open connects to the cluster named by an esdb:// (or esdb+discover://) connection
// string and builds the index from the entries stream. The URL may carry this
// package's parameters (prefix=NAME, callTimeout=DURATION, retryFor=DURATION,
// maxAppendBytes=N, index=PATH), which Options override; the rest goes to the client.
func Open(ctx context.Context, connection string, o Options) (*Store, error) {
	rest, own, err := splitParams(connection)
	if err != nil {
		return nil, err
	}
	if err := o.fill(own); err != nil {
		return nil, err
	}
	cfg, err := esdb.ParseConnectionString(rest)
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
	s := &Store{entries: o.Prefix + "-entries", checkpoints: o.Prefix + "-checkpoints", log: o.Logger,
		callTimeout: o.CallTimeout, retryFor: o.RetryFor, maxAppend: o.MaxAppendBytes, cfg: *cfg, cur: &conn{c: c},
		lockq: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if s.idx, err = openIndex(o.IndexPath, s.entries, s.log); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.checkIndex(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.refresh(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkIndex compares the index's last entry with the log's and empties the index if
// they differ (or the log is shorter): the file was built for another log, or the log
// was replaced. Entries chain by hash, so the last one vouches for all before it.
func (s *Store) checkIndex(ctx context.Context) error {
	size, last := s.idx.head()
	if size == 0 {
		return nil
	}
	same := false
	_, err := s.read(ctx, s.entries, size-1, 1, func(ev *esdb.RecordedEvent) error {
		m, err := decodeMeta(ev)
		same = err == nil && ev.EventNumber == size-1 && m.Hash == last && ledger.SumEntry(ev.Data) == last
		return nil
	})
	if err != nil {
		return fmt.Errorf("checking the index against %s: %w", s.entries, err)
	}
	if same {
		return nil
	}
	s.log.Warn("esdb: the index does not describe this log; rebuilding it from the log", "stream", s.entries, "indexed", size)
	return s.idx.reset()
}

// ownParams are the connection-string parameters this package consumes.
var ownParams = []string{"prefix", "calltimeout", "retryfor", "maxappendbytes", "index"}

// splitParams removes this package's parameters from the connection string and returns
// them, keyed in lower case.
func splitParams(conn string) (string, map[string]string, error) {
	own := map[string]string{}
	base, query, ok := strings.Cut(conn, "?")
	if !ok {
		return conn, own, nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", nil, fmt.Errorf("parsing the EventStoreDB connection string: %w", err)
	}
	for k := range q {
		for _, p := range ownParams {
			if strings.EqualFold(k, p) {
				own[p] = q.Get(k)
				q.Del(k)
			}
		}
	}
	if len(q) == 0 {
		return base, own, nil
	}
	return base + "?" + q.Encode(), own, nil
}

// fill sets what o leaves zero from the connection string's parameters, then defaults.
func (o *Options) fill(own map[string]string) error {
	if o.Prefix == "" {
		o.Prefix = own["prefix"]
	}
	if o.IndexPath == "" {
		o.IndexPath = own["index"]
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{{"calltimeout", &o.CallTimeout}, {"retryfor", &o.RetryFor}} {
		if *d.v != 0 || own[d.name] == "" {
			continue
		}
		v, err := time.ParseDuration(own[d.name])
		if err != nil || v <= 0 {
			return fmt.Errorf("parsing the EventStoreDB connection string: %s=%q is not a positive duration", d.name, own[d.name])
		}
		*d.v = v
	}
	if v := own["maxappendbytes"]; o.MaxAppendBytes == 0 && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("parsing the EventStoreDB connection string: maxAppendBytes=%q is not a positive number of bytes", v)
		}
		o.MaxAppendBytes = n
	}
	if o.Prefix == "" {
		o.Prefix = "ledger"
	}
	if o.MaxAppendBytes <= 0 {
		o.MaxAppendBytes = MaxAppend
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.RetryFor <= 0 {
		o.RetryFor = DefaultRetryFor
	}
	return nil
}

func decodeMeta(ev *esdb.RecordedEvent) (meta, error) {
	var m meta
	if err := json.Unmarshal(ev.UserMetadata, &m); err != nil {
		return m, fmt.Errorf("event %d of %s has malformed metadata: %w", ev.EventNumber, ev.StreamID, err)
	}
	return m, nil
}

// flight is one index refresh that callers wait for.
type flight struct {
	done chan struct{}
	err  error
}

// refresh brings the index up to what the server held when refresh was called.
// Callers arriving while a refresh runs share the next one (which starts after they
// arrived, so it sees what they must see); nobody holds a lock while the server is
// asked, and a caller whose ctx ends stops waiting.
func (s *Store) refresh(ctx context.Context) error {
	s.fmu.Lock()
	var f *flight
	if s.running == nil {
		f = &flight{done: make(chan struct{})}
		s.running = f
		go s.fly(f)
	} else {
		if s.queued == nil {
			s.queued = &flight{done: make(chan struct{})}
		}
		f = s.queued
	}
	s.fmu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("indexing %s: %w", s.entries, ctx.Err())
	}
}

// fly runs f, then whatever refresh was queued behind it.
func (s *Store) fly(f *flight) {
	for f != nil {
		f.err = s.catchUp(s.ctx)
		close(f.done)
		s.fmu.Lock()
		f, s.queued = s.queued, nil
		s.running = f
		s.fmu.Unlock()
	}
}

// catchUp extends the index with entries appended since it last looked.
func (s *Store) catchUp(ctx context.Context) error {
	for {
		from, _ := s.idx.head()
		var batch []meta
		got, err := s.read(ctx, s.entries, from, readChunk, func(ev *esdb.RecordedEvent) error {
			want := from + uint64(len(batch))
			if ev.EventNumber != want {
				return fmt.Errorf("%w: %s skips from %d to %d", ledger.ErrCorrupt, s.entries, want, ev.EventNumber)
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
			return nil
		})
		if err == nil {
			err = s.idx.add(from, batch)
		}
		if err != nil {
			return fmt.Errorf("indexing %s from %d: %w", s.entries, from, err)
		}
		if got < readChunk {
			return nil
		}
	}
}

// Head implements ledger.Store: the index is first brought up to the log as the
// leader has it, so the head includes every acknowledged append.
func (s *Store) Head(ctx context.Context) (ledger.Head, error) {
	if err := s.refresh(ctx); err != nil {
		return ledger.Head{}, err
	}
	size, last := s.idx.head()
	return ledger.Head{Size: size, LastHash: last}, nil
}

// Lookup implements ledger.Store from the index, brought up to the log first.
func (s *Store) Lookup(ctx context.Context, ids []string) (map[string]uint64, error) {
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	return s.idx.lookup(ids)
}

// StreamVersions implements ledger.Store from the index, brought up to the log first.
func (s *Store) StreamVersions(ctx context.Context, streams []string) (map[string]uint64, error) {
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	return s.idx.versions(streams)
}

// Close implements ledger.Store: it writes the index's pending tail to its file and
// closes it (removing a temporary one). Calls still running on the client finish or
// fail first; the client is closed after the last of them.
func (s *Store) Close() error {
	s.cancel()
	s.closeClients()
	if s.idx != nil {
		if err := s.idx.close(); err != nil {
			return fmt.Errorf("closing the index: %w", err)
		}
	}
	return nil
}
