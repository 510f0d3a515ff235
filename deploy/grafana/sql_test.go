package grafana_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/projections/readmodel"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Every PostgreSQL panel's SQL runs on the read-model views as the read-only role of
// sql/grafana_reader.sql (template variables as All), and that role can write nothing
// and read no table behind the views.
func TestSQLPanelsRunAsTheReaderRole(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := readmodel.OpenPG(ctx, pool); err != nil {
		t.Fatal(err)
	}
	role, err := os.ReadFile(filepath.Join("sql", "grafana_reader.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(role)); err != nil {
		t.Fatalf("grafana_reader.sql: %v", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET ROLE ledger_grafana"); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "RESET ROLE")
	n := 0
	for name, b := range boards(t) {
		for _, p := range b.all() {
			for _, q := range p.Targets {
				if q.RawSQL == "" {
					continue
				}
				sql := strings.NewReplacer("${county:regex}", ".*", "${institution:regex}", ".*").Replace(q.RawSQL)
				rows, err := conn.Query(ctx, sql)
				if err == nil {
					rows.Close()
					err = rows.Err()
				}
				if err != nil {
					t.Errorf("%s: panel %q: %v\n%s", name, p.Title, err, sql)
				}
				n++
			}
		}
	}
	if n < 4 {
		t.Fatalf("%d SQL panels, want the four read-model tables", n)
	}
	for _, forbidden := range []string{"SELECT state FROM readmodel_snapshots", "DELETE FROM readmodel_rows"} {
		if _, err := conn.Exec(ctx, forbidden); err == nil {
			t.Errorf("the reader role may %q", forbidden)
		}
	}
}
