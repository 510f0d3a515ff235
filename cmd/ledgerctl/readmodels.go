package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/projections/readmodel"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// openReadModels opens the read models of the kinds named, where ledgerd keeps them: the
// ledger's PostgreSQL database, or DIR/readmodels beside the embedded store; a store
// given without a data directory has none (nil, nil, nil). rebuild starts them from
// zero. The caller closes the snapshot store.
func openReadModels(ctx context.Context, dir string, st ledger.Store, reg *report.Registry, names []string, o report.Options, rebuild bool) (*readmodel.Set, readmodel.Store, error) {
	var snaps readmodel.Store
	var err error
	switch pg, ok := st.(*pgstore.Store); {
	case ok:
		snaps, err = readmodel.OpenPG(ctx, pg.Pool())
	case dir != "":
		snaps, err = readmodel.OpenDir(filepath.Join(dir, "readmodels"))
	default:
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	set, err := readmodel.OpenSet(ctx, reg, names, o, st, readmodel.Options{Store: snaps, Rebuild: rebuild, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		snaps.Close()
		return nil, nil, err
	}
	return set, snaps, nil
}

// catchUp brings every model of set level with the log, reporting progress.
func catchUp(ctx context.Context, set *readmodel.Set, st ledger.Store, update func(done, total uint64)) error {
	for _, m := range set.Models() {
		f := follow.New(m, follow.Options{Store: st, Progress: update, Logger: slog.New(slog.DiscardHandler)})
		if _, err := f.CatchUp(ctx); err != nil {
			return fmt.Errorf("read model %s: %w", m.Name(), err)
		}
	}
	return nil
}
