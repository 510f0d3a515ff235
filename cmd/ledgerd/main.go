package main

import (
	"context"
	"crypto/tls"
	"errors"

	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/console"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/internal/bilingual"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-ctx.Done()
		stop() // a second signal now takes the default action: stop at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil))
}

// config is the parsed command line.
type config struct {
	data, listen, rootPub, authority, origin string
	logFormat, logLevel                      string
	checkpointEvery                          time.Duration
	shutdownTimeout, drainDelay, maxSkew     time.Duration
	trimEvery                                time.Duration
	complianceEvery                          time.Duration
	policyFile, calendarFile                 string
	maxRequest, maxPayload, maxBatch         int
	bundleMax                                uint64
	witnesses                                witnessFlags
	store, bus                               string
	relay                                    relayConfig // relay.go
	create, search                           string
	derived                                  string       // lease.go
	access                                   accessConfig // access.go

	metrics metricsConfig // metrics.go
}

func newLogger(c *config, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %v", err)
	}
	o := &slog.HandlerOptions{Level: lvl}
	if c.logFormat == "text" {
		return slog.New(slog.NewTextHandler(w, o)), nil
	}
	return slog.New(slog.NewJSONHandler(w, o)), nil
}

// run is main without the process: ctx's end is the shutdown signal, and listening (if
// not nil) is told the bound address once the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, listening func(addr string)) int {
	c, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, errShown) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "ledgerd:", bilingual.Line(err.Error(), "启动参数有误，详见 ledgerd --help"))
		return exitUsage
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "ledgerd:", bilingual.Line(err.Error(), "启动参数有误，详见 ledgerd --help"))
		return exitUsage
	}
	d, err := open(ctx, c, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitUsage
	}
	return d.serve(ctx, listening)
}

// daemon is one running ledgerd.
type daemon struct {
	c      *config
	log    *slog.Logger
	st     ledger.Store
	l      *ledger.Ledger
	bus    *busWiring // nil without --bus/--consume
	api    *api.Server
	srv    *http.Server
	ln     net.Listener
	closed bool
	access *accessRuntime // access.go
	trim   *boltstore.Trimmer
	models *readModels   // readmodels.go: every follower of this process
	relay  *relayRuntime // relay.go: nil without --relay-listen

	metrics *metricsServer // metrics.go: nil without --metrics-listen
}

