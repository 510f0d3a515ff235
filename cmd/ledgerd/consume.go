package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/bus"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
	"github.com/aba-prefecture/dataledger/projections/counts"
	"github.com/aba-prefecture/dataledger/projections/runner"
	"github.com/jackc/pgx/v5/pgxpool"
)

// consumers are the read models ledgerd can run (in-process with --consume, or as
// `ledgerd consume --consumer NAME`).
var consumers = []string{"counts"}

// openConsumer opens the named consumer's state: with state "" it is kept beside the
// entries (the same PostgreSQL database, or COUNTS.db in dir); a postgres:// state or a
// file path says where.
func openConsumer(ctx context.Context, name, state string, st ledger.Store, dir string) (*counts.Consumer, error) {
	if name != "counts" {
		return nil, fmt.Errorf("unknown consumer %q (known: %s)", name, strings.Join(consumers, ", "))
	}
	switch {
	case state == "":
		if pg, ok := st.(*pgstore.Store); ok {
			return counts.NewPG(ctx, pg.Pool(), name)
		}
		return counts.NewBolt(filepath.Join(dir, name+".db"), name)
	case storeurl.Kind(state) == storeurl.Postgres:
		pool, err := pgxpool.New(ctx, state)
		if err != nil {
			return nil, fmt.Errorf("--state: %w", err)
		}
		c, err := counts.NewPG(ctx, pool, name)
		if err != nil {
			pool.Close()
		}
		return c, err // the pool lives as long as the process
	}
	return counts.NewBolt(state, name)
}

// busWiring publishes committed entries and runs in-process consumers.
type busWiring struct {
	b      *bus.Bus
	pub    *bus.Publisher
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closer []func() error
}

// OnCommit queues a committed batch for the bus (nil-safe: no bus, nothing to do).
func (w *busWiring) OnCommit(es []*ledger.Entry) {
	if w != nil && w.pub != nil {
		w.pub.OnCommit(es)
	}
}

// startBus opens --bus (in-process GoChannel when only --consume is given) and starts
// the --consume consumer.
func startBus(ctx context.Context, c *config, st ledger.Store, log *slog.Logger) (*busWiring, error) {
	if c.bus == "" && c.consume == "" {
		return nil, nil
	}
	b, err := bus.Open(ctx, c.bus, bus.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("--bus: %w", err)
	}
	w := &busWiring{b: b, pub: bus.NewPublisher(b.Publisher(), bus.PublisherOptions{Logger: log})}
	log.Info("publishing committed entries", "bus", b.Kind, "topic", b.Topic)
	if c.consume != "" {
		cons, err := openConsumer(ctx, c.consume, "", st, c.data)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("--consume: %w", err)
		}
		w.closer = append(w.closer, cons.Close)
		sub, err := b.Subscriber(cons.Name())
		if err != nil {
			w.close()
			return nil, fmt.Errorf("--consume: %w", err)
		}
		w.closer = append(w.closer, sub.Close)
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		w.cancel = cancel
		r := runner.New(cons, runner.Options{Store: st, Subscriber: sub, Topic: b.Topic, Logger: log})
		// With several ledgerd on one database the read model is kept by one of them:
		// the holder of its lease (--derived).
		lease := derivedLeaseFor(c.derived, st, leaseConsumer+cons.Name(), log)
		if lease != nil {
			w.closer = append(w.closer, lease.Close)
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			whileHeld(rctx, lease, func(ctx context.Context) {
				if err := r.Run(ctx); err != nil {
					log.Error("consumer stopped", "consumer", cons.Name(), "err", err)
				}
			})
		}()
		log.Info("running consumer in-process", "consumer", cons.Name())
	}
	return w, nil
}

// close publishes what is queued, stops the consumer and closes the bus. Called after
// the ledger has drained.
func (w *busWiring) close() error {
	if w == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := w.pub.Close(ctx)
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
	errs := []error{err}
	for i := len(w.closer) - 1; i >= 0; i-- {
		errs = append(errs, w.closer[i]())
	}
	return errors.Join(append(errs, w.b.Close())...)
}

