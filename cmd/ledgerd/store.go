package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
)

// openStore opens the store the ledger lives in, creating the ledger on first start:
// DATA/ledger.db by default, or the store named by --store (PostgreSQL, EventStoreDB, a
// bolt file elsewhere), in which case DATA keeps the keys and published checkpoints.
func openStore(ctx context.Context, c *config, rootPub *crypto.PublicKey, log *slog.Logger) (ledger.Store, error) {
	mode := "production: root key held by the authority"
	if rootPub == nil {
		mode = "single-operator: root key generated in " + datadir.Paths{Dir: c.data}.RootKey()
	}
	init := datadir.InitOptions{Authority: c.authority, Origin: c.origin, RootPub: rootPub}
	if c.store == "" {
		if !datadir.Exists(c.data) {
			if err := datadir.Create(ctx, c.data, init); err != nil {
				return nil, fmt.Errorf("creating a ledger in %s: %w", c.data, err)
			}
			log.Info("created a new ledger", "data", c.data, "mode", mode)
		}
		return datadir.OpenStore(c.data)
	}
	if storeurl.Kind(c.store) == storeurl.DataDir {
		return nil, fmt.Errorf("--store %q: want bolt:PATH, postgres://… or esdb://… (a data directory is --data)", c.store)
	}
	st, err := storeurl.Open(ctx, c.store, storeurl.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("--store: %w", err)
	}
	h, err := st.Head(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("--store: %w", err)
	}
	if h.Size == 0 {
		// An empty store: found the ledger there, with keys in DATA. Several ledgerd for
		// one database are started once from one DATA, then given copies of DATA/keys.
		init.Store = st
		if err := datadir.Create(ctx, c.data, init); err != nil {
			st.Close()
			return nil, fmt.Errorf("creating a ledger in %s (keys in %s): %w", storeurl.Redact(c.store), c.data, err)
		}
		log.Info("created a new ledger", "store", storeurl.Redact(c.store), "data", c.data, "mode", mode)
	}
	if bl, ok := st.(ledger.BatchLimiter); ok {
		// The sequencer closes each batch before it would pass what one append carries.
		log.Info("group commits are capped by the store's append size as well as --max-batch", "max_batch", c.maxBatch, "max_batch_bytes", bl.MaxBatchBytes())
	}
	return st, nil
}
