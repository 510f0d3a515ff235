package readmodel

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/internal/pgmigrate"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Component is the name the read models' migrations are recorded under.
const Component = "readmodels"

// PGStore keeps snapshots in the ledger's PostgreSQL database, with each model's
// current view as rows that Grafana's PostgreSQL data source charts through the
// documented views (migrations/0001_readmodels.sql, docs/readmodels.md). Several ledgerd
// on one database share it: the furthest snapshot wins.
type PGStore struct{ pool *pgxpool.Pool }

// OpenPG migrates the read-model tables on pool's database and returns a store using
// it (the caller keeps the pool).
func OpenPG(ctx context.Context, pool *pgxpool.Pool) (*PGStore, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := pgmigrate.Migrate(ctx, pool, Component, sub); err != nil {
		return nil, fmt.Errorf("read-model tables: %w", err)
	}
	return &PGStore{pool: pool}, nil
}

// KeepsViews says Save should be given the model's current report: the rows are what
// dashboards read.
func (p *PGStore) KeepsViews() bool { return true }

// Load implements Store.
func (p *PGStore) Load(ctx context.Context, name string) (*Snapshot, error) {
	s := &Snapshot{Name: name}
	var pos int64
	var last, sum []byte
	err := p.pool.QueryRow(ctx, `SELECT fold, position, last_hash, saved_at, state, state_sm3 FROM readmodel_snapshots WHERE name = $1`, name).
		Scan(&s.Fold, &pos, &last, &s.SavedAt, &s.State, &sum)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the %s snapshot: %w", name, err)
	}
	if got := crypto.SM3(s.State); len(last) != len(s.LastHash) || string(got[:]) != string(sum) || pos < 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrCorrupt)
	}
	copy(s.LastHash[:], last)
	s.Position = uint64(pos)
	return s, nil
}

// Save implements Store: the snapshot and its view's rows in one transaction, and only
// if no process has saved a further one.
func (p *PGStore) Save(ctx context.Context, s *Snapshot) error {
	sum := crypto.SM3(s.State)
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO readmodel_snapshots (name, fold, position, last_hash, saved_at, state, state_sm3)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (name) DO UPDATE SET fold = EXCLUDED.fold, position = EXCLUDED.position, last_hash = EXCLUDED.last_hash,
				saved_at = EXCLUDED.saved_at, state = EXCLUDED.state, state_sm3 = EXCLUDED.state_sm3
			WHERE readmodel_snapshots.position <= EXCLUDED.position OR readmodel_snapshots.fold <> EXCLUDED.fold`,
			s.Name, s.Fold, int64(s.Position), s.LastHash[:], s.SavedAt, s.State, sum[:])
		if err != nil {
			return fmt.Errorf("saving the %s snapshot: %w", s.Name, err)
		}
		if tag.RowsAffected() == 0 || s.View == nil {
			return nil // another process is further on: its rows stay
		}
		return writeRows(ctx, tx, s.Name, s.Position, s.View)
	})
}

// writeRows replaces model's rows with those of r.
func writeRows(ctx context.Context, tx pgx.Tx, model string, pos uint64, r *report.Report) error {
	if _, err := tx.Exec(ctx, `DELETE FROM readmodel_rows WHERE model = $1`, model); err != nil {
		return fmt.Errorf("replacing the %s rows: %w", model, err)
	}
	var rows [][]any
	asOf, err := time.Parse(time.DateOnly, r.AsOf.String())
	if err != nil {
		return fmt.Errorf("the %s view's as-of day %q: %w", model, r.AsOf, err)
	}
	for _, sec := range r.Sections {
		for j := range sec.Rows {
			rows = append(rows, []any{model, sec.Key, j, asOf, int64(pos), sec.RowMap(j, report.EN), sec.RowMap(j, report.ZH)})
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"readmodel_rows"}, []string{"model", "section", "row_no", "as_of", "position", "cells", "cells_zh"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("writing the %s rows: %w", model, err)
	}
	return nil
}

// Drop implements Store.
func (p *PGStore) Drop(ctx context.Context, name string) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM readmodel_snapshots WHERE name = $1`, name); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM readmodel_rows WHERE model = $1`, name)
		return err
	})
}

// List implements Store.
func (p *PGStore) List(ctx context.Context) ([]Info, error) {
	rows, err := p.pool.Query(ctx, `SELECT name, fold, position, saved_at, octet_length(state) FROM readmodel_snapshots ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Info, error) {
		var i Info
		var pos, n int64
		err := r.Scan(&i.Name, &i.Fold, &pos, &i.SavedAt, &n)
		i.Position, i.Bytes = uint64(pos), n
		return i, err
	})
}

// Close implements Store (the pool is the caller's).
func (p *PGStore) Close() error { return nil }
