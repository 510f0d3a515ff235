package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/relay"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
)

// relayConfig is where this front-end takes part in a deployment's one sequencing point
// (docs/storage.md, "One sequencing point").
type relayConfig struct {
	listen     string // --relay-listen: the relay listener; "" keeps every front-end writing for itself
	advertise  string // --relay-advertise: the address the others reach it at (default: the listener's)
	secretFile string // --relay-secret-file
	secret     []byte // its content, read by check
}

func (r *relayConfig) register(fs *pflag.FlagSet) {
	fs.StringVar(&r.listen, "relay-listen", "", "with --store postgres://…: listen here for the other front-ends' admitted submissions and, while holding the sequencing lease, seal and commit every front-end's (one sequencing point); the others forward theirs (default: off, every front-end commits its own)")
	fs.StringVar(&r.advertise, "relay-advertise", "", "HOST:PORT the other front-ends reach --relay-listen at (default: the listener's address)")
	fs.StringVar(&r.secretFile, "relay-secret-file", "", "file holding the deployment's relay secret (at least 32 bytes, the same in every front-end; required with --relay-listen)")
}

// check refuses a relay configuration no deployment can run with, before anything is
// created or opened: it reads the secret.
func (r *relayConfig) check(store string) error {
	switch {
	case r.listen == "" && (r.secretFile != "" || r.advertise != ""):
		return errors.New("--relay-secret-file and --relay-advertise take effect only with --relay-listen")
	case r.listen == "":
		return nil
	case r.secretFile == "":
		return errors.New("--relay-listen needs --relay-secret-file: the front-ends prove themselves to each other with it")
	case storeurl.Kind(store) != storeurl.Postgres:
		return errors.New("--relay-listen needs a store several front-ends share: --store postgres://…")
	}
	var err error
	if r.secret, err = relay.ReadSecretFile(r.secretFile); err != nil {
		return fmt.Errorf("--relay-secret-file: %w", err)
	}
	return nil
}

// leaseSequencer names the sequencing lease. With a relay the derived work runs under
// it too: the sequencing point delivers every commit to the read models as its own,
// and no other front-end needs to read the log entry by entry.
const leaseSequencer = "ledgerd/sequencer"

// advertiser is a store that says where a lease's holder is (pgstore).
type advertiser interface {
	ledger.Leaser
	Advertise(ctx context.Context, name, addr string) error
	Advertised(ctx context.Context, name string) (string, error)
}

// relayRuntime is this front-end's part in the sequencing point: the lease, the relay
// listener (served while holding it), and the client that forwards while not.
type relayRuntime struct {
	st     advertiser
	lease  ledger.Lease
	secret []byte
	addr   string // advertised
	ln     net.Listener
	srv    *http.Server
	client *relay.Client
	ready  atomic.Bool // the lease is held and the checker has caught up: sequencing
	log    *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup

	freshMu sync.Mutex
	freshAt time.Time
}

