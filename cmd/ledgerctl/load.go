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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
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
	rootPerson  string
	token       string
	presign     bool
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
	// Concurrency is the number of requests kept in flight; Presigned says whether every
	// submission was signed before the clock started (so elapsed_s measures the server,
	// not this process's signing).
	Concurrency int  `json:"concurrency"`
	Presigned   bool `json:"presigned"`
	// Latency is each acknowledged submission's time from send to answer, retries
	// included, in milliseconds.
	Latency *latencies `json:"latency_ms,omitempty"`
	// Errors counts submissions that failed for good, by the server's code (or "network").
	Errors map[string]int64 `json:"errors,omitempty"`
	Error  string           `json:"error,omitempty"`
}

// latencies summarises request times, in milliseconds.
type latencies struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

func summarise(ds []time.Duration) *latencies {
	if len(ds) == 0 {
		return nil
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(q * float64(len(ds)))
		if i >= len(ds) {
			i = len(ds) - 1
		}
		return float64(ds[i].Microseconds()) / 1000
	}
	return &latencies{P50: at(0.50), P99: at(0.99), P999: at(0.999), Max: float64(ds[len(ds)-1].Microseconds()) / 1000}
}

func newLoadCmd() *cobra.Command {
	var o loadOptions
	c := &cobra.Command{
		Use:   "load --server URL --events N [--acked FILE]",
		Short: "Send N signed submissions to a running ledgerd concurrently 并发压测",
		Long: `Register a fresh load institution and its SM2 key with the ledger (a key.registered.v1
act and an institution.registered.v1 act, both signed by the authority's root key) and
catalog three of its data resources, then sign N realistic submissions valid for the event
catalogue (collections with their legal basis, aggregations, storage, processing and
transmission of those resources) on every core and send them concurrently. Each id the server acknowledges (201, or 200 for a re-sent one)
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
				return usage("load: --institution %q must be 1–64 characters of [a-z0-9._:-]", o.institution)
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
	f.IntVar(&o.concurrency, "concurrency", 256, "requests in flight (the default fills the server's group commits; see docs/performance.md)")
	f.BoolVar(&o.presign, "presign", true, "sign every submission before sending, so that the clock measures the server (memory: about 1 KiB per submission)")
	f.StringVar(&o.token, "token", "", "bearer token, for a server run with --write-token (default $LEDGER_TOKEN)")
	f.StringVar(&o.rootKey, "root-key", "", "the authority's root private key (PKCS#8 PEM, mode 0600); default: the server's dev_root_key_file")
	f.DurationVar(&o.retryFor, "retry-for", client.DefaultRetryFor, "how long to keep retrying a submission while the server is unreachable or answers 503")
	f.StringVar(&o.institution, "institution", "", "institution id to register for the load (default load-<random>)")
	f.StringVar(&o.rootPerson, "root-person", "ledgerctl-load", "the authority's official who uses the root key (actor.person of the root's acts; once the authority has registered officials it must be one of them)")
	f.BoolVar(&o.asJSON, "json", false, "print the summary as JSON")
	return c
}

func institutionRE(s string) bool {
	if len(s) == 0 || len(s) > 64 { // resource ids <institution>.<name> stay within 100
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
	res := loadResult{Server: o.server, Events: o.events, Concurrency: o.concurrency, Presigned: o.presign}
	c := ledgerd(o.server, o.token)
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
		Actor: ledger.Actor{Institution: info.Authority, Person: o.rootPerson}, Payload: reg}); err != nil {
		return res, usage("load: registering the load institution %s: %v", inst, err)
	}

	g := &loadGen{inst: inst, key: key, rootPerson: o.rootPerson}
	if err := g.setup(ctx, c, root, info.Authority); err != nil {
		return res, usage("load: registering the load institution %s and its catalog: %v", inst, err)
	}

	var ackw *ackWriter
	if o.acked != "" {
		if ackw, err = openAckWriter(o.acked); err != nil {
			return res, usage("load: --acked: %v", err)
		}
	}

	var signed []*ledger.Signed
	if o.presign {
		if signed, err = signAll(ctx, g, o.events); err != nil {
			return res, usage("load: %v", err)
		}
	}
	start := time.Now()
	acked, dups, lat, failed, err := sendAll(ctx, c, g, o, signed, ackw, update)
	res.Latency, res.Errors = summarise(lat), failed
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
func sendAll(ctx context.Context, c *client.Client, g *loadGen, o loadOptions, presigned []*ledger.Signed, ackw *ackWriter, update func(done, total uint64)) (acked, dups int64, lat []time.Duration, failed map[string]int64, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan *ledger.Signed, 2*o.concurrency)
	var next atomic.Int64
	var signers sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	if presigned != nil {
		workers = 1
	}
	for w := range workers {
		signers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for {
				i := next.Add(1) - 1
				if i >= int64(o.events) {
					return
				}
				var s *ledger.Signed
				if presigned != nil {
					s = presigned[i]
				} else {
					var serr error
					if s, serr = g.sign(r); serr != nil {
						cancel(fmt.Errorf("signing submission %d: %w", i, serr))
						return
					}
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
	var mu sync.Mutex
	failed = map[string]int64{}
	for range o.concurrency {
		senders.Go(func() {
			var mine []time.Duration
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			for s := range work {
				if ctx.Err() != nil {
					continue // drain so the signers can stop
				}
				t0 := time.Now()
				r, err := c.Submit(ctx, s)
				if err != nil {
					if ctx.Err() == nil {
						code := "network"
						if ce, ok := errors.AsType[*client.Error](err); ok {
							code = ce.Code
						}
						mu.Lock()
						failed[code]++
						mu.Unlock()
						cancel(err)
					}
					continue
				}
				mine = append(mine, time.Since(t0))
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
	if len(failed) == 0 {
		failed = nil
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return nacked.Load(), ndups.Load(), lat, failed, cause
	}
	if err := ctx.Err(); err != nil {
		return nacked.Load(), ndups.Load(), lat, failed, err
	}
	return nacked.Load(), ndups.Load(), lat, failed, nil
}

// signAll signs n submissions on every core before the run, so that the run measures
// the server and not this process.
func signAll(ctx context.Context, g *loadGen, n int) ([]*ledger.Signed, error) {
	out := make([]*ledger.Signed, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var first atomic.Pointer[error]
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for i := next.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = next.Add(1) - 1 {
				s, err := g.sign(r)
				if err != nil {
					first.CompareAndSwap(nil, &err)
					return
				}
				out[i] = s
			}
		})
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		return nil, fmt.Errorf("signing submissions: %w", *e)
	}
	return out, ctx.Err()
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

// loadGen makes realistic submissions for one institution: the everyday acts on the data
// resources it catalogs (collection, aggregation, storage, processing, transmission),
// each valid for the event catalogue, so that a ledgerd checking every payload admits
// them.
type loadGen struct {
	inst       string
	key        crypto.Signer
	rootPerson string
}

var loadPeople = func() []string {
	p := make([]string, 40)
	for i := range p {
		p[i] = fmt.Sprintf("staff-%03d", i+1)
	}
	return p
}()

// loadResource is one catalog entry of the load institution.
type loadResource struct {
	suffix, zh, en, class, purpose, basis string
	items                                 []events.DataItem
}

var loadResources = []loadResource{
	{"water-meter-readings", "居民用水抄表数据", "Residential water meter readings", "能源/供水", "水费核算与漏损监测", "《城市供水条例》第二十六条",
		[]events.DataItem{{Name: "户号", Format: "string"}, {Name: "抄表日期", Format: "date"}, {Name: "用水量", Format: "number"}}},
	{"service-tickets", "供水服务工单", "Water service tickets", "公共服务", "报修受理与回访", "《城市供水条例》第二十五条",
		[]events.DataItem{{Name: "工单号", Format: "string"}, {Name: "地址", Format: "string"}, {Name: "处理状态", Format: "string"}}},
	{"pipe-network", "供水管网设施信息", "Water pipe network assets", "城乡建设", "管网维护与应急抢修", "《城镇供水管网运行、维护及安全技术规程》",
		[]events.DataItem{{Name: "管段编号", Format: "string"}, {Name: "管径", Format: "number"}, {Name: "敷设年份", Format: "integer"}}},
}

func (g *loadGen) resource(r *loadResource) string { return g.inst + "." + r.suffix }

// setup registers the load institution (institution.registered.v1, signed by the root
// key) and catalogs its resources, so that its acts are acts of a known institution on
// resources in its catalog rather than findings. A catalog entry already registered by an
// earlier run with the same --institution is kept.
func (g *loadGen) setup(ctx context.Context, c *client.Client, root crypto.Signer, authority string) error {
	raw, err := events.Encode(&events.InstitutionRegistered{Institution: g.inst, NameZH: "压测机构 " + g.inst, NameEN: "Load-test institution " + g.inst,
		Level: domain.LevelPrefecture, Kind: domain.KindPublicServiceOperator})
	if err != nil {
		return err
	}
	_, _, err = c.SignAndSubmit(ctx, root, ledger.Submission{Stream: "institution/" + g.inst, Type: events.InstitutionRegisteredV1,
		Actor: ledger.Actor{Institution: authority, Person: g.rootPerson}, Payload: raw})
	if ce, ok := errors.AsType[*client.Error](err); ok && ce.Code == "institution_exists" {
		err = nil // an earlier run with the same --institution
	}
	if err != nil {
		return err
	}
	// Its officials (第七条): the first registers itself, then the others; every act of
	// the load names one of them.
	for _, person := range loadPeople {
		raw, err := events.Encode(&events.PersonRegistered{Person: person, Title: "压测人员 load-test staff"})
		if err != nil {
			return err
		}
		if _, _, err := c.SignAndSubmit(ctx, g.key, ledger.Submission{Stream: "institution/" + g.inst, Type: events.PersonRegisteredV1,
			Actor: ledger.Actor{Institution: g.inst, Person: loadPeople[0]}, Payload: raw}); err != nil {
			return fmt.Errorf("registering official %s: %w", person, err)
		}
	}
	for i := range loadResources {
		r := &loadResources[i]
		raw, err := events.Encode(&events.CatalogEntryRegistered{CatalogEntry: events.CatalogEntry{
			Resource: g.resource(r), TitleZH: r.zh, TitleEN: r.en, Classification: r.class, Responsible: g.inst,
			Formats: []string{"json", "csv"}, Items: r.items, UpdatePeriod: domain.PeriodDaily,
			Sharing:           events.Sharing{Attribute: domain.SharingUnconditional, Method: domain.MethodAPI},
			UsageRequirements: "仅用于履行法定职责，不得向第三方提供", Opening: events.Opening{Attribute: domain.OpeningNone, Reason: "含用户地址等个人信息"},
		}})
		if err != nil {
			return err
		}
		_, _, err = c.SignAndSubmit(ctx, g.key, ledger.Submission{Stream: "resource/" + g.resource(r), Type: events.CatalogEntryRegisteredV1,
			Actor: ledger.Actor{Institution: g.inst, Person: loadPeople[0]}, Payload: raw})
		if ce, ok := errors.AsType[*client.Error](err); ok && ce.Code == "resource_exists" {
			err = nil
		}
		if err != nil {
			return fmt.Errorf("cataloging %s: %w", g.resource(r), err)
		}
	}
	return nil
}

func (g *loadGen) sign(r *rand.Rand) (*ledger.Signed, error) {
	res := &loadResources[r.IntN(len(loadResources))]
	id := g.resource(res)
	records := int64(1 + r.IntN(5000))
	system := g.inst + ".business-system"
	var typ string
	var p events.Payload
	switch w := r.IntN(100); {
	case w < 45:
		typ = events.DataCollectedV1
		p = &events.DataCollected{Resource: id, Records: records, Purpose: res.purpose, LegalBasis: res.basis,
			Verification: []domain.Verification{domain.VerifyIDDocument}}
	case w < 70:
		typ = events.DataAggregatedV1
		p = &events.DataAggregated{Resource: id, Records: records, Target: domain.TargetTheme, Database: "theme.public-utilities"}
	case w < 80:
		typ = events.DataStoredV1
		p = &events.DataStored{DataHandled: events.DataHandled{Resource: id, Records: records, System: system, Purpose: "集中存储 (central storage)"}}
	case w < 90:
		typ = events.DataProcessedV1
		p = &events.DataProcessed{DataHandled: events.DataHandled{Resource: id, Records: records, System: system, Purpose: res.purpose},
			Operation: "按片区汇总 (aggregate by district)"}
	default:
		typ = events.DataTransmittedV1
		p = &events.DataTransmitted{DataHandled: events.DataHandled{Resource: id, Records: records, System: system, Purpose: "归集至州大数据平台"},
			To: "aba-public-data-platform", Encrypted: true}
	}
	raw, err := events.Encode(p)
	if err != nil {
		return nil, err
	}
	uid, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	// Acts are recorded a little after they happen.
	at := time.Now().Add(-time.Duration(r.IntN(3600)) * time.Second).UTC()
	return ledger.SignSubmission(g.key, ledger.Submission{
		ID: uid.String(), Stream: "resource/" + id, Type: typ, OccurredAt: at.Format(time.RFC3339Nano),
		Actor:   ledger.Actor{Institution: g.inst, Person: loadPeople[r.IntN(len(loadPeople))], KeyID: g.key.Public().ID()},
		Payload: raw,
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
	if _, err := fmt.Fprintf(w, "load 压测: %d/%d acknowledged 已确认 in %.2fs (%.0f/s), %d in flight 并发, %d re-sent duplicates 重发; institution 机构 %s\n",
		r.Acked, r.Events, r.ElapsedS, r.PerS, r.Concurrency, r.Duplicates, r.Institution); err != nil {
		return err
	}
	if l := r.Latency; l != nil {
		if _, err := fmt.Fprintf(w, "latency 延迟 ms: p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f\n", l.P50, l.P99, l.P999, l.Max); err != nil {
			return err
		}
	}
	for code, n := range r.Errors {
		if _, err := fmt.Fprintf(w, "failed 失败 %s: %d\n", code, n); err != nil {
			return err
		}
	}
	return nil
}
