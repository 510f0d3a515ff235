package search

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/internal/pgmigrate"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Component is the name the index's migrations are recorded under.
const Component = "search"

// PGIndex is the investigation index in the ledger's PostgreSQL database: one for a
// deployment of several ledgerd, folded by whichever holds the derived-work lease and
// read by all of them, so that adding a front-end adds no indexing work. It answers
// exactly as Index does (the same Query, the same order, the same cursors); the tests run
// both. Safe for concurrent use.
type PGIndex struct{ pool *pgxpool.Pool }

// OpenPG migrates the index's tables on pool's database and returns the index (the
// caller keeps the pool).
func OpenPG(ctx context.Context, pool *pgxpool.Pool) (*PGIndex, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := pgmigrate.Migrate(ctx, pool, Component, sub); err != nil {
		return nil, fmt.Errorf("search index tables: %w", err)
	}
	return &PGIndex{pool: pool}, nil
}

// Name is the read model's stable name.
func (x *PGIndex) Name() string { return Name }

// Position is how many entries the index holds: the next seq it needs.
func (x *PGIndex) Position(ctx context.Context) (uint64, error) {
	var pos int64
	if err := x.pool.QueryRow(ctx, `SELECT position FROM search_position`).Scan(&pos); err != nil {
		return 0, fmt.Errorf("reading the search index position: %w", err)
	}
	return uint64(pos), nil
}

// Bytes is what the index takes in the database: its table with its indexes.
func (x *PGIndex) Bytes(ctx context.Context) (int64, error) {
	var n int64
	err := x.pool.QueryRow(ctx, `SELECT pg_total_relation_size('search_acts')`).Scan(&n)
	return n, err
}

// Reset empties the index, for a rebuild from zero.
func (x *PGIndex) Reset(ctx context.Context) error {
	_, err := x.pool.Exec(ctx, `TRUNCATE search_acts; UPDATE search_position SET position = 0`)
	return err
}

var pgColumns = []string{"seq", "day", "id", "type", "stream", "institution", "person", "resources", "persons", "occurred_at", "recorded_at", "hash"}

// Apply indexes consecutive entries starting at the stored position and stores the new
// position, in one transaction; a second holder that applied first makes it fail with
// ErrPositionMoved.
func (x *PGIndex) Apply(ctx context.Context, es []*ledger.Entry) error {
	if len(es) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, x.pool, func(tx pgx.Tx) error {
		var pos int64
		if err := tx.QueryRow(ctx, `SELECT position FROM search_position FOR UPDATE`).Scan(&pos); err != nil {
			return fmt.Errorf("reading the search index position: %w", err)
		}
		if es[0].Seq != uint64(pos) {
			return fmt.Errorf("%w: at %d, given %d", ErrPositionMoved, pos, es[0].Seq)
		}
		rows := make([][]any, len(es))
		for i, e := range es {
			h := hitOf(e)
			rows[i] = []any{int64(h.Seq), h.dayKey(), h.ID, h.Type, h.Stream, h.Institution, h.Person,
				nonNil(h.Resources), nonNil(h.Persons), h.OccurredAt, h.RecordedAt, h.Hash}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"search_acts"}, pgColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("indexing entries %d–%d: %w", es[0].Seq, es[len(es)-1].Seq, err)
		}
		_, err := tx.Exec(ctx, `UPDATE search_position SET position = $1`, int64(es[len(es)-1].Seq+1))
		return err
	})
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// pgChunk is how many rows one round trip of a search reads.
const pgChunk = 500

// Search answers q from the index: the filters in SQL, Visible on each row, by day and
// then seq, a page of at most q.Limit hits, with the same cursors as Index.
func (x *PGIndex) Search(ctx context.Context, q Query) (Page, error) {
	var page Page
	at, last, err := q.bounds()
	if err != nil {
		return page, err
	}
	where, args := q.sql(last)
	for {
		rows, err := x.pool.Query(ctx, `SELECT seq, day, id, type, stream, institution, person, resources, persons, occurred_at, recorded_at, hash
			FROM search_acts WHERE (day, seq) >= ($1, $2)`+where+` ORDER BY day, seq LIMIT `+strconv.Itoa(pgChunk),
			append([]any{at.day, int64(at.seq)}, args...)...)
		if err != nil {
			return page, fmt.Errorf("searching: %w", err)
		}
		n, done := 0, false
		for rows.Next() && !done {
			var h Hit
			var seq int64
			var day string
			if err := rows.Scan(&seq, &day, &h.ID, &h.Type, &h.Stream, &h.Institution, &h.Person, &h.Resources, &h.Persons, &h.OccurredAt, &h.RecordedAt, &h.Hash); err != nil {
				rows.Close()
				return page, fmt.Errorf("reading a search result: %w", err)
			}
			n++
			h.Seq, h.Day = uint64(seq), dayOfKey(day)
			h.Resources, h.Persons = nilIfEmpty(h.Resources), nilIfEmpty(h.Persons)
			at = cursor{day: day, seq: uint64(seq)}
			page.Scanned++
			hit := q.Visible == nil || q.Visible(h)
			if hit {
				page.Hits = append(page.Hits, h)
			}
			if hit && len(page.Hits) == q.Limit || !hit && page.Scanned >= maxScan {
				page.Next = cursor{day: day, seq: uint64(seq) + 1}.String()
				done = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return page, fmt.Errorf("searching: %w", err)
		}
		if done || n < pgChunk {
			return page, nil
		}
		at.seq++
	}
}

// sql is q's filters as SQL conditions after the cursor's ($1, $2), with their arguments.
func (q Query) sql(last string) (string, []any) {
	var b strings.Builder
	args := []any{last}
	b.WriteString(" AND day <= $3")
	add := func(cond string, v string) {
		args = append(args, v)
		b.WriteString(" AND ")
		b.WriteString(strings.ReplaceAll(cond, "$", "$"+strconv.Itoa(len(args)+2)))
	}
	if q.Institution != "" {
		add("institution = $", q.Institution)
	}
	if q.Person != "" {
		add("(person = $ OR $ = ANY(persons))", q.Person)
	}
	if q.Resource != "" {
		add("resources @> ARRAY[$]::text[]", q.Resource)
	}
	if q.Type != "" {
		add("type = $", q.Type)
	}
	if q.Stream != "" {
		add("stream = $", q.Stream)
	}
	return b.String(), args
}

// dayOfKey is the day YYYY-MM-DD of a day key YYYYMMDD ("" for noDay).
func dayOfKey(k string) string {
	if k == noDay || len(k) != 8 {
		return ""
	}
	return k[0:4] + "-" + k[4:6] + "-" + k[6:8]
}

func nilIfEmpty(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}
