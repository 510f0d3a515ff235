package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	domaincmd "github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/privacy"
	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func init() { register(newDemoCmd) }

// demoResult is what `demo --json` prints.
type demoResult struct {
	Dir          string         `json:"dir"`
	Institutions int            `json:"institutions"`
	Events       int            `json:"events"`
	Entries      uint64         `json:"entries"`
	Root         string         `json:"root"`
	ElapsedS     float64        `json:"elapsed_s"`
	PerS         float64        `json:"events_per_s"`
	Types        map[string]int `json:"types"`
	Violations   []string       `json:"violations"`
	// Access control and privacy: where ledgerd finds the credentials (its default) and
	// the key store (its flags), the tokens (shown only here), the fields encrypted and
	// the subjects whose keys destruction acts destroyed.
	Credentials string      `json:"credentials"`
	Tokens      []demoToken `json:"tokens"`
	Keystore    string      `json:"keystore"`
	KEKFile     string      `json:"kek_file"`
	Encrypted   int64       `json:"encrypted_fields"`
	Shredded    []string    `json:"shredded_subjects"`
}

func newDemoCmd() *cobra.Command {
	var (
		dir     string
		events  int
		seed    uint64
		asJSON  bool
		workers int
		endDay  string
	)
	c := &cobra.Command{
		Use:   "demo --data DIR [--events N]",
		Short: "Fill DIR with a realistic signed scenario of Aba institutions 生成阿坝州演示数据",
		Long: `Create a ledger in DIR (single-operator mode: the ledger and root keys are kept in
DIR/keys/) and fill it with a realistic, signed scenario of Aba Prefecture, checked at the
door exactly as ledgerd checks it (the event catalogue's commands.Checker): the data
authorities and the prefecture and county institutions of every kind, one registered SM2
key each (private keys in DIR/keys/institutions/<id>.key, so that other tools can sign as
them), their people, security posts and catalog; then every act of the event catalogue:
collections, aggregation, sharing (answered on time, late, refused, never), opening and
development, corrections and data-subject requests, supervised copying, export and
desensitisation, two emergencies (one sealed on time, one overdue), two outsourcing
contracts (one terminated with accounts revoked late), security duties, rectification
orders, a party whose access is suspended and whose attempt is refused and recorded, and
a key rotation. Deadlines are met or missed in working days of the PRC calendar under the
policy in force.

Access and privacy (docs/access.md, docs/privacy.md): a bearer token for every role
(authority, security_officer, reviewer, institution, submitter) is added to ledgerd's
default credentials file DIR/access/credentials.json (Argon2id hashes only) and printed
once, here, on standard output; keep the ones you need. Correction descriptions and
withdrawal grounds are encrypted before signing under the party's key in a key store in
DIR/keystore (KEK in DIR/keys/keystore.kek), and the storyline's granted deletion request
(Art. 22) destroys that party's key. Serve it all with
  ledgerd --data DIR --keystore DIR/keystore --kek-file DIR/keys/keystore.kek

N scales the routine volume; the fixed storyline is always included. The same --seed
gives the same scenario (keys and signatures differ). --end DATE makes DATE the
timeline's last day (default: now), so reports on the demo judge a known calendar and
policy year; the registry's key registrations and a refused attempt still happen now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usage("demo: --data DIR is required (需要 --data 参数)")
			}
			if events < 0 {
				return usage("demo: --events must be at least 0")
			}
			if datadir.Exists(dir) {
				return usage("demo: %s already holds a ledger; choose an empty directory (目录中已有账本)", dir)
			}
			if workers <= 0 {
				workers = 16 * runtime.GOMAXPROCS(0)
			}
			end := time.Now()
			if endDay != "" {
				d, err := calendar.Parse(endDay)
				if err != nil {
					return usage("demo: --end: %v", err)
				}
				end = d.AddDays(1).Start() // every act happens on or before that day
			}
			update, finish := progress(cmd, "demo 生成中", "events")
			res, err := runDemo(cmd.Context(), dir, events, seed, workers, update, end)
			finish()
			if err != nil {
				return usage("demo: %v", err)
			}
			return printDemo(cmd.OutOrStdout(), res, asJSON)
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "data", os.Getenv("LEDGER_DATA"), "data directory to create (env LEDGER_DATA)")
	f.IntVar(&events, "events", 2000, "number of data events (the storyline is always included)")
	f.Uint64Var(&seed, "seed", 1, "scenario seed")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on standard output")
	f.IntVar(&workers, "workers", 0, "concurrent submitters (default 16 per core)")
	f.StringVar(&endDay, "end", "", "the timeline's last day, China time (YYYY-MM-DD; default now): a fixed day gives reports a known calendar and policy")
	return c
}

// demoSigners holds the keys the demo signs with: the root for registry acts, one key
// per institution for everything else, and the key an institution rotated to.
type demoSigners struct {
	root    *crypto.PrivateKey
	inst    map[string]*crypto.PrivateKey
	rotated map[string]*crypto.PrivateKey
	// ks encrypts the personal fields demoEncryptSpec names before signing, as
	// `ledgerctl submit --encrypt-fields` does; encrypted counts them.
	ctx       context.Context
	ks        privacy.KeyStore
	parties   map[string]string // case kind/id → party, for subjects of answers (caseParties)
	encrypted atomic.Int64
}

func (s *demoSigners) key(e *scenario.Event) (*crypto.PrivateKey, error) {
	if e.Root {
		return s.root, nil
	}
	k := s.inst[e.Institution]
	if e.KeyGen > 0 {
		k = s.rotated[e.Institution]
	}
	if k == nil {
		return nil, fmt.Errorf("no key for %s (generation %d)", e.Institution, e.KeyGen)
	}
	return k, nil
}

func (s *demoSigners) sign(e *scenario.Event) (*ledger.Signed, error) {
	k, err := s.key(e)
	if err != nil {
		return nil, err
	}
	if e.Type == scenario.TypeKeyRotated && e.Payload == nil {
		old, next := s.inst[e.Rotates], s.rotated[e.Rotates]
		if old == nil || next == nil {
			return nil, fmt.Errorf("no keys to rotate for %s", e.Rotates)
		}
		p := *e
		p.Payload = ledger.KeyRotatedPayload{KeyID: old.Public().ID(), NewKeyID: next.Public().ID(), NewPublicKey: string(crypto.MarshalPublicKeyPEM(next.Public()))}
		e = &p
	}
	id := e.ID
	if id == "" {
		id = uuid.Must(uuid.NewV7()).String()
	}
	sub, err := e.Submission(id, k.Public().ID())
	if err != nil {
		return nil, err
	}
	if spec := demoEncryptSpec(e, s.parties); spec != "" && s.ks != nil {
		paths, err := encryptFields(s.ctx, s.ks, &sub, spec, "")
		if err != nil {
			return nil, fmt.Errorf("encrypting %s %s: %w", e.Type, id, err)
		}
		s.encrypted.Add(int64(len(paths)))
	}
	return ledger.SignSubmission(k, sub)
}

// setupWaves orders an institution's setup as the checker requires: its first official
// registers itself (nobody else could, 第七条), then the other officials and its catalog
// entries, then the designations and posts that name those officials.
func setupWaves(setup []scenario.Event) [][]int {
	var first, people, rest []int
	for i, e := range setup {
		switch p := e.Payload.(type) {
		case *events.PersonRegistered:
			if p.Person == e.Person {
				first = append(first, i)
			} else {
				people = append(people, i)
			}
		case *events.CatalogEntryRegistered:
			people = append(people, i)
		default:
			rest = append(rest, i)
		}
	}
	return [][]int{first, people, rest}
}

// demoTally counts what the ledger recorded, by type.
type demoTally struct {
	mu    sync.Mutex
	types map[string]int
	n     int
}

func (t *demoTally) add(typ string) {
	t.mu.Lock()
	t.types[typ]++
	t.n++
	t.mu.Unlock()
}

// runDemo fills dir with the scenario of n events for seed, every act before end (the
// command passes now; tests pass a fixed day so that deadlines and the year's duties
// are judged on a known calendar).
func runDemo(ctx context.Context, dir string, n int, seed uint64, workers int, update func(done, total uint64), end time.Time) (demoResult, error) {
	start := time.Now()
	tl := scenario.Generate(scenario.Config{Events: n, Seed: seed, End: end})
	d := &demoRun{ctx: ctx, dir: dir, workers: workers, update: update, tally: &demoTally{types: map[string]int{}},
		total: uint64(len(tl.Registry) + len(scenario.Institutions) + len(tl.Setup) + len(tl.Events))}
	if err := d.open(tl); err != nil {
		return demoResult{}, err
	}
	defer d.st.Close()
	defer d.l.Close()
	if err := d.newSigners(tl); err != nil {
		return demoResult{}, err
	}
	if err := d.play(tl); err != nil {
		return demoResult{}, err
	}
	return d.finish(tl, start)
}

// demoRun is one run of the demo: the ledger it fills and what it has appended.
type demoRun struct {
	ctx     context.Context
	dir     string
	workers int
	update  func(done, total uint64)
	total   uint64
	done    atomic.Uint64
	tally   *demoTally
	clock   *demoClock
	log     *slog.Logger
	rk      *crypto.PrivateKey
	st      ledger.Store
	l       *ledger.Ledger
	paths   demoPaths
	ks      *privacy.DirStore
	signers *demoSigners
}

// open founds the ledger in dir and opens it exactly as ledgerd opens it: every
// submission is checked against the event catalogue and the registry folded from the
// log, and the act the storyline has a suspended party attempt is refused and the
// refusal recorded.
//
// The demo plays a ledger founded when the scenario's registry was set up: genesis, the
// institutions, their keys, people and catalog are sealed on the days they claim (the
// clock is the ledger's and the checker's). The year of acts that follows is then
// brought in today, as what it is: historical records, under the authority's migration
// declaration (migration.declared.v1), so that they count on the days they claim and
// are shown as migrated, not as late records (docs/domain-decisions.md).
func (d *demoRun) open(tl *scenario.Timeline) error {
	ctx := d.ctx
	d.clock = &demoClock{}
	founded := tl.Registry[0].At.Add(-time.Hour)
	d.clock.set(founded)
	if err := datadir.Create(ctx, d.dir, datadir.InitOptions{Authority: scenario.Authority, Now: founded}); err != nil {
		return fmt.Errorf("creating the ledger: %w", err)
	}
	lk, err := datadir.LedgerKey(d.dir)
	if err != nil {
		return err
	}
	if d.rk, err = datadir.RootKey(d.dir); err != nil {
		return err
	}
	if d.st, err = datadir.OpenStore(d.dir); err != nil {
		return err
	}
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: d.dir}.Checkpoints())
	if err != nil {
		d.st.Close()
		return err
	}
	d.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	chk := domaincmd.NewChecker(registry.New(), lk, d.log)
	opts := ledger.Options{Signer: lk, Publisher: pub, Now: d.clock.now}
	chk.SetClock(d.clock.now)
	chk.Wire(&opts)
	if d.l, err = ledger.Open(ctx, d.st, opts); err != nil {
		d.st.Close()
		return fmt.Errorf("opening the ledger: %w", err)
	}
	if err := chk.Attach(ctx, d.l); err != nil {
		d.l.Close()
		d.st.Close()
		return err
	}
	return nil
}

// newSigners makes every institution's key, and the keys rotations bring.
func (d *demoRun) newSigners(tl *scenario.Timeline) error {
	d.paths = demoPathsOf(d.dir)
	var err error
	if d.ks, err = openDemoKeystore(d.paths); err != nil {
		return fmt.Errorf("creating the key store: %w", err)
	}
	d.signers = &demoSigners{root: d.rk, inst: map[string]*crypto.PrivateKey{}, rotated: map[string]*crypto.PrivateKey{}, ctx: d.ctx, ks: d.ks, parties: caseParties(tl)}
	for _, in := range scenario.Institutions {
		if d.signers.inst[in.ID], err = crypto.GenerateKey(); err != nil {
			return err
		}
	}
	for _, e := range tl.Events {
		if e.Rotates != "" {
			if d.signers.rotated[e.Rotates], err = crypto.GenerateKey(); err != nil {
				return err
			}
		}
	}
	return nil
}

// phase signs and appends evs[idx] (every one with idx nil) concurrently.
func (d *demoRun) phase(what string, evs []scenario.Event, idx []int) error {
	if idx == nil {
		idx = make([]int, len(evs))
		for i := range idx {
			idx[i] = i
		}
	}
	err := appendAll(d.ctx, d.l, len(idx), d.workers, func(i int) (*ledger.Signed, string, error) {
		defer d.step()
		e := &evs[idx[i]]
		s, err := d.signers.sign(e)
		return s, e.Refused, err
	}, func(i int, refused bool) {
		if refused {
			d.tally.add(domaincmd.TypeAccessRefused) // the checker recorded the refusal
			return
		}
		d.tally.add(evs[idx[i]].Type)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (d *demoRun) step() {
	if n := d.done.Add(1); d.update != nil && (n%256 == 0 || n == d.total) {
		d.update(n, d.total)
	}
}

// play appends the registry first: institutions, then one key each, then each
// institution's people, posts and catalog; then the timeline, wave by wave. Within a
// wave every event is signed and appended concurrently (the sequencer group-commits
// them); a wave never holds an event and the one it depends on, and a key rotation has
// a wave of its own.
func (d *demoRun) play(tl *scenario.Timeline) error {
	last := tl.Registry[len(tl.Registry)-1].At
	d.clock.set(last.Add(time.Minute))
	if err := d.phase("registering institutions", tl.Registry, nil); err != nil {
		return err
	}
	keyRegs := make([]scenario.Event, len(scenario.Institutions))
	for i, in := range scenario.Institutions {
		k := d.signers.inst[in.ID]
		keyRegs[i] = scenario.Event{Type: scenario.TypeKeyRegistered, Stream: ledger.RegistryStream, Institution: scenario.Authority,
			Person: scenario.Institutions[0].Responsible(), At: last.Add(time.Duration(2+i) * time.Second), Root: true, Parent: -1,
			Payload: ledger.KeyRegisteredPayload{KeyID: k.Public().ID(), Institution: in.ID, PublicKey: string(crypto.MarshalPublicKeyPEM(k.Public()))}}
	}
	d.clock.set(last.Add(2 * time.Minute))
	if err := d.phase("registering keys", keyRegs, nil); err != nil {
		return err
	}
	d.clock.set(tl.Setup[len(tl.Setup)-1].At.Add(time.Minute))
	for _, wave := range setupWaves(tl.Setup) {
		if err := d.phase("registering people and the catalog", tl.Setup, wave); err != nil {
			return err
		}
	}
	// From here on the ledger reads the real clock: the timeline is migrated today.
	d.clock.set(time.Time{})
	if err := d.phase("declaring the migration of the year's records", []scenario.Event{tl.Migration(time.Now())}, nil); err != nil {
		return err
	}
	for _, wave := range scenario.Waves(tl.Events, 1024) {
		if err := d.phase("the timeline", tl.Events, wave); err != nil {
			return err
		}
	}
	return nil
}

// finish writes each institution's current key where other tools (ledgerctl submit,
// load) find it, signs the final checkpoint, closes the ledger, shreds what the
// destruction acts name, issues the demo's tokens and sums up.
func (d *demoRun) finish(tl *scenario.Timeline, start time.Time) (demoResult, error) {
	keyDir := filepath.Join(datadir.Paths{Dir: d.dir}.Keys(), "institutions")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return demoResult{}, fmt.Errorf("creating %s: %w", keyDir, err)
	}
	for _, in := range scenario.Institutions {
		k := d.signers.inst[in.ID]
		if r := d.signers.rotated[in.ID]; r != nil {
			k = r
		}
		if err := crypto.WriteKeyPair(filepath.Join(keyDir, in.ID), k); err != nil {
			return demoResult{}, err
		}
	}
	c, err := d.l.Checkpoint(d.ctx) // stored and published in DIR/checkpoints/
	if err != nil {
		return demoResult{}, fmt.Errorf("signing the final checkpoint: %w", err)
	}
	if err := d.l.Close(); err != nil {
		return demoResult{}, fmt.Errorf("closing the ledger: %w", err)
	}
	shredded, err := shredDemo(d.ctx, d.st, d.ks, d.paths, d.log)
	if err != nil {
		return demoResult{}, err
	}
	tokens, err := issueDemoTokens(d.paths.credentials)
	if err != nil {
		return demoResult{}, err
	}
	el := time.Since(start)
	res := demoResult{Dir: d.dir, Institutions: len(scenario.Institutions), Events: d.tally.n, Entries: c.Size, Root: c.Root.String(),
		ElapsedS: el.Seconds(), PerS: float64(d.tally.n) / el.Seconds(), Types: d.tally.types,
		Credentials: d.paths.credentials, Tokens: tokens, Keystore: d.paths.keystore, KEKFile: d.paths.kek,
		Encrypted: d.signers.encrypted.Load(), Shredded: shredded}
	for _, v := range tl.Violations {
		res.Violations = append(res.Violations, v.Finding+": "+v.Note)
	}
	return res, nil
}

// demoClock is the demo ledger's clock: a fixed moment while the registry is set up on
// the days it claims, the real time (zero) after.
type demoClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *demoClock) set(t time.Time) { c.mu.Lock(); c.at = t; c.mu.Unlock() }

func (c *demoClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

// appendAll signs and appends n submissions on up to workers goroutines and returns the
// first error. sign returns, beside the submission, the refusal code the ledger is
// expected to answer with ("" if it must admit it); an expected refusal is not an error,
// but an admitted act that should have been refused is. done is told of each outcome.
func appendAll(ctx context.Context, l *ledger.Ledger, n, workers int, sign func(i int) (*ledger.Signed, string, error), done func(i int, refused bool)) error {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				s, want, err := sign(i)
				if err == nil {
					_, err = l.Append(ctx, s)
					p, isProblem := errors.AsType[*ledger.Problem](err)
					switch {
					case want == "" && err == nil:
						done(i, false)
					case want != "" && isProblem && p.Code == want:
						done(i, true)
						err = nil
					case want != "" && err == nil:
						err = fmt.Errorf("%s %s was admitted; the ledger should have refused it (%s)", s.Submission.Type, s.Submission.ID, want)
					}
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(n)) // stop the others
					return
				}
			}
		}()
	}
	wg.Wait()
	var p *ledger.Problem
	if errors.As(first, &p) {
		return fmt.Errorf("the ledger refused a scenario event: %w", first)
	}
	return first
}

func printDemo(w io.Writer, r demoResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			return usage("demo: writing output: %v", err)
		}
		return nil
	}
	fmt.Fprintf(w, "demo ledger created 演示账本已创建: %s\n", r.Dir)
	fmt.Fprintf(w, "institutions 机构:     %d (keys in keys/institutions/)\n", r.Institutions)
	fmt.Fprintf(w, "events 事件:           %d\n", r.Events)
	fmt.Fprintf(w, "entries 记录:          %d\n", r.Entries)
	fmt.Fprintf(w, "checkpoint root 根哈希: %s\n", r.Root)
	fmt.Fprintf(w, "elapsed 耗时:          %.2fs (%.0f events/s)\n", r.ElapsedS, r.PerS)
	types := make([]string, 0, len(r.Types))
	for t := range r.Types {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		fmt.Fprintf(w, "  %-38s %6d\n", t, r.Types[t])
	}
	fmt.Fprintf(w, "deliberate violations 预设违规 (%d):\n", len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  %s\n", v)
	}
	fmt.Fprintf(w, "encrypted fields 加密字段:   %d (key store 密钥库 %s, KEK %s)\n", r.Encrypted, r.Keystore, r.KEKFile)
	fmt.Fprintf(w, "shredded subjects 已销毁密钥的主体: %v\n", r.Shredded)
	fmt.Fprintf(w, "credentials 凭据 (Argon2id hashes only 仅存哈希): %s\n", r.Credentials)
	fmt.Fprintln(w, "tokens, shown only now 令牌仅显示这一次 (curl -H 'Authorization: Bearer TOKEN' …):")
	for _, t := range r.Tokens {
		who := t.Person
		if t.Institution != "" {
			who = t.Institution + "/" + t.Person
		}
		fmt.Fprintf(w, "  %-16s %-40s %s\n", t.Role, who, t.Token)
	}
	fmt.Fprintf(w, "serve it 启动服务: ledgerd --data %s --keystore %s --kek-file %s\n", r.Dir, r.Keystore, r.KEKFile)
	return nil
}
