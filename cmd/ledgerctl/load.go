package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/cmd/ledgerctl/internal/scenario"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func init() { register(newLoadCmd) }

type loadOptions struct {
	server      string
	events      int
	acked       string
	concurrency int
	rootKey     string
	retryFor    time.Duration
	institution string
	asJSON      bool
}

// loadResult is what `load --json` prints.
type loadResult struct {
	Server      string  `json:"server"`
	Institution string  `json:"institution"`
	Events      int     `json:"events"`
	Acked       int64   `json:"acked"`
	Duplicates  int64   `json:"duplicates"`
	ElapsedS    float64 `json:"elapsed_s"`
	PerS        float64 `json:"acked_per_s"`
	Error       string  `json:"error,omitempty"`
}

func newLoadCmd() *cobra.Command {
	var o loadOptions
	c := &cobra.Command{
		Use:   "load --server URL --events N [--acked FILE]",
		Short: "Send N signed submissions to a running ledgerd concurrently 并发压测",
		Long: `Register a fresh load institution and its SM2 key with the ledger (a key.registered.v1
act signed by the authority's root key), then sign N realistic submissions (collections,
aggregations, exports, desensitisations of the Aba catalog's resources) on every core and
send them concurrently. Each id the server acknowledges (201, or 200 for a re-sent one)
is appended to --acked as soon as its answer arrives, one per line, so the file stays
correct if the server is killed mid-run.

The root key comes from --root-key, else from the server's dev_root_key_file (offered
only by a single-operator ledgerd, whose root key lives in its data directory).

Network errors and 503s are retried with the same bytes (submissions are idempotent by
id) for up to --retry-for; a server that stays away longer ends the run.

Exit 0 when all N are acknowledged; 2 otherwise, saying how many were.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.server == "" {
				return usage("load: --server URL is required (需要 --server 参数)")
			}
			if o.events <= 0 {
				return usage("load: --events must be positive, got %d (--events 须为正数)", o.events)
			}
			if o.concurrency <= 0 {
				return usage("load: --concurrency must be positive, got %d", o.concurrency)
			}
			if o.institution != "" && !institutionRE(o.institution) {
				return usage("load: --institution %q must be 1–100 characters of [a-z0-9._:-]", o.institution)
			}
			update, finish := progress(cmd, "load 压测", "events")
			r, err := runLoad(cmd.Context(), o, update)
			finish()
			if perr := printLoad(cmd.OutOrStdout(), r, o.asJSON); perr != nil && err == nil {
				err = perr
			}
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&o.server, "server", "", "ledgerd base URL, e.g. http://127.0.0.1:8080")
	f.IntVar(&o.events, "events", 1000, "number of submissions to send")
	f.StringVar(&o.acked, "acked", "", "append each acknowledged id to FILE, one per line")
	f.IntVar(&o.concurrency, "concurrency", 64, "requests in flight")
	f.StringVar(&o.rootKey, "root-key", "", "the authority's root private key (PKCS#8 PEM, mode 0600); default: the server's dev_root_key_file")
	f.DurationVar(&o.retryFor, "retry-for", client.DefaultRetryFor, "how long to keep retrying a submission while the server is unreachable or answers 503")
	f.StringVar(&o.institution, "institution", "", "institution id to register for the load (default load-<random>)")
	f.BoolVar(&o.asJSON, "json", false, "print the summary as JSON")
	return c
}

func institutionRE(s string) bool {
	if len(s) == 0 || len(s) > 100 {
		return false
	}
	for i, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || i > 0 && (c == '.' || c == '_' || c == ':' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

func runLoad(ctx context.Context, o loadOptions, update func(done, total uint64)) (loadResult, error) {
	res := loadResult{Server: o.server, Events: o.events}
	c := client.New(o.server)
	c.RetryFor = o.retryFor
	info, err := c.Ledger(ctx)
	if err != nil {
		return res, usage("load: cannot reach %s: %v (无法连接服务器)", o.server, err)
	}
	rootFile := o.rootKey
	if rootFile == "" {
		rootFile = info.DevRootKeyFile
	}
	if rootFile == "" {
		return res, usage("load: no root key to register the load institution: pass --root-key FILE (the authority's root private key); %s is in production mode and offers none (缺少根密钥，请用 --root-key 指定)", o.server)
	}
	root, err := crypto.ReadPrivateKeyFile(rootFile)
	if err != nil {
		return res, usage("load: root key: %v", err)
	}
	if root.Public().ID() != info.RootKey.ID {
		return res, usage("load: %s holds key %s, but the ledger's root key is %s (根密钥不匹配)", rootFile, root.Public().ID(), info.RootKey.ID)
	}

	inst := o.institution
	if inst == "" {
		inst = fmt.Sprintf("load-%08x", rand.Uint32())
	}
	res.Institution = inst
	key, err := crypto.GenerateKey()
	if err != nil {
		return res, err
	}
	reg, err := json.Marshal(ledger.KeyRegisteredPayload{KeyID: key.Public().ID(), Institution: inst, PublicKey: string(crypto.MarshalPublicKeyPEM(key.Public()))})
	if err != nil {
		return res, err
	}
	if _, _, err := c.SignAndSubmit(ctx, root, ledger.Submission{Stream: ledger.RegistryStream, Type: ledger.TypeKeyRegistered,
		Actor: ledger.Actor{Institution: info.Authority, Person: "ledgerctl-load"}, Payload: reg}); err != nil {
		return res, usage("load: registering the load institution %s: %v", inst, err)
	}

	var ackw *ackWriter
	if o.acked != "" {
		if ackw, err = openAckWriter(o.acked); err != nil {
			return res, usage("load: --acked: %v", err)
		}
	}

	start := time.Now()
	acked, dups, err := sendAll(ctx, c, &loadGen{inst: inst, key: key}, o, ackw, update)
	if ackw != nil {
		if cerr := ackw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("writing --acked: %w", cerr)
		}
	}
	res.Acked, res.Duplicates = acked, dups
	res.ElapsedS = time.Since(start).Seconds()
	if res.ElapsedS > 0 {
		res.PerS = float64(acked) / res.ElapsedS
	}
	if err != nil {
		res.Error = err.Error()
		return res, &exitError{code: exitUsage, err: fmt.Errorf("load: %d of %d acknowledged (已确认 %d/%d); stopped: %w", acked, o.events, acked, o.events, err)}
	}
	return res, nil
}

// sendAll signs the submissions on every core and sends them from o.concurrency
// goroutines, stopping everything at the first submission that fails for good (a refusal,
// or a server away for longer than the retry window).
func sendAll(ctx context.Context, c *client.Client, g *loadGen, o loadOptions, ackw *ackWriter, update func(done, total uint64)) (acked, dups int64, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan *ledger.Signed, 2*o.concurrency)
	var next atomic.Int64
	var signers sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		signers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for {
				i := next.Add(1) - 1
				if i >= int64(o.events) {
					return
				}
				s, err := g.sign(r)
				if err != nil {
					cancel(fmt.Errorf("signing submission %d: %w", i, err))
					return
				}
				select {
				case work <- s:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { signers.Wait(); close(work) }()

	var nacked, ndups atomic.Int64
	var senders sync.WaitGroup
	for range o.concurrency {
		senders.Go(func() {
			for s := range work {
				if ctx.Err() != nil {
					continue // drain so the signers can stop
				}
				r, err := c.Submit(ctx, s)
				if err != nil {
					if ctx.Err() == nil {
						cancel(err)
					}
					continue
				}
				if ackw != nil {
					if err := ackw.Add(s.Submission.ID); err != nil {
						cancel(fmt.Errorf("writing --acked: %w", err))
						continue
					}
				}
				if r.Duplicate {
					ndups.Add(1)
				}
				if n := nacked.Add(1); update != nil {
					update(uint64(n), uint64(o.events))
				}
			}
		})
	}
	senders.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return nacked.Load(), ndups.Load(), cause
	}
	if err := ctx.Err(); err != nil {
		return nacked.Load(), ndups.Load(), err
	}
	return nacked.Load(), ndups.Load(), nil
}

// ackWriter appends acknowledged ids to a file. Every Add reaches the operating system
// before it returns (one write per id, no user-space buffer), so what the file holds is
// exactly what was acknowledged, whatever happens to the server — or to this process
// after Add returned.
type ackWriter struct {
	mu  sync.Mutex
	f   *os.File
	buf []byte
}

func openAckWriter(path string) (*ackWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &ackWriter{f: f}, nil
}

func (a *ackWriter) Add(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buf = append(append(a.buf[:0], id...), '\n')
	_, err := a.f.Write(a.buf)
	return err
}

func (a *ackWriter) Close() error {
	if err := a.f.Sync(); err != nil {
		a.f.Close()
		return err
	}
	return a.f.Close()
}

// loadGen makes realistic submissions for one institution: the everyday acts of the Aba
// catalog's resources, with plausible figures.
type loadGen struct {
	inst string
	key  crypto.Signer
}

var loadPeople = func() []string {
	p := make([]string, 40)
	for i := range p {
		p[i] = fmt.Sprintf("staff-%03d", i+1)
	}
	return p
}()

func (g *loadGen) sign(r *rand.Rand) (*ledger.Signed, error) {
	res := &scenario.Resources[r.IntN(len(scenario.Resources))]
	var typ string
	var payload map[string]any
	switch w := r.IntN(100); {
	case w < 45:
		typ = scenario.TypeDataCollected
		payload = map[string]any{"resource": res.ID, "records": 1 + r.IntN(5000), "purpose": "履行法定职责：" + res.NameZH + "更新",
			"basis": "catalog", "channel": []string{"window", "online", "system"}[r.IntN(3)], "identity_verification": "id_document"}
	case w < 70:
		typ = scenario.TypeDataAggregated
		payload = map[string]any{"resource": res.ID, "records": 1 + r.IntN(20000), "platform": scenario.Platform,
			"batch": fmt.Sprintf("agg-%08x", r.Uint32()), "mode": "incremental"}
	case w < 85:
		typ = scenario.TypeDataExported
		payload = map[string]any{"approval": fmt.Sprintf("exa-%08x", r.Uint32()), "resource": res.ID, "records": 1 + r.IntN(5000),
			"destination": "政务外网文件交换", "format": "csv"}
	default:
		typ = scenario.TypeDataDesensitised
		fields := res.Fields
		if len(fields) > 2 {
			fields = fields[:2]
		}
		payload = map[string]any{"resource": res.ID, "method": []string{"masking", "generalisation", "pseudonymisation"}[r.IntN(3)],
			"fields": fields, "records": 1 + r.IntN(10000), "approval": fmt.Sprintf("dsa-%08x", r.Uint32())}
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	// Acts are recorded a little after they happen.
	at := time.Now().Add(-time.Duration(r.IntN(3600)) * time.Second).UTC()
	return ledger.SignSubmission(g.key, ledger.Submission{
		ID: id.String(), Stream: "resource/" + res.ID, Type: typ, OccurredAt: at.Format(time.RFC3339Nano),
		Actor:   ledger.Actor{Institution: g.inst, Person: loadPeople[r.IntN(len(loadPeople))], KeyID: g.key.Public().ID()},
		Payload: p,
	})
}

func printLoad(w io.Writer, r loadResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	if r.Institution == "" {
		return nil // refused before sending anything; the error says why
	}
	_, err := fmt.Fprintf(w, "load 压测: %d/%d acknowledged 已确认 in %.2fs (%.0f/s), %d re-sent duplicates 重发; institution 机构 %s\n",
		r.Acked, r.Events, r.ElapsedS, r.PerS, r.Duplicates, r.Institution)
	return err
}
