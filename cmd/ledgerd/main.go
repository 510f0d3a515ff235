package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/console"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/internal/version"
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

// errVersion ends a run that only printed the version.
var errVersion = errors.New("version printed")

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
	create, search                           string
	derived                                  string       // lease.go
	access                                   accessConfig // access.go

	metrics metricsConfig // metrics.go
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("ledgerd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.data, "data", "./ledger-data", "data directory (created with a new ledger on first start)")
	fs.StringVar(&c.search, "search", "on", "keep the investigation index DATA/search.db for GET /v1/events: on or off")
	fs.StringVar(&c.create, "create", "auto", "found a new ledger when --data holds none: auto (only in a new or empty directory under an existing parent) or never (production: a typo in --data then fails)")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.rootPub, "root-pub", "", "the authority's root public key (PKIX PEM); without it a root key is generated in DATA/keys (single-operator mode)")
	fs.StringVar(&c.authority, "authority", "", "the data authority's institution id, fixed at creation (default "+datadir.DefaultAuthority+")")
	fs.StringVar(&c.origin, "origin", "", "the log's name (checkpoint origin), fixed at creation (default derived from the ledger key)")
	fs.StringVar(&c.logFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.checkpointEvery, "checkpoint-interval", time.Second, "sign a checkpoint this often when the log has grown (negative: on demand only)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long requests in flight may take to finish on SIGTERM")
	fs.DurationVar(&c.drainDelay, "drain-delay", 0, "on SIGTERM, answer /readyz 503 for this long before closing the listener, so load balancers stop routing")
	fs.DurationVar(&c.maxSkew, "max-skew", 5*time.Minute, "how far in the future occurred_at may lie")
	fs.IntVar(&c.maxRequest, "max-request-bytes", ledger.DefaultLimits.MaxRequestBytes, "largest POST /v1/events body")
	fs.IntVar(&c.maxPayload, "max-payload-bytes", ledger.DefaultLimits.MaxPayloadBytes, "largest canonical payload")
	fs.IntVar(&c.maxBatch, "max-batch", 4096, "most entries per group commit")
	fs.Uint64Var(&c.bundleMax, "bundle-max-entries", api.DefaultBundleMaxEntries, "most entries one POST /v1/bundles may select (larger: 413, split by seq range)")
	fs.StringVar(&c.store, "store", "", "where the entries live: bolt:PATH, postgres://… or esdb://… (default DATA/ledger.db; DATA then keeps the keys and published checkpoints)")
	fs.StringVar(&c.bus, "bus", "", "publish committed entries for read models in other processes: nats://HOST:PORT or postgres://… (default: none)")
	fs.StringVar(&c.derived, "derived", derivedLease, "where the report read models and compliance metrics are kept: lease (on a store several ledgerd share, only in the one holding their lease: once per deployment; the others answer reports from the saved models), here, or off; see docs/storage.md")
	showVersion := fs.Bool("version", false, "print the version and exit")
	c.access.register(fs)
	c.metrics.register(fs)
	c.access.kekEnv = getenv("LEDGER_KEK")
	fs.Var(&c.witnesses, "witness", "NAME=PUBFILE of a witness whose checkpoint cosignatures are kept and served (repeatable)")
	fs.DurationVar(&c.complianceEvery, "compliance-interval", 10*time.Second, "fold new entries into the overdue-obligation and finding metrics this often (0: no compliance metrics); see docs/monitoring.md")
	fs.StringVar(&c.policyFile, "policy", "", "policy file with the operator's versions (default: the embedded trial policy); see docs/findings.md")
	fs.StringVar(&c.calendarFile, "calendar", "", "working-day calendar file for years the built-in data does not cover")
	fs.DurationVar(&c.trimEvery, "trim-interval", 10*time.Second, "drop the store file's mapped pages from the resident set this often (Linux; 0: never); see docs/operations.md, Memory")

	// The environment supplies defaults; the command line overrides them.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "LEDGER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %v", name, v, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *showVersion {
		fmt.Fprintln(stderr, "ledgerd", version.Get())
		return nil, errVersion
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch c.logFormat {
	case "json", "text":
	default:
		return nil, fmt.Errorf("--log-format must be json or text, not %q", c.logFormat)
	}
	if c.search != "on" && c.search != "off" {
		return nil, fmt.Errorf("--search must be on or off, not %q", c.search)
	}
	if c.create != "auto" && c.create != "never" {
		return nil, fmt.Errorf("--create must be auto or never, not %q", c.create)
	}
	if c.maxRequest <= 0 || c.maxPayload <= 0 || c.maxPayload >= c.maxRequest {
		return nil, fmt.Errorf("need 0 < --max-payload-bytes (%d) < --max-request-bytes (%d)", c.maxPayload, c.maxRequest)
	}
	if c.maxBatch <= 0 || c.shutdownTimeout <= 0 || c.maxSkew <= 0 || c.drainDelay < 0 || c.trimEvery < 0 || c.complianceEvery < 0 {
		return nil, errors.New("--max-batch, --shutdown-timeout and --max-skew must be positive; --drain-delay, --trim-interval and --compliance-interval not negative")
	}
	if err := c.access.check(); err != nil {
		return nil, err
	}
	if err := checkDerived(c.derived); err != nil {
		return nil, err
	}
	return c, nil
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
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, errVersion) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "ledgerd:", err)
		return exitUsage
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "ledgerd:", err)
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
	models *readModels // readmodels.go: every follower of this process

	metrics *metricsServer // metrics.go: nil without --metrics-listen
}

