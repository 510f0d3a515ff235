package pgstore_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// TestMigrations: several processes starting at once on an empty database apply each
// migration exactly once; a database migrated by a newer program is refused.
func TestMigrations(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := pgstore.Open(ctx, url, pgstore.Options{MaxConns: 2})
			if err == nil {
				st.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := open(t, url)
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.Pool().QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE component = $1", pgstore.Component).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("%d migrations recorded, want %d (%v)", n, len(files), err)
	}
	if _, err := st.Pool().Exec(ctx, "INSERT INTO schema_migrations (component, version, name) VALUES ($1, 99, '0099_future.sql')", pgstore.Component); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(ctx, url, pgstore.Options{}); !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Fatalf("opening a newer schema: %v, want ErrSchemaTooNew", err)
	}
}
