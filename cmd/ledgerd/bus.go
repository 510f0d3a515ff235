package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/bus"
)

// busWiring publishes committed entries for read models running in other processes
// (ledgerd's own follow its commits directly).
type busWiring struct {
	b   *bus.Bus
	pub *bus.Publisher
}

// OnCommit queues a committed batch for the bus (nil-safe: no bus, nothing to do).
func (w *busWiring) OnCommit(es []*ledger.Entry) {
	if w != nil && w.pub != nil {
		w.pub.OnCommit(es)
	}
}

// startBus opens --bus.
func startBus(ctx context.Context, c *config, log *slog.Logger) (*busWiring, error) {
	if c.bus == "" {
		return nil, nil
	}
	b, err := bus.Open(ctx, c.bus, bus.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("--bus: %w", err)
	}
	w := &busWiring{b: b, pub: bus.NewPublisher(b.Publisher(), bus.PublisherOptions{Logger: log})}
	log.Info("publishing committed entries", "bus", b.Kind, "topic", b.Topic)
	return w, nil
}

// close publishes what is queued and closes the bus. Called after the ledger has
// drained.
func (w *busWiring) close() error {
	if w == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(w.pub.Close(ctx), w.b.Close())
}