// runConsume is `ledgerd consume`: one consumer in its own process, fed from the bus
// and the store, until signalled (or, with --to-end, until it has caught up).
func runConsume(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ledgerd consume", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		store, busURL, name, state, data, logLevel string
		toEnd                                      bool
		poll                                       time.Duration
	)
	fs.StringVar(&store, "store", "", "the ledger's store: postgres://… or esdb://… (a bolt file is held by ledgerd itself: use --consume there)")
	fs.StringVar(&busURL, "bus", "", "the bus ledgerd publishes on: nats://HOST:PORT or postgres://… (empty: read the store only)")
	fs.StringVar(&name, "consumer", "counts", "the consumer to run: "+strings.Join(consumers, ", "))
	fs.StringVar(&state, "state", "", "where the consumer keeps its read model and position: postgres://… or a bbolt file (default: the store's database, or NAME.db in --data)")
	fs.StringVar(&data, "data", ".", "directory for a bbolt read model when --state is not given")
	fs.BoolVar(&toEnd, "to-end", false, "catch up to the store's head, print the read model as JSON and exit")
	fs.DurationVar(&poll, "poll", 2*time.Second, "how often to look at the store's head regardless of the bus")
	fs.StringVar(&logLevel, "log-level", "info", "log level")
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv("LEDGER_CONSUME_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))); v != "" && envErr == nil {
			envErr = f.Value.Set(v)
		}
	})
	if envErr == nil {
		envErr = fs.Parse(args)
	}
	if errors.Is(envErr, flag.ErrHelp) {
		return exitOK
	}
	if envErr == nil && store == "" {
		envErr = errors.New("--store is required")
	}
	if envErr == nil && (storeurl.Kind(store) == storeurl.Bolt || storeurl.Kind(store) == storeurl.DataDir) && !toEnd {
		envErr = errors.New("--store: a bolt file can be open in one process only; run the consumer inside ledgerd with --consume, or use --to-end while ledgerd is stopped")
	}
	var lvl slog.Level
	if envErr == nil {
		envErr = lvl.UnmarshalText([]byte(logLevel))
	}
	if envErr != nil {
		fmt.Fprintln(stderr, "ledgerd consume:", envErr)
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	st, err := storeurl.Open(ctx, store, storeurl.Options{Logger: log, PGMaxConns: 4})
	if err != nil {
		fmt.Fprintln(stderr, "ledgerd consume:", err)
		return exitUsage
	}
	defer st.Close()
	cons, err := openConsumer(ctx, name, state, st, data)
	if err != nil {
		fmt.Fprintln(stderr, "ledgerd consume:", err)
		return exitUsage
	}
	defer cons.Close()
	o := runner.Options{Store: st, PollEvery: poll, Logger: log}
	if busURL != "" && !toEnd {
		b, err := bus.Open(ctx, busURL, bus.Options{Logger: log})
		if err != nil {
			fmt.Fprintln(stderr, "ledgerd consume: --bus:", err)
			return exitUsage
		}
		defer b.Close()
		sub, err := b.Subscriber(name)
		if err != nil {
			fmt.Fprintln(stderr, "ledgerd consume: --bus:", err)
			return exitUsage
		}
		defer sub.Close()
		o.Subscriber, o.Topic = sub, b.Topic
	}
	r := runner.New(cons, o)
	if toEnd {
		if _, err := r.RunToEnd(ctx); err != nil {
			fmt.Fprintln(stderr, "ledgerd consume:", err)
			return exitFailure
		}
		s, err := cons.Snapshot(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "ledgerd consume:", err)
			return exitFailure
		}
		json.NewEncoder(stdout).Encode(map[string]any{"consumer": name, "position": s.Position, "counts": s.Rows()})
		return exitOK
	}
	log.Info("consumer running", "consumer", name, "store", storeurl.Redact(store), "bus", storeurl.Redact(busURL))
	if err := r.Run(ctx); err != nil {
		log.Error("consumer failed", "err", err)
		return exitFailure
	}
	log.Info("consumer stopped", "stats", r.Stats())
	return exitOK
}
