package readmodel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/bus"
	"github.com/aba-prefecture/dataledger/ledger/bus/bustest"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/readmodel"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Rebuild equals incremental, whatever the store, the transport and the crashes: one
// random log (foldtest.Random, signed and sealed for real) is appended in random chunks
// while the report read models follow it four ways, and at the end every model of every
// way holds the same state, byte for byte:
//
//   - live: fed in-process by the commit hook (Deliver), with polls;
//   - killed: the same, but killed (dropped without saving) and reopened from its last
//     snapshot at random points, saving every few entries;
//   - bus: fed over NATS JetStream from the commit hook's publisher, as a read model in
//     another process would be;
//   - rebuilt: folded from zero once the log is complete.
//
// On the embedded store (snapshots in files) and on PostgreSQL (snapshots in tables).
// The seed is printed; LEDGER_PROPERTY_SEED repeats a run.
func TestRebuildEqualsIncremental(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("LEDGER_PROPERTY_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (LEDGER_PROPERTY_SEED=%d repeats this run)", seed, seed)
	natsURL := bustest.NATSURL(t)
	for _, backend := range []string{"bolt", "postgres"} {
		t.Run(backend, func(t *testing.T) { propertyRun(t, backend, natsURL, seed) })
	}
}

// pworld is the ledger under test and the snapshot stores of each way of following it.
type pworld struct {
	t       *testing.T
	backend string
	st      ledger.Store
	l       *ledger.Ledger
	now     time.Time
	mu      sync.Mutex
	hooks   []func([]*ledger.Entry)
	ro      report.Options
}

func (w *pworld) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }

func (w *pworld) onCommit(es []*ledger.Entry) {
	w.mu.Lock()
	hooks := slices.Clone(w.hooks)
	w.mu.Unlock()
	for _, h := range hooks {
		h(es)
	}
}

func (w *pworld) hook(h func([]*ledger.Entry)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hooks = append(w.hooks, h)
}

