package commands

import (
	"context"
	"fmt"

	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
)

// writeModel is the registry the checker judges by, as a read model of the log: the
// follower that keeps every other model level keeps this one too, by the same rule
// (entries in seq order, each once, each extending the chain), only synchronously.
type writeModel struct{ s *registry.State }

func (w writeModel) Name() string { return "registry" }

func (w writeModel) Position(context.Context) (uint64, error) { return w.s.Position(), nil }

func (w writeModel) Apply(_ context.Context, es []*ledger.Entry) error {
	if p := w.s.Position(); es[0].Seq != p {
		return fmt.Errorf("registry at %d, offered %d: %w", p, es[0].Seq, follow.ErrPositionMoved)
	}
	w.s.ApplyBatch(es)
	return nil
}

// OnCommit keeps the registry current (ledger.Options.OnCommit and OnCatchUp): the
// committed batch is folded before the sequencer takes the next one. Before Attach it
// does nothing: Attach reads everything the store holds.
func (c *Checker) OnCommit(es []*ledger.Entry) {
	f := c.follower.Load()
	if f == nil {
		return
	}
	if err := f.Offer(context.Background(), es); err != nil {
		// The registry stays where it was; the next commit finds the gap and reads the
		// store again.
		c.log.Error("the registry could not fold a committed batch; retried at the next commit", "seq", es[0].Seq, "err", err)
	}
}

// Attach folds what l's store holds and lets the checker record refusals through l.
func (c *Checker) Attach(ctx context.Context, l *ledger.Ledger) error {
	f := follow.New(writeModel{c.state}, follow.Options{Store: l.Store(), Logger: c.log})
	c.follower.Store(f)
	if _, err := f.CatchUp(ctx); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	c.ledger.Store(l)
	return nil
}

// CatchUp folds what st holds beyond the registry's position now, rather than at the
// next commit: a command that lost a race for a stream re-reads it before trying again.
func (c *Checker) CatchUp(ctx context.Context, st ledger.Store) error {
	f := c.follower.Load()
	if f == nil {
		f = follow.New(writeModel{c.state}, follow.Options{Store: st, Logger: c.log})
	}
	if _, err := f.CatchUp(ctx); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}
