package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

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
			if err := mayCreate(c); err != nil {
				return nil, err
			}
			if err := datadir.Create(ctx, c.data, init); err != nil {
				return nil, fmt.Errorf("creating a ledger in %s: %w", c.data, err)
			}
			log.Warn("created a NEW, empty ledger (新建了空账本): if you meant an existing one, stop and check --data", "data", c.data, "mode", mode)
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

// mayCreate decides whether ledgerd may found a new ledger in --data, so that a typo in
// the path never silently serves a fresh, empty ledger with a new root key in place of
// the real one: with --create=never it may not; otherwise only in a directory that does
// not exist yet (under an existing parent) or is empty.
func mayCreate(c *config) error {
	if c.create == "never" {
		return fmt.Errorf("%s holds no ledger and --create=never: check --data (%s 中没有账本，且 --create=never；请检查 --data)", c.data, c.data)
	}
	ents, err := os.ReadDir(c.data)
	switch {
	case errors.Is(err, os.ErrNotExist):
		parent := filepath.Dir(filepath.Clean(c.data))
		if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s does not exist, nor does its parent %s: a typo in --data? create the parent first (--data 的上级目录 %s 不存在，请检查路径)", c.data, parent, parent)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading --data %s: %w", c.data, err)
	case len(ents) > 0:
		return fmt.Errorf("%s exists and holds files but no ledger: refusing to found a new ledger among them; check --data (%s 已有其他文件但没有账本，拒绝在其中新建账本；请检查 --data)", c.data, c.data)
	}
	return nil
}