// snapStore is a fresh place for one way's snapshots.
func (w *pworld) snapStore() readmodel.Store {
	t := w.t
	if w.backend == "bolt" {
		d, err := readmodel.OpenDir(filepath.Join(t.TempDir(), "readmodels"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s, err := readmodel.OpenPG(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// way is one way of following the log: a set of models, with followers running.
type way struct {
	name   string
	w      *pworld
	snaps  readmodel.Store
	o      readmodel.Options
	set    *readmodel.Set
	fs     []*follow.Follower
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sub    func() follow.Options // extra follower options (the bus)
}

func (x *way) open() {
	x.w.t.Helper()
	o := x.o
	o.Store, o.Logger = x.snaps, slog.New(slog.DiscardHandler)
	set, err := readmodel.OpenSet(context.Background(), kinds.Default(), nil, x.w.ro, x.w.st, o)
	if err != nil {
		x.w.t.Fatal(err)
	}
	x.set, x.fs = set, nil
	ctx, cancel := context.WithCancel(context.Background())
	x.cancel = cancel
	for _, m := range set.Models() {
		fo := follow.Options{Store: x.w.st, PollEvery: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
		if x.sub != nil {
			extra := x.sub()
			fo.Subscriber, fo.Topic = extra.Subscriber, extra.Topic
		}
		f := follow.New(m, fo)
		x.fs = append(x.fs, f)
		x.wg.Go(func() {
			if err := f.Run(ctx); err != nil {
				x.w.t.Errorf("%s/%s: %v", x.name, f.Name(), err)
			}
		})
	}
}

// kill stops the followers and drops the models without saving.
func (x *way) kill() {
	x.cancel()
	x.wg.Wait()
	x.set, x.fs = nil, nil
}

func (x *way) deliver(es []*ledger.Entry) {
	for _, f := range x.fs {
		f.Deliver(es)
	}
}

// settle waits until every model has folded size entries.
func (x *way) settle(size uint64) {
	x.w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, m := range x.set.Models() {
		for p, _ := m.Position(context.Background()); p < size; p, _ = m.Position(context.Background()) {
			if time.Now().After(deadline) {
				x.w.t.Fatalf("%s: %s stuck at %d of %d", x.name, m.Name(), p, size)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// states are each model's snapshot bytes.
func (x *way) states() map[string][]byte {
	out := map[string][]byte{}
	for _, m := range x.set.Models() {
		m.View(func(f readmodel.Fold, pos uint64) {
			b, err := f.MarshalBinary()
			if err != nil {
				x.w.t.Fatal(err)
			}
			out[m.Name()] = append(b, []byte(fmt.Sprintf("@%d", pos))...)
		})
	}
	return out
}

func propertyRun(t *testing.T, backend, natsURL string, seed uint64) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, seed^0xabcdef))
	log := foldtest.Random(seed, 260+r.IntN(140))
	w := newPropertyWorld(t, backend, log)

	live := &way{name: "live", w: &w.pworld, snaps: w.snapStore()}
	killed := &way{name: "killed", w: &w.pworld, snaps: w.snapStore(), o: readmodel.Options{SaveEvery: uint64(3 + r.IntN(40))}}
	b, err := bus.Open(ctx, natsURL, bus.Options{Topic: bustest.Topic(t, natsURL), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pub := bus.NewPublisher(b.Publisher(), bus.PublisherOptions{Topic: b.Topic, Logger: slog.New(slog.DiscardHandler)})
	defer pub.Close(ctx)
	viaBus := &way{name: "bus", w: &w.pworld, snaps: w.snapStore()}
	n := 0
	viaBus.sub = func() follow.Options {
		n++
		sub, err := b.Subscriber(fmt.Sprintf("model-%d", n))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Close() })
		return follow.Options{Subscriber: sub, Topic: b.Topic}
	}
	for _, x := range []*way{live, killed, viaBus} {
		x.open()
	}
	time.Sleep(200 * time.Millisecond) // the JetStream subscriptions are in place
	w.hook(live.deliver)
	w.hook(func(es []*ledger.Entry) { killed.deliver(es) })
	w.hook(pub.OnCommit)

	kills := 0
	for rest := w.pending; len(rest) > 0; {
		k := min(len(rest), 1+r.IntN(40))
		w.append(rest[:k])
		rest = rest[k:]
		if r.IntN(3) == 0 {
			killed.kill()
			killed.open()
			kills++
		}
	}
	size := w.l.Size()
	for _, x := range []*way{live, killed, viaBus} {
		x.settle(size)
	}
	rebuilt := &way{name: "rebuilt", w: &w.pworld, snaps: w.snapStore(), o: readmodel.Options{Rebuild: true}}
	rebuilt.open()
	rebuilt.settle(size)

	want := rebuilt.states()
	for _, x := range []*way{live, killed, viaBus} {
		got := x.states()
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("%s: %s differs from the rebuild from zero", x.name, name)
			}
		}
		x.kill()
	}
	rebuilt.kill()
	t.Logf("%s: %d entries, %d kinds, killed and resumed %d times, snapshot every %d entries", backend, size, len(want), kills, killed.o.SaveEvery)
	if len(want) < 5 {
		t.Fatalf("only %d read models", len(want))
	}
}

// newPropertyWorld makes a ledger on backend holding the genesis and a key for every
// institution of log, with log's acts signed and waiting in w.pending.
func newPropertyWorld(t *testing.T, backend string, log []*ledger.Entry) *propertyWorld {
	ctx := context.Background()
	var st ledger.Store
	var err error
	if backend == "bolt" {
		st, err = boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	} else {
		st, err = pgstore.Open(ctx, pgtest.NewDatabase(t), pgstore.Options{MaxConns: 4})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	first, _ := time.Parse(time.RFC3339Nano, log[1].RecordedAt)
	w := &propertyWorld{pworld: pworld{t: t, backend: backend, st: st, now: first.Add(-time.Hour),
		ro: report.Options{Policy: pol, Calendar: calendar.Default()}}, f: ledgertest.New(t)}
	if err := ledger.Initialize(ctx, st, w.f.LedgerKey, w.f.RootKey.Public(), ledgertest.Authority, w.f.Origin, w.now); err != nil {
		t.Fatal(err)
	}
	w.l = w.f.Open(t, st, ledger.Options{Now: w.clock, OnCommit: w.onCommit, MaxSkew: 4 * 366 * 24 * time.Hour}) // the fixture claims today for its key registrations
	seen := map[string]bool{}
	for _, e := range log[1:] {
		if inst := e.Submission.Actor.Institution; !seen[inst] {
			seen[inst] = true
			w.f.Register(t, w.l, inst)
		}
	}
	for _, e := range log[1:] {
		w.pending = append(w.pending, w.sign(e))
	}
	return w
}

// propertyWorld is a pworld with the acts still to append.
type propertyWorld struct {
	pworld
	f       *ledgertest.Fixture
	pending []pendingAct
}

type pendingAct struct {
	at     time.Time
	signed *ledger.Signed
	root   *ledger.Signed // the same act by the root key, for types only the root signs
}

// sign signs e's act with its institution's key, and with the root key for the
// authority in case the type is the root's.
func (w *propertyWorld) sign(e *ledger.Entry) pendingAct {
	at, err := time.Parse(time.RFC3339Nano, e.RecordedAt)
	if err != nil {
		w.t.Fatal(err)
	}
	sub := e.Submission
	if _, err := uuid.Parse(sub.ID); err != nil || strings.Count(sub.ID, "-") != 4 {
		sub.ID = uuid.Must(uuid.NewV7()).String()
	}
	k := w.f.Key(sub.Actor.Institution)
	if strings.HasPrefix(sub.Type, "ledger.") {
		k = w.f.LedgerKey // the ledger's own records (a refusal it recorded)
		sub.Actor.Institution = ledgertest.Authority
	}
	sub.Actor.KeyID = k.Public().ID()
	p := pendingAct{at: at, signed: ledgertest.Sign(w.t, k, sub)}
	root := sub
	root.Actor.Institution, root.Actor.KeyID = ledgertest.Authority, w.f.RootKey.Public().ID()
	p.root = ledgertest.Sign(w.t, w.f.RootKey, root)
	return p
}

// append appends acts one by one, each at its recording time.
func (w *propertyWorld) append(acts []pendingAct) {
	for _, a := range acts {
		w.mu.Lock()
		if a.at.After(w.now) {
			w.now = a.at
		}
		w.mu.Unlock()
		_, err := w.l.Append(context.Background(), a.signed)
		if errors.Is(err, ledger.ErrUnauthorized) {
			_, err = w.l.Append(context.Background(), a.root)
		}
		if err != nil {
			w.t.Fatalf("appending %s: %v", a.signed.Submission.Type, err)
		}
	}
}
