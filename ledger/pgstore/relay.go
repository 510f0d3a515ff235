package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/jackc/pgx/v5"
)

// Advertise records addr as where the holder of the named lease can be reached by the
// deployment's other processes (the sequencing point's relay listener). The holder
// calls it each time it takes the lease.
func (s *Store) Advertise(ctx context.Context, name, addr string) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO ledger_relay (name, address) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET address = EXCLUDED.address, since = now()`, name, addr); err != nil {
		return fmt.Errorf("advertising %s: %w", name, err)
	}
	return nil
}

// Advertised is the address last advertised for the named lease; an error wrapping
// ledger.ErrNotFound if none was.
func (s *Store) Advertised(ctx context.Context, name string) (string, error) {
	var addr string
	err := s.pool.QueryRow(ctx, `SELECT address FROM ledger_relay WHERE name = $1`, name).Scan(&addr)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("no address advertised for %s: %w", name, ledger.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("reading the address advertised for %s: %w", name, err)
	}
	return addr, nil
}