// open creates the ledger if needed, opens store and ledger, and binds the listener, so
// that every configuration error surfaces before the server claims to be up.
func open(ctx context.Context, c *config, log *slog.Logger) (*daemon, error) {
	d := &daemon{c: c, log: log}
	ok := false
	defer func() {
		if !ok {
			d.closeLedger()
		}
	}()
	w, err := d.openLedger(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.openHTTP(ctx, w); err != nil {
		return nil, err
	}
	ok = true
	return d, nil
}

// wiring is what opening the ledger made that the HTTP side needs too.
type wiring struct {
	rootPub *crypto.PublicKey
	lk      *crypto.PrivateKey
	pub     *ledger.DirPublisher
	reg     *prometheus.Registry
	m       *api.Metrics
	pol     *policy.Set
	cal     *calendar.Calendar
	chk     *commands.Checker
}

// openLedger opens the store and the ledger on it, with the checker, the read models and
// the metrics wired to its commits, and folds the registry before anything is admitted.
func (d *daemon) openLedger(ctx context.Context) (*wiring, error) {
	c, log := d.c, d.log
	w := &wiring{}
	if c.rootPub != "" {
		k, err := crypto.ReadPublicKeyFile(c.rootPub)
		if err != nil {
			return nil, fmt.Errorf("--root-pub: %w", err)
		}
		w.rootPub = k
	}
	st, err := openStore(ctx, c, w.rootPub, log)
	if err != nil {
		return nil, err
	}
	d.st = st
	if d.relay, err = openRelay(c, st, d); err != nil {
		return nil, err
	}
	if w.lk, err = datadir.LedgerKey(c.data); err != nil {
		return nil, fmt.Errorf("loading the ledger key: %w", err)
	}
	// Opening reads the whole file (bbolt rebuilds its free list by walking every page; the
	// registry fold reads the log), so trimming starts now, once a second until serving.
	d.trim = boltstore.StartTrimmer(st, c.trimEvery, log) // only the embedded store maps a file
	// Every checkpoint is also written outside the store (DATA/checkpoints/<size>.ckpt and
	// latest), and Open refuses a store that is behind or disagrees with the newest one:
	// that is what catches truncation and rewriting, not only flipped bytes.
	if w.pub, err = ledger.NewDirPublisher(datadir.Paths{Dir: c.data}.Checkpoints()); err != nil {
		return nil, err
	}
	if d.bus, err = startBus(ctx, c, log); err != nil {
		return nil, err
	}
	w.reg = prometheus.NewRegistry()
	w.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if w.m, err = api.NewMetrics(w.reg); err != nil {
		return nil, err
	}
	if w.pol, w.cal, err = loadRules(c); err != nil {
		return nil, err
	}
	// The domain's admission rule: every payload is decoded against the event catalogue,
	// the actor authorised against the registry folded from the log, and acts of
	// suspended parties refused (Art. 42), each refusal recorded under the ledger key.
	w.chk = commands.NewChecker(registry.New(), w.lk, log)
	if d.access, err = openPrivacy(c, st, log); err != nil {
		return nil, err
	}
	if d.models, err = openReadModels(ctx, c, st, d, w.reg, report.Options{Policy: w.pol, Calendar: w.cal}); err != nil {
		return nil, err
	}
	if err := openCompliance(c, w.reg, d.models, w.pol); err != nil {
		return nil, err
	}
	if d.l, err = ledger.Open(ctx, st, d.ledgerOptions(w)); err != nil {
		return nil, fmt.Errorf("opening the ledger in %s: %w", c.data, err)
	}
	// Fold what the store holds before the listener opens: nothing is admitted until the
	// registry is current.
	if err := w.chk.Attach(ctx, d.l); err != nil {
		return nil, fmt.Errorf("folding the registry of the ledger in %s: %w", c.data, err)
	}
	if d.relay != nil {
		if err := d.relay.start(d.l, w.chk, w.reg); err != nil {
			return nil, err
		}
	}
	d.trim.Started() // opening read the whole file; from now on trim at the normal pace
	return w, nil
}

// ledgerOptions are the sequencer's settings, with every commit going to the metrics,
// the bus and the read models.
func (d *daemon) ledgerOptions(w *wiring) ledger.Options {
	c := d.c
	opts := ledger.Options{
		Signer:          w.lk,
		Limits:          ledger.Limits{MaxRequestBytes: c.maxRequest, MaxPayloadBytes: c.maxPayload},
		MaxSkew:         c.maxSkew,
		MaxBatch:        c.maxBatch,
		CheckpointEvery: c.checkpointEvery,
		OnCommit: func(es []*ledger.Entry) {
			w.m.ObserveBatch(es)
			d.bus.OnCommit(es)
			d.models.deliver(es)
		},
		// Other front-ends' entries, as the sequencer folds them, reach the read models
		// here too, in order with this process's own.
		OnCatchUp: func(es []*ledger.Entry) { d.models.caughtUp(es) },
		Logger:    d.log,
		Publisher: w.pub,
		// Integrity failures found while running page through ledger_verify_failures_total.
		OnCorrupt: w.m.VerifyFailure,
		// With --relay-listen, one front-end of the deployment seals; this one forwards
		// what it admits while another holds the sequencing lease.
		Forward: d.relay.forwarder(),
	}
	// The checker folds its own commits and, with several ledgerd on one database
	// (--store postgres://…), what the others committed, in order.
	w.chk.Wire(&opts)
	return opts
}

// openHTTP builds the API over the open ledger and binds the listener.
func (d *daemon) openHTTP(ctx context.Context, w *wiring) error {
	c, log := d.c, d.log
	reg1 := d.l.Registry()
	if err := checkCreationFlags(c, reg1, w.rootPub); err != nil {
		return err
	}
	dev := devRootKeyFile(c.data, reg1, log)
	wc, err := witnessCollector(c.witnesses, reg1.Origin, w.lk.Public(), w.pub)
	if err != nil {
		return err
	}
	streams := freshStreams{r: d.relay, chk: w.chk, st: d.st, state: w.chk.State()}
	if err := d.access.openAccess(c, d.l, streams); err != nil {
		return err
	}
	public, err := d.openMetrics(w.reg)
	if err != nil {
		return err
	}
	cfg := api.Config{Ledger: d.l, Metrics: w.m, Gatherer: public, Logger: log, DevRootKeyFile: dev, Witnesses: wc,
		Middleware: []api.Middleware{d.access.mw}, KeyStore: d.access.ks, Published: w.pub,
		LedgerKey: w.lk, BundleMaxEntries: c.bundleMax, Reports: &api.Reports{Kinds: kinds.Default(), Policy: w.pol, Calendar: w.cal, Read: d.models.report},
		Streams: streams}
	if d.models.search != nil {
		cfg.Search = d.models.search
	}
	if d.api, err = api.New(cfg); err != nil {
		return err
	}
	if d.ln, err = net.Listen("tcp", c.listen); err != nil {
		return fmt.Errorf("--listen %s: %w", c.listen, err)
	}
	if d.access.tls != nil {
		d.ln = tls.NewListener(d.ln, d.access.tls)
	}
	d.srv = &http.Server{
		Handler:           console.Mount(d.api), // the console at "/"; everything else is the API's
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	mode := "production"
	if dev != "" {
		mode = "single-operator"
	}
	log.Info("ledgerd serving", "listen", d.ln.Addr().String(), "data", c.data, "origin", reg1.Origin,
		"authority", reg1.Authority, "size", d.l.Size(), "ledger_key", reg1.LedgerKey, "root_key", reg1.RootKey, "mode", mode)
	return nil
}

// checkCreationFlags refuses flags that contradict an existing ledger: an operator who
// names a root key, authority or origin expects that ledger, not another.
func checkCreationFlags(c *config, reg *ledger.Registry, rootPub *crypto.PublicKey) error {
	if rootPub != nil {
		k, ok := reg.Key(rootPub.ID())
		if !ok || k.Role != ledger.RoleRoot {
			return fmt.Errorf("--root-pub %s (key %s) is not a root key of the ledger in %s (current root %s)", c.rootPub, rootPub.ID(), c.data, reg.RootKey)
		}
	}
	if c.authority != "" && c.authority != reg.Authority {
		return fmt.Errorf("--authority %q, but the ledger in %s belongs to %q", c.authority, c.data, reg.Authority)
	}
	if c.origin != "" && c.origin != reg.Origin {
		return fmt.Errorf("--origin %q, but the ledger in %s is %q", c.origin, c.data, reg.Origin)
	}
	return nil
}

// devRootKeyFile returns the absolute path of DATA/keys/root.key when the data directory
// holds the ledger's current root private key (single-operator mode), else "".
func devRootKeyFile(dir string, reg *ledger.Registry, log *slog.Logger) string {
	k, err := datadir.RootKey(dir)
	if errors.Is(err, datadir.ErrNoRootKey) {
		return ""
	}
	if err != nil {
		log.Warn("the root key in the data directory is unusable; not offering it to local tools", "err", err)
		return ""
	}
	if k.Public().ID() != reg.RootKey {
		log.Warn("the root key in the data directory is not the ledger's current root key", "file_key", k.Public().ID(), "root_key", reg.RootKey)
		return ""
	}
	p, err := filepath.Abs(datadir.Paths{Dir: dir}.RootKey())
	if err != nil {
		return ""
	}
	return p
}

// serve runs until ctx ends, then drains.
func (d *daemon) serve(ctx context.Context, listening func(string)) int {
	errc := make(chan error, 1)
	go func() { errc <- d.srv.Serve(d.ln) }()
	d.models.start()
	if listening != nil {
		listening(d.ln.Addr().String())
	}
	code := exitOK
	select {
	case <-ctx.Done():
		d.log.Info("draining: readiness now 503", "drain_delay", d.c.drainDelay.String())
	case err := <-errc:
		d.log.Error("HTTP server failed", "err", err)
		code = exitFailure
	}
	d.api.Drain()
	if code == exitOK && d.c.drainDelay > 0 {
		time.Sleep(d.c.drainDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), d.c.shutdownTimeout)
	defer cancel()
	if err := d.srv.Shutdown(sctx); err != nil {
		d.log.Error("requests still in flight at the shutdown timeout; closing them", "err", err)
		d.srv.Close()
		code = exitFailure
	}
	if err := d.closeLedger(); err != nil {
		d.log.Error("closing the ledger", "err", err)
		code = exitFailure
	}
	return code
}

// closeLedger commits everything queued, signs and publishes a final checkpoint (the
// ledger's Publisher writes it to DATA/checkpoints), and closes the store.
func (d *daemon) closeLedger() error {
	if d.closed {
		return nil
	}
	d.closed = true
	var errs []error
	d.relay.close() // first: another front-end takes the sequencing point while this one drains
	if d.l != nil {
		if err := d.l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("final checkpoint: %w", err))
		}
	}
	if err := d.bus.close(); err != nil {
		errs = append(errs, fmt.Errorf("closing the bus: %w", err))
	}
	d.models.close()
	d.metrics.close()
	d.access.close()
	d.trim.Stop()
	if d.st == nil {
		return errors.Join(errs...)
	}
	if err := d.st.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing the store: %w", err))
	}
	if d.l != nil && len(errs) == 0 {
		d.log.Info("ledgerd stopped", "size", d.l.Size())
	}
	return errors.Join(errs...)
}
