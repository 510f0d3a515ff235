package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
	"github.com/aba-prefecture/dataledger/projections/search"
	"github.com/spf13/cobra"
)

func init() { register(newRebuildCmd) }

// rebuilt is what `rebuild --json` prints per model.
type rebuilt struct {
	Model    string  `json:"model"`
	Entries  uint64  `json:"entries"`
	ElapsedS float64 `json:"elapsed_s"`
	PerS     float64 `json:"entries_per_s"`
	Bytes    int64   `json:"bytes"` // size on disk (or in the database) of what it keeps
}

func newRebuildCmd() *cobra.Command {
	var (
		rf     reportFlags // --data, --store, --policy, --calendar
		asJSON bool
	)
	names := append(kinds.Default().Names(), "search")
	c := &cobra.Command{
		Use:   "rebuild NAME|all (--data DIR | --store URL)",
		Short: "Fold a read model again from the first entry 从头重建读模型: " + strings.Join(names, ", ") + ", all",
		Long: `Forget a read model's saved state and fold the whole log into it again, then save
it: the report kinds (` + strings.Join(kinds.Default().Names(), ", ") + `), kept in
DATA/readmodels or the PostgreSQL tables, and the investigation index (search,
DATA/search.db, or the search_acts table of a PostgreSQL deployment). Reports and searches read these models; ledgerd rebuilds a model by
itself when its saved state was written by other code, under another policy or
calendar, or of another log, so this is for an operator who wants it done now (after
restoring a backup, before a peak) or who doubts a model.

With --data DIR ledgerd must be stopped (the store file is locked). With --store
postgres://… it may run: the rebuilt state is saved only if no ledgerd saved a further one.

Prints, per model, the entries folded, the time, entries per second and the size kept.
Exit 0: rebuilt. Exit 2: usage or I/O error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			which := []string{args[0]}
			if args[0] == "all" {
				which = names
			}
			for _, n := range which {
				if !slices.Contains(names, n) {
					return usage("rebuild: no read model %q (%s, all)", n, strings.Join(names, ", "))
				}
			}
			if rf.dir == "" && rf.store == "" {
				return usage("rebuild: --data DIR or --store URL is required (需要 --data 或 --store 参数)")
			}
			out, err := rf.rebuildModels(cmd, which)
			if err != nil {
				return usage("rebuild: %v", err)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(w).Encode(out)
			}
			for _, r := range out {
				fmt.Fprintf(w, "rebuilt 已重建 %-15s %d entries in %.1fs (%.0f/s), %s kept\n", r.Model, r.Entries, r.ElapsedS, r.PerS, byteSize(r.Bytes))
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&rf.dir, "data", os.Getenv("LEDGER_DATA"), "ledger data directory (env LEDGER_DATA)")
	storeFlag(fl, &rf.store)
	fl.StringVar(&rf.calFile, "calendar", os.Getenv("LEDGER_CALENDAR"), "the operator calendar ledgerd runs with [env LEDGER_CALENDAR]")
	fl.StringVar(&rf.polFile, "policy", os.Getenv("LEDGER_POLICY"), "the operator policy ledgerd runs with [env LEDGER_POLICY]")
	fl.BoolVar(&asJSON, "json", false, "print a JSON array on standard output")
	return c
}

// rebuild folds each named model from zero and saves it.
func (rf *reportFlags) rebuildModels(cmd *cobra.Command, names []string) ([]rebuilt, error) {
	ctx := cmd.Context()
	o, err := rf.options()
	if err != nil {
		return nil, err
	}
	st, err := openLedgerStore(ctx, rf.dir, rf.store)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []rebuilt
	for _, n := range names {
		update, finish := progress(cmd, "rebuilding "+n+" 重建中", "entries")
		start := time.Now()
		var r rebuilt
		if n == "search" {
			r, err = rf.rebuildSearch(ctx, st, update)
		} else {
			r, err = rf.rebuildReport(ctx, st, n, o, update)
		}
		finish()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		r.Model, r.ElapsedS = n, time.Since(start).Seconds()
		if r.ElapsedS > 0 {
			r.PerS = float64(r.Entries) / r.ElapsedS
		}
		out = append(out, r)
	}
	return out, nil
}

func (rf *reportFlags) rebuildReport(ctx context.Context, st ledger.Store, name string, o report.Options, update func(done, total uint64)) (rebuilt, error) {
	set, snaps, err := openReadModels(ctx, rf.dir, st, kinds.Default(), []string{name}, o, true)
	if err != nil {
		return rebuilt{}, err
	}
	if set == nil {
		return rebuilt{}, errors.New("a store without a data directory keeps no read model (give --data)")
	}
	defer snaps.Close()
	if err := snaps.Drop(ctx, name); err != nil {
		return rebuilt{}, err
	}
	if err := catchUp(ctx, set, st, update); err != nil {
		return rebuilt{}, err
	}
	if err := set.Save(ctx); err != nil {
		return rebuilt{}, err
	}
	var r rebuilt
	if m, ok := set.Get(name); ok {
		r.Entries, _ = m.Position(ctx)
	}
	infos, err := snaps.List(ctx)
	for _, i := range infos {
		if i.Name == name {
			r.Bytes = i.Bytes
		}
	}
	return r, err
}

func (rf *reportFlags) rebuildSearch(ctx context.Context, st ledger.Store, update func(done, total uint64)) (rebuilt, error) {
	if pg, ok := st.(*pgstore.Store); ok {
		// The deployment's index in the database: emptied and folded again here; the
		// ledgerd holding the derived-work lease goes on from where this leaves it.
		idx, err := search.OpenPG(ctx, pg.Pool())
		if err != nil {
			return rebuilt{}, err
		}
		if err := idx.Reset(ctx); err != nil {
			return rebuilt{}, err
		}
		s, err := follow.New(idx, follow.Options{Store: st, Progress: update, Logger: slog.New(slog.DiscardHandler)}).CatchUp(ctx)
		if err != nil {
			return rebuilt{}, err
		}
		size, err := idx.Bytes(ctx)
		return rebuilt{Entries: s.Position, Bytes: size}, err
	}
	if rf.dir == "" {
		return rebuilt{}, errors.New("the investigation index lives in --data DIR")
	}
	path := filepath.Join(rf.dir, "search.db")
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return rebuilt{}, err
	}
	idx, err := search.Open(path)
	if err != nil {
		return rebuilt{}, err
	}
	s, err := follow.New(idx, follow.Options{Store: st, Progress: update, Logger: slog.New(slog.DiscardHandler)}).CatchUp(ctx)
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rebuilt{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return rebuilt{}, err
	}
	return rebuilt{Entries: s.Position, Bytes: fi.Size()}, nil
}

// byteSize is n in KiB, MiB or GiB, as an operator reads a size.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
}
