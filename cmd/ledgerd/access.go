package main

// Access control and privacy wiring: the flags of docs/access.md and docs/privacy.md, the
// read-authorisation middleware, the key store with its decrypting route, and the
// shredder. Kept apart from main.go so that the server's own wiring stays readable.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/privacy"
	"github.com/spf13/pflag"
)

// accessConfig is the access-control and privacy part of the command line.
type accessConfig struct {
	mode                  string // "on" or "dev"
	credentials, auditLog string
	writeToken            bool
	readRate, writeRate   float64
	readBurst, writeBurst int
	tlsCert, tlsKey       string
	clientCA              string
	keystore, kekFile     string
	kekEnv                string // LEDGER_KEK: the KEK itself, hex
	shredRules            string
}

func (a *accessConfig) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.mode, "auth", "on", "access control: on (reads of event data need a credential; writes need an SM2 signature) or dev (everything open; development only)")
	fs.StringVar(&a.credentials, "credentials", "", "credentials file (hashed tokens, client certificates; ledgerctl tokens) (default DATA/access/credentials.json; absent: no one can read event data)")
	fs.StringVar(&a.auditLog, "audit-log", "", "append-only, SM3-chained JSON-lines log of every read of event data (default DATA/access/audit.jsonl)")
	fs.BoolVar(&a.writeToken, "write-token", false, "POST /v1/events also needs a token of role institution, submitter or authority (besides the SM2 signature)")
	fs.Float64Var(&a.readRate, "read-rate", 20, "reads per second per client (credential, or address without one); 0: unlimited")
	fs.IntVar(&a.readBurst, "read-burst", 40, "burst of reads per client")
	fs.Float64Var(&a.writeRate, "write-rate", 0, "submissions per second per client; 0: unlimited (signature verification bounds them)")
	fs.IntVar(&a.writeBurst, "write-burst", 0, "burst of submissions per client (default: the rate)")
	fs.StringVar(&a.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM); with --tls-key")
	fs.StringVar(&a.tlsKey, "tls-key", "", "private key of --tls-cert (PEM)")
	fs.StringVar(&a.clientCA, "client-ca", "", "accept client certificates issued by this CA (PEM) as credentials (mutual TLS); needs --tls-cert")
	fs.StringVar(&a.keystore, "keystore", "", "directory of the per-subject data keys (ledgerctl keystore init): serves decrypted reads and runs the shredder")
	fs.StringVar(&a.kekFile, "kek-file", "", "the key store's key-encryption key (hex, mode 0600); or set LEDGER_KEK to the hex key")
	fs.StringVar(&a.shredRules, "shred-rules", "", "JSON file of shredding rules (default: Art. 21, 22, 39 acts of the catalogue; docs/privacy.md)")
}

