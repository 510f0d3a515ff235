package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/internal/version"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// errShown ends a run that only printed help or the version.
var errShown = errors.New("help or version printed")

// usageLong is what `ledgerd --help` says before the flags, in both languages: the
// operator reading it may be either.
const usageLong = `ledgerd 为《阿坝州公共数据管理办法(试行)》公共数据审计与安全账本的服务端:
接收 SM2 签名的行为记录,写入 SM3 哈希链与 Merkle 树,提供包含证明、签名检查点、
调查检索 (GET /v1/events)、报告 (GET /v1/reports/{kind})、浏览器控制台 (/)、
健康与就绪探针以及 Prometheus 指标 (/metrics)。

ledgerd serves the audit and security ledger for public data under the Aba Prefecture
Public Data Management Measures: it takes SM2-signed acts, seals them into the SM3 hash
chain and Merkle tree, and serves inclusion proofs, signed checkpoints, investigation
search (GET /v1/events), reports (GET /v1/reports/{kind}), the officers' console (/),
health, readiness and Prometheus metrics (/metrics).

每个参数也可用环境变量 LEDGER_<参数> 设置 (大写,连字符改为下划线);命令行优先。
Every flag can also be set as LEDGER_<FLAG> (upper case, dashes as underscores); the
command line wins. Offline work (verify, prove, report, search, rebuild, backup) is
done with ledgerctl; see docs/operations.md.`

// parseFlags reads the command line (and LEDGER_* defaults from getenv) into a config.
// It returns errShown after printing help or the version.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	parsed := false
	cmd := &cobra.Command{
		Use:           "ledgerd [--data DIR] [--listen ADDR] [flags]",
		Short:         "公共数据审计账本服务端 · the public-data audit ledger server",
		Long:          usageLong,
		Version:       version.Get().String(),
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(*cobra.Command, []string) error {
			parsed = true
			return c.check()
		},
	}
	cmd.SetVersionTemplate("ledgerd {{.Version}}\n")
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.SetArgs(args)
	cmd.SetOut(stderr)
	cmd.SetErr(stderr)
	c.register(cmd.Flags(), getenv)
	if err := envDefaults(cmd.Flags(), getenv); err != nil {
		return nil, err
	}
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	if !parsed {
		return nil, errShown
	}
	return c, nil
}

// envDefaults sets every flag named in the environment (LEDGER_DATA for --data): the
// environment supplies defaults, the command line (parsed afterwards) overrides them.
func envDefaults(fs *pflag.FlagSet, getenv func(string) string) error {
	var envErr error
	fs.VisitAll(func(f *pflag.Flag) {
		name := "LEDGER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	return envErr
}

// register declares every flag of the server on fs.
func (c *config) register(fs *pflag.FlagSet, getenv func(string) string) {
	fs.SortFlags = false
	fs.StringVar(&c.data, "data", "./ledger-data", "data directory (created with a new ledger on first start)")
	fs.StringVar(&c.create, "create", "auto", "found a new ledger when --data holds none: auto (only in a new or empty directory under an existing parent) or never (production: a typo in --data then fails)")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.store, "store", "", "where the entries live: bolt:PATH, postgres://… or esdb://… (default DATA/ledger.db; DATA then keeps the keys and published checkpoints)")
	fs.StringVar(&c.rootPub, "root-pub", "", "the authority's root public key (PKIX PEM); without it a root key is generated in DATA/keys (single-operator mode)")
	fs.StringVar(&c.authority, "authority", "", "the data authority's institution id, fixed at creation (default "+datadir.DefaultAuthority+")")
	fs.StringVar(&c.origin, "origin", "", "the log's name (checkpoint origin), fixed at creation (default derived from the ledger key)")
	fs.StringVar(&c.search, "search", "on", "keep the investigation index for GET /v1/events: on or off (DATA/search.db; with --store postgres://… one table for the deployment, folded with the derived models)")
	fs.StringVar(&c.bus, "bus", "", "publish committed entries for read models in other processes: nats://HOST:PORT or postgres://… (default: none)")
	fs.StringVar(&c.derived, "derived", derivedLease, "where the report read models, the compliance metrics and (on PostgreSQL) the investigation index are kept: lease (on a store several ledgerd share, only in the one holding their lease: once per deployment; the others answer reports from the saved models and searches from the shared index), here, or off (then some other front-end must keep them); see docs/storage.md")
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
	c.access.register(fs)
	c.metrics.register(fs)
	c.relay.register(fs)
	c.access.kekEnv = getenv("LEDGER_KEK")
	fs.Var(&c.witnesses, "witness", "NAME=PUBFILE of a witness whose checkpoint cosignatures are kept and served (repeatable)")
	fs.DurationVar(&c.complianceEvery, "compliance-interval", 10*time.Second, "fold new entries into the overdue-obligation and finding metrics this often (0: no compliance metrics); see docs/monitoring.md")
	fs.StringVar(&c.policyFile, "policy", "", "policy file with the operator's versions (default: the embedded trial policy); see docs/findings.md")
	fs.StringVar(&c.calendarFile, "calendar", "", "working-day calendar file for years the built-in data does not cover")
	fs.DurationVar(&c.trimEvery, "trim-interval", 10*time.Second, "drop the store file's mapped pages from the resident set this often (Linux; 0: never); see docs/operations.md, Memory")
}

// check refuses values no server can run with, naming the flag.
func (c *config) check() error {
	switch c.logFormat {
	case "json", "text":
	default:
		return fmt.Errorf("--log-format must be json or text, not %q", c.logFormat)
	}
	if c.search != "on" && c.search != "off" {
		return fmt.Errorf("--search must be on or off, not %q", c.search)
	}
	if c.create != "auto" && c.create != "never" {
		return fmt.Errorf("--create must be auto or never, not %q", c.create)
	}
	if c.maxRequest <= 0 || c.maxPayload <= 0 || c.maxPayload >= c.maxRequest {
		return fmt.Errorf("need 0 < --max-payload-bytes (%d) < --max-request-bytes (%d)", c.maxPayload, c.maxRequest)
	}
	if c.maxBatch <= 0 || c.shutdownTimeout <= 0 || c.maxSkew <= 0 || c.drainDelay < 0 || c.trimEvery < 0 || c.complianceEvery < 0 {
		return errors.New("--max-batch, --shutdown-timeout and --max-skew must be positive; --drain-delay, --trim-interval and --compliance-interval not negative")
	}
	if err := c.relay.check(c.store); err != nil {
		return err
	}
	if err := c.access.check(); err != nil {
		return err
	}
	return checkDerived(c.derived)
}
