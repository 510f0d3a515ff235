package counts

import (
	"context"
	"embed"
	"encoding/binary"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	bolt "go.etcd.io/bbolt"
)

// Key is one row of the read model.
type Key struct {
	Type        string `json:"event_type"`
	Institution string `json:"institution"`
}

// Snapshot is the whole read model at a position.
type Snapshot struct {
	Position uint64         `json:"position"`
	Counts   map[Key]uint64 `json:"-"`
}

// Rows returns the counts sorted by type, then institution, for printing.
func (s Snapshot) Rows() []Row {
	out := make([]Row, 0, len(s.Counts))
	for k, n := range s.Counts {
		out = append(out, Row{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Institution < out[j].Institution
	})
	return out
}

// Row is one count.
type Row struct {
	Key
	N uint64 `json:"n"`
}

// tally folds entries into per-key increments.
func tally(es []*ledger.Entry) map[Key]uint64 {
	m := map[Key]uint64{}
	for _, e := range es {
		m[Key{e.Submission.Type, e.Submission.Actor.Institution}]++
	}
	return m
}

// Consumer is the counts read model; it implements follow.Model.
type Consumer struct {
	name string
	be   backend
}

type backend interface {
	position(ctx context.Context, name string) (uint64, error)
	apply(ctx context.Context, name string, from, to uint64, inc map[Key]uint64) error
	snapshot(ctx context.Context, name string) (Snapshot, error)
	close() error
}

var _ follow.Model = (*Consumer)(nil)

// Name implements follow.Model.
func (c *Consumer) Name() string { return c.name }

// Position implements follow.Model.
func (c *Consumer) Position(ctx context.Context) (uint64, error) { return c.be.position(ctx, c.name) }

// Apply implements follow.Model.
func (c *Consumer) Apply(ctx context.Context, es []*ledger.Entry) error {
	if len(es) == 0 {
		return nil
	}
	return c.be.apply(ctx, c.name, es[0].Seq, es[len(es)-1].Seq+1, tally(es))
}

// Snapshot reads the whole read model and its position, consistently.
func (c *Consumer) Snapshot(ctx context.Context) (Snapshot, error) { return c.be.snapshot(ctx, c.name) }

// Close releases what the constructor opened (not a pool passed in).
func (c *Consumer) Close() error { return c.be.close() }

//go:embed migrations/*.sql
var migrations embed.FS

// Component is this read model's name in schema_migrations.
const Component = "projection.counts"

// NewPG returns the consumer name keeping its counts in the database behind pool,
// migrating it first.
func NewPG(ctx context.Context, pool *pgxpool.Pool, name string) (*Consumer, error) {
	sub, _ := fs.Sub(migrations, "migrations")
	if err := pgstore.Migrate(ctx, pool, Component, sub); err != nil {
		return nil, fmt.Errorf("migrating the counts tables: %w", err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO projection_positions (consumer, position) VALUES ($1, 0) ON CONFLICT DO NOTHING", name); err != nil {
		return nil, fmt.Errorf("registering consumer %s: %w", name, err)
	}
	return &Consumer{name: name, be: pgBackend{pool}}, nil
}

type pgBackend struct{ pool *pgxpool.Pool }

func (b pgBackend) position(ctx context.Context, name string) (uint64, error) {
	var p int64
	err := b.pool.QueryRow(ctx, "SELECT position FROM projection_positions WHERE consumer = $1", name).Scan(&p)
	return uint64(p), err
}

// applySQL moves the position from $2 to $3 and adds the increments, in one statement:
// nothing is counted unless the position moved.
const applySQL = `
WITH p AS (
    UPDATE projection_positions SET position = $3, updated_at = now() WHERE consumer = $1 AND position = $2 RETURNING 1
), c AS (
    INSERT INTO counts_by_type (consumer, event_type, institution, n)
    SELECT $1, u.t, u.i, u.n FROM unnest($4::text[], $5::text[], $6::bigint[]) AS u(t, i, n)
    WHERE EXISTS (SELECT FROM p)
    ON CONFLICT (consumer, event_type, institution) DO UPDATE SET n = counts_by_type.n + EXCLUDED.n
)
SELECT count(*) FROM p`

func (b pgBackend) apply(ctx context.Context, name string, from, to uint64, inc map[Key]uint64) error {
	var ts, is []string
	var ns []int64
	for k, n := range inc {
		ts, is, ns = append(ts, k.Type), append(is, k.Institution), append(ns, int64(n))
	}
	var moved int64
	if err := b.pool.QueryRow(ctx, applySQL, name, int64(from), int64(to), ts, is, ns).Scan(&moved); err != nil {
		return err
	}
	if moved != 1 {
		return fmt.Errorf("%w: %s is not at %d", follow.ErrPositionMoved, name, from)
	}
	return nil
}

func (b pgBackend) snapshot(ctx context.Context, name string) (Snapshot, error) {
	s := Snapshot{Counts: map[Key]uint64{}}
	err := pgx.BeginTxFunc(ctx, b.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var p int64
		if err := tx.QueryRow(ctx, "SELECT position FROM projection_positions WHERE consumer = $1", name).Scan(&p); err != nil {
			return err
		}
		s.Position = uint64(p)
		rows, err := tx.Query(ctx, "SELECT event_type, institution, n FROM counts_by_type WHERE consumer = $1", name)
		if err != nil {
			return err
		}
		var k Key
		var n int64
		_, err = pgx.ForEachRow(rows, []any{&k.Type, &k.Institution, &n}, func() error { s.Counts[k] = uint64(n); return nil })
		return err
	})
	return s, err
}

func (pgBackend) close() error { return nil }

// NewBolt returns the consumer name keeping its counts in the bbolt file at path
// (created if missing). Only one process may open the file.
func NewBolt(path, name string) (*Consumer, error) {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("counts/" + name))
		if err != nil {
			return err
		}
		if b.Get(kPosition) == nil {
			return b.Put(kPosition, u64(0))
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising %s: %w", path, err)
	}
	return &Consumer{name: name, be: boltBackend{db}}, nil
}