func (a *accessConfig) check() error {
	switch a.mode {
	case "on", "dev":
	default:
		return fmt.Errorf("--auth must be on or dev, not %q", a.mode)
	}
	if (a.tlsCert == "") != (a.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if a.clientCA != "" && a.tlsCert == "" {
		return errors.New("--client-ca needs --tls-cert and --tls-key (mutual TLS)")
	}
	if a.readRate < 0 || a.writeRate < 0 || a.readBurst < 0 || a.writeBurst < 0 {
		return errors.New("--read-rate, --read-burst, --write-rate and --write-burst must not be negative")
	}
	if a.keystore == "" && (a.kekFile != "" || a.shredRules != "") {
		return errors.New("--kek-file and --shred-rules need --keystore")
	}
	if a.keystore != "" && a.kekFile == "" && a.kekEnv == "" {
		return errors.New("--keystore needs its key-encryption key: --kek-file FILE or LEDGER_KEK")
	}
	return nil
}

// accessRuntime is what the access and privacy wiring holds while ledgerd runs.
type accessRuntime struct {
	ks       privacy.KeyStore
	shredder *privacy.Shredder
	audit    *auth.AuditLog
	mw       api.Middleware
	tls      *tls.Config
	log      *slog.Logger
}

// openPrivacy opens the key store and builds the shredder (before the ledger, whose
// OnCommit feeds it).
func openPrivacy(c *config, st ledger.Store, log *slog.Logger) (*accessRuntime, error) {
	rt := &accessRuntime{log: log}
	a := &c.access
	if a.keystore == "" {
		log.Info("no key store (--keystore): protected fields are served as ciphertext only and destruction acts shred nothing here")
		return rt, nil
	}
	var kek *privacy.KEK
	var err error
	if a.kekFile != "" {
		kek, err = privacy.ReadKEKFile(a.kekFile)
	} else {
		kek, err = privacy.ParseKEK([]byte(a.kekEnv))
		if err != nil {
			err = fmt.Errorf("LEDGER_KEK: %w", err)
		}
	}
	if err != nil {
		return nil, err
	}
	ks, err := privacy.OpenDirStore(a.keystore, kek)
	if err != nil {
		return nil, fmt.Errorf("--keystore: %w", err)
	}
	rules := privacy.DefaultRules
	if a.shredRules != "" {
		if rules, err = privacy.ReadRules(a.shredRules); err != nil {
			return nil, err
		}
	}
	rt.ks = ks
	rt.shredder, err = privacy.NewShredder(privacy.ShredderConfig{Keys: ks, Store: st, Rules: rules,
		PositionFile: filepath.Join(a.keystore, "shredder.position"), Logger: log})
	if err != nil {
		return nil, err
	}
	log.Info("key store open", "keystore", a.keystore, "kek", kek.ID(), "shredding_rules", len(rules))
	return rt, nil
}

// openAccess builds the middleware and TLS configuration once the ledger is open.
func (rt *accessRuntime) openAccess(c *config, l *ledger.Ledger, streams api.StreamHolders) error {
	a := &c.access
	log := rt.log
	accessDir := filepath.Join(c.data, "access")
	if a.credentials == "" || a.auditLog == "" {
		if err := os.MkdirAll(accessDir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", accessDir, err)
		}
	}
	if a.credentials == "" {
		a.credentials = filepath.Join(accessDir, "credentials.json")
	}
	if a.auditLog == "" {
		a.auditLog = filepath.Join(accessDir, "audit.jsonl")
	}
	authn, err := auth.OpenAuthenticator(a.credentials, nil)
	if err != nil {
		return fmt.Errorf("--credentials: %w", err)
	}
	if rt.audit, err = auth.OpenAuditLog(a.auditLog, auth.AuditOptions{}); err != nil {
		return fmt.Errorf("--audit-log: %w", err)
	}
	n, head := rt.audit.Head()
	switch {
	case a.mode == "dev":
		log.Warn("ACCESS CONTROL IS OFF (--auth=dev): anyone who reaches this port reads every entry; never use this with real data",
			"audit_log", a.auditLog)
	case authn.Count() == 0:
		log.Warn("no credentials yet: every read of event data answers 401 until one is added (ledgerctl tokens add --file "+a.credentials+" …)",
			"credentials", a.credentials)
	}
	log.Info("access control", "mode", a.mode, "credentials", a.credentials, "known_credentials", authn.Count(),
		"write_token", a.writeToken, "audit_log", a.auditLog, "audit_records", n, "audit_head", head,
		"read_rate", a.readRate, "write_rate", a.writeRate, "mtls", a.clientCA != "")
	rt.mw, err = api.NewAccess(api.Access{
		Ledger: l, Authenticator: authn, Audit: rt.audit, Dev: a.mode == "dev", RequireWriteToken: a.writeToken,
		ReadLimit: auth.NewLimiter(a.readRate, a.readBurst), WriteLimit: auth.NewLimiter(a.writeRate, a.writeBurst),
		FailLimit: auth.NewLimiter(5, 20), Logger: log, Streams: streams,
	})
	if err != nil {
		return err
	}
	if a.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(a.tlsCert, a.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		rt.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if a.clientCA != "" {
			pem, err := os.ReadFile(a.clientCA)
			if err != nil {
				return fmt.Errorf("--client-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("--client-ca %s holds no PEM certificate", a.clientCA)
			}
			// A certificate is optional (tokens still work) but, if sent, must verify.
			rt.tls.ClientCAs, rt.tls.ClientAuth = pool, tls.VerifyClientCertIfGiven
		}
	}
	return nil
}

// close closes the audit log, logging its head so that it is anchored outside
// the file. It runs after the ledger is closed and before its store is.
func (rt *accessRuntime) close() {
	if rt == nil {
		return
	}
	if rt.audit != nil {
		n, head := rt.audit.Head()
		if err := rt.audit.Close(); err != nil {
			rt.log.Error("closing the audit log", "err", err)
		}
		rt.log.Info("read-audit log closed", "audit_records", n, "audit_head", head)
	}
}