// openRelay starts competing for the sequencing lease and binds the relay listener;
// nil without --relay-listen.
func openRelay(c *config, st ledger.Store, d *daemon) (*relayRuntime, error) {
	if c.relay.listen == "" {
		return nil, nil
	}
	as, ok := st.(advertiser)
	if !ok {
		return nil, errors.New("--relay-listen needs a store several front-ends share: --store postgres://…")
	}
	secret := c.relay.secret
	ln, err := net.Listen("tcp", c.relay.listen)
	if err != nil {
		return nil, fmt.Errorf("--relay-listen %s: %w", c.relay.listen, err)
	}
	r := &relayRuntime{st: as, secret: secret, ln: ln, addr: c.relay.advertise, log: d.log}
	if r.addr == "" {
		if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsUnspecified() {
			ln.Close()
			return nil, fmt.Errorf("--relay-listen %s listens on every interface: name the address the other front-ends reach it at with --relay-advertise HOST:PORT", c.relay.listen)
		}
		r.addr = ln.Addr().String()
	}
	r.client, err = relay.NewClient(relay.Options{
		Secret:     secret,
		Lookup:     func(ctx context.Context) (string, error) { return as.Advertised(ctx, leaseSequencer) },
		Sequencing: r.sequencing,
		Local: func(ctx context.Context, items []*ledger.Signed) ([]ledger.Receipt, []error) {
			return d.l.AppendVerified(ctx, items)
		},
		Logger: d.log,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	r.lease = as.Lease(leaseSequencer)
	d.log.Info("one sequencing point: this front-end seals while it holds the lease and forwards otherwise", "lease", leaseSequencer, "relay", r.addr)
	return r, nil
}

// sequencing reports whether this process is the sequencing point now.
func (r *relayRuntime) sequencing() bool { return r.ready.Load() && r.lease.Held() }

// start serves the relay listener and, each time the lease is taken, catches the
// domain's state up with the log, advertises the relay address and starts sealing.
func (r *relayRuntime) start(l *ledger.Ledger, chk *commands.Checker, reg prometheus.Registerer) error {
	if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_sequencing",
		Help: "1 while this front-end is the deployment's sequencing point (it seals and commits every front-end's submissions), else 0."},
		func() float64 {
			if r.sequencing() {
				return 1
			}
			return 0
		})); err != nil {
		return err
	}
	h, err := relay.NewServer(l, r.secret, r.sequencing, r.log)
	if err != nil {
		return err
	}
	r.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(r.log.Handler(), slog.LevelWarn)}
	go r.srv.Serve(r.ln)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Go(func() { r.standBy(ctx, chk, l.Store()) })
	r.wg.Go(func() {
		whileHeld(ctx, r.lease, func(ctx context.Context) {
			defer r.ready.Store(false)
			// The checker judges by the state the log leaves: while forwarding this
			// process skimmed the log, so the state is brought level before anything is
			// judged here.
			for ctx.Err() == nil {
				err := chk.State().CatchUp(ctx, l.Store())
				if err == nil {
					err = r.st.Advertise(ctx, leaseSequencer, r.addr)
				}
				if err == nil {
					break
				}
				r.log.Error("taking up the sequencing point failed; trying again", "err", err)
				sleep(ctx, time.Second)
			}
			if ctx.Err() != nil {
				return
			}
			r.ready.Store(true)
			r.log.Info("this front-end is the sequencing point", "relay", r.addr)
			<-ctx.Done()
			r.log.Info("this front-end is no longer the sequencing point")
		})
	})
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// close stops sealing and hands the lease on at once, so that another front-end takes
// over while this one finishes the relayed requests it accepted (the head lock keeps the
// two apart meanwhile); then the relay listener and the client stop. It runs after the
// public listener has stopped: nothing more is forwarded from here.
func (r *relayRuntime) close() {
	if r == nil {
		return
	}
	if r.cancel != nil {
		r.cancel()
		r.wg.Wait()
	}
	r.lease.Close()
	if r.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r.srv.Shutdown(ctx)
		cancel()
	} else {
		r.ln.Close()
	}
	r.client.Close()
}

// forwarder is the ledger's Forward option: nil without a relay.
func (r *relayRuntime) forwarder() ledger.Forwarder {
	if r == nil {
		return nil
	}
	return r.client
}

// standByEvery is how often a front-end that forwards brings its domain state level with
// the log while nothing asks it to: taking over the sequencing point then folds at most
// this much of the log before it judges anything, whatever the log's length, so that a
// fail-over stays within a lease or two. Each entry is still folded once per front-end,
// but in large runs parsed on every core, off the write path, not under the head lock.
const standByEvery = 2 * time.Second

// standBy keeps the domain state of a front-end that forwards no more than standByEvery
// behind the log, until ctx ends.
func (r *relayRuntime) standBy(ctx context.Context, chk *commands.Checker, st ledger.Store) {
	every(ctx, standByEvery, func() {
		if !r.sequencing() {
			r.freshen(chk, st)
		}
	})
}

// freshEvery is how stale the domain's state may be when a front-end that forwards
// (and so skims the log) judges what someone may read with it.
const freshEvery = 100 * time.Millisecond

// freshStreams is the stream-ownership rule for reads (api.StreamHolders) on a front-end
// that may be forwarding: its checker's state is not fed entry by entry, so it is caught
// up with the log, at most every freshEvery, before it answers. The sequencing point's
// is current and answers at once.
type freshStreams struct {
	r     *relayRuntime
	chk   *commands.Checker
	st    ledger.Store
	state *registry.State
}

// MayRead implements api.StreamHolders.
func (f freshStreams) MayRead(inst, stream string, seq uint64) bool {
	if f.r != nil && !f.r.sequencing() {
		f.r.freshen(f.chk, f.st)
	}
	return f.state.MayRead(inst, stream, seq)
}

func (r *relayRuntime) freshen(chk *commands.Checker, st ledger.Store) {
	r.freshMu.Lock()
	defer r.freshMu.Unlock()
	if time.Since(r.freshAt) < freshEvery {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := chk.State().CatchUp(ctx, st); err != nil {
		r.log.Warn("bringing the domain's state level with the log for a read failed", "err", err)
		return
	}
	r.freshAt = time.Now()
}
