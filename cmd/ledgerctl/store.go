package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
	"github.com/spf13/pflag"
)

// storeFlag adds --store, the ledger's entries somewhere else than DIR/ledger.db.
func storeFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "store", os.Getenv("LEDGER_STORE"),
		"where the entries live, if not in --data: bolt:PATH, postgres://… or esdb://… (env LEDGER_STORE); --data keeps keys and published checkpoints")
}

// openLedgerStore opens --store if given, else the data directory's embedded store.
func openLedgerStore(ctx context.Context, dir, store string) (ledger.Store, error) {
	if store == "" {
		return datadir.OpenStore(dir)
	}
	return storeurl.Open(ctx, store, storeurl.Options{PGMaxConns: 4})
}

// openEmptyStore opens an external store a benchmark may fill: it must hold nothing.
func openEmptyStore(ctx context.Context, store string) (ledger.Store, error) {
	st, err := storeurl.Open(ctx, store, storeurl.Options{PGMaxConns: 8})
	if err != nil {
		return nil, err
	}
	h, err := st.Head(ctx)
	if err == nil && h.Size > 0 {
		err = fmt.Errorf("%s holds %d entries; the benchmark needs an empty store", storeurl.Redact(store), h.Size)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