type boltBackend struct{ db *bolt.DB }

var kPosition = []byte("\x00position")

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func keyBytes(k Key) []byte { return []byte("c\x00" + k.Type + "\x00" + k.Institution) }

func (b boltBackend) position(_ context.Context, name string) (uint64, error) {
	var p uint64
	err := b.db.View(func(tx *bolt.Tx) error {
		p = binary.BigEndian.Uint64(tx.Bucket([]byte("counts/" + name)).Get(kPosition))
		return nil
	})
	return p, err
}

func (b boltBackend) apply(_ context.Context, name string, from, to uint64, inc map[Key]uint64) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte("counts/" + name))
		if p := binary.BigEndian.Uint64(bk.Get(kPosition)); p != from {
			return fmt.Errorf("%w: %s is at %d, not %d", follow.ErrPositionMoved, name, p, from)
		}
		for k, n := range inc {
			kb := keyBytes(k)
			if v := bk.Get(kb); len(v) == 8 {
				n += binary.BigEndian.Uint64(v)
			}
			if err := bk.Put(kb, u64(n)); err != nil {
				return err
			}
		}
		return bk.Put(kPosition, u64(to))
	})
}

func (b boltBackend) snapshot(_ context.Context, name string) (Snapshot, error) {
	s := Snapshot{Counts: map[Key]uint64{}}
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte("counts/" + name))
		s.Position = binary.BigEndian.Uint64(bk.Get(kPosition))
		return bk.ForEach(func(k, v []byte) error {
			parts := strings.SplitN(string(k), "\x00", 3)
			if len(parts) == 3 && parts[0] == "c" && len(v) == 8 {
				s.Counts[Key{parts[1], parts[2]}] = binary.BigEndian.Uint64(v)
			}
			return nil
		})
	})
	return s, err
}

func (b boltBackend) close() error { return b.db.Close() }