// open creates the ledger if needed, opens store and ledger, and binds the listener, so
// that every configuration error surfaces before the server claims to be up.
func open(ctx context.Context, c *config, log *slog.Logger) (*daemon, error) {
	var rootPub *crypto.PublicKey
	if c.rootPub != "" {
		k, err := crypto.ReadPublicKeyFile(c.rootPub)
		if err != nil {
			return nil, fmt.Errorf("--root-pub: %w", err)
		}
		rootPub = k
	}
	st, err := openStore(ctx, c, rootPub, log)
	if err != nil {
		return nil, err
	}
	lk, err := datadir.LedgerKey(c.data)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("loading the ledger key: %w", err)
	}
	d := &daemon{c: c, log: log, st: st}
	// Opening reads the whole file (bbolt rebuilds its free list by walking every page; the
	// registry fold reads the log), so trimming starts now, once a second until serving.
	d.trim = boltstore.StartTrimmer(st, c.trimEvery, log) // only the embedded store maps a file
	ok := false
	defer func() {
		if !ok {
			d.closeLedger()
		}
	}()

	// Every checkpoint is also written outside the store (DATA/checkpoints/<size>.ckpt and
	// latest), and Open refuses a store that is behind or disagrees with the newest one:
	// that is what catches truncation and rewriting, not only flipped bytes.
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: c.data}.Checkpoints())
	if err != nil {
		return nil, err
	}
	if d.bus, err = startBus(ctx, c, log); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := api.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	pol, cal, err := loadRules(c)
	if err != nil {
		return nil, err
	}
	// The domain's admission rule: every payload is decoded against the event catalogue,
	// the actor authorised against the registry folded from the log, and acts of
	// suspended parties refused (Art. 42), each refusal recorded under the ledger key.
	chk := commands.NewChecker(registry.New(), lk, log)
	if d.access, err = openPrivacy(c, st, log); err != nil {
		return nil, err
	}
	if d.models, err = openReadModels(ctx, c, st, d, reg, report.Options{Policy: pol, Calendar: cal}); err != nil {
		return nil, err
	}
	if err := openCompliance(c, reg, d.models, pol); err != nil {
		return nil, err
	}
	opts := ledger.Options{
		Signer:          lk,
		Limits:          ledger.Limits{MaxRequestBytes: c.maxRequest, MaxPayloadBytes: c.maxPayload},
		MaxSkew:         c.maxSkew,
		MaxBatch:        c.maxBatch,
		CheckpointEvery: c.checkpointEvery,
		OnCommit: func(es []*ledger.Entry) {
			m.ObserveBatch(es)
			d.bus.OnCommit(es)
			d.models.deliver(es)
		},
		Logger:    log,
		Publisher: pub,
		// Integrity failures found while running page through ledger_verify_failures_total.
		OnCorrupt: m.VerifyFailure,
	}
	// The checker folds its own commits and, with several ledgerd on one database
	// (--store postgres://…), what the others committed, in order.
	chk.Wire(&opts)
	d.l, err = ledger.Open(ctx, st, opts)
	if err != nil {
		return nil, fmt.Errorf("opening the ledger in %s: %w", c.data, err)
	}
	// Fold what the store holds before the listener opens: nothing is admitted until the
	// registry is current.
	if err := chk.Attach(ctx, d.l); err != nil {
		return nil, fmt.Errorf("folding the registry of the ledger in %s: %w", c.data, err)
	}
	d.trim.Started() // opening read the whole file; from now on trim at the normal pace
	reg1 := d.l.Registry()
	if err := checkCreationFlags(c, reg1, rootPub); err != nil {
		return nil, err
	}
	dev := devRootKeyFile(c.data, reg1, log)
	wc, err := witnessCollector(c.witnesses, reg1.Origin, lk.Public(), pub)
	if err != nil {
		return nil, err
	}
	if err := d.access.openAccess(c, d.l, chk.State()); err != nil {
		return nil, err
	}
	public, err := d.openMetrics(reg)
	if err != nil {
		return nil, err
	}
	cfg := api.Config{Ledger: d.l, Metrics: m, Gatherer: public, Logger: log, DevRootKeyFile: dev, Witnesses: wc,
		Middleware: []api.Middleware{d.access.mw}, KeyStore: d.access.ks, Published: pub,
		LedgerKey: lk, BundleMaxEntries: c.bundleMax, Reports: &api.Reports{Kinds: kinds.Default(), Policy: pol, Calendar: cal, Read: d.models.report},
		Streams: chk.State()}
	if d.models.search != nil {
		cfg.Search = d.models.search
	}
	d.api, err = api.New(cfg)
	if err != nil {
		return nil, err
	}
	d.ln, err = net.Listen("tcp", c.listen)
	if err != nil {
		return nil, fmt.Errorf("--listen %s: %w", c.listen, err)
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
	ok = true
	return d, nil
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
	if err := d.st.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing the store: %w", err))
	}
	if d.l != nil && len(errs) == 0 {
		d.log.Info("ledgerd stopped", "size", d.l.Size())
	}
	return errors.Join(errs...)
}
