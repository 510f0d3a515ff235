package pgmigrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLock is the advisory lock key under which every component's migrations run,
// so that several processes starting at once on an empty database apply each migration
// exactly once. (The bytes of "dledger\x01", as a bigint.)
const migrationLock int64 = 0x646c65646765_7201

// Migrate applies, in order, the migrations in fsys (files named NNNN_name.sql at its
// root) that component has not applied yet on the database behind pool. It records each
// in schema_migrations (component, version) in the same transaction as the migration,
// and holds a session advisory lock while it works, so concurrent starters queue instead
// of racing. Other components (projections) use it with their own name and files.
func Migrate(ctx context.Context, pool *pgxpool.Pool, component string, fsys fs.FS) error {
	type mig struct {
		version int
		name    string
		sql     string
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return err
	}
	var ms []mig
	for _, n := range names {
		v, _, ok := strings.Cut(path.Base(n), "_")
		version, err := strconv.Atoi(v)
		if !ok || err != nil || version <= 0 {
			return fmt.Errorf("migration file %s is not named NNNN_name.sql", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return err
		}
		ms = append(ms, mig{version, path.Base(n), string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return fmt.Errorf("two migrations numbered %d", ms[i].version)
		}
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connecting to migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() {
		// A failed unlock leaves the lock with the session; closing it releases the lock.
		if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
			conn.Conn().Close(context.Background())
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component  text        NOT NULL,
		version    integer     NOT NULL,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations WHERE component = $1", component)
	if err != nil {
		return fmt.Errorf("reading schema_migrations: %w", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("reading schema_migrations: %w", err)
	}
	for _, v := range vs {
		applied[int(v)] = true
	}
	// A database migrated by a newer program is refused: this one does not know its schema.
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	for v := range applied {
		if v > known {
			return fmt.Errorf("%w: %s is at migration %d, this program knows up to %d", ErrSchemaTooNew, component, v, known)
		}
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)", component, m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("applying migration %s/%s: %w", component, m.name, err)
		}
	}
	return nil
}

// ErrSchemaTooNew: the database was migrated by a newer version of the program.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")
