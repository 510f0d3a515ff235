package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// gatedAppends holds each append, once armed, until the test says what it returns: nil
// writes the batch, an error leaves the store as it was (a transient failure).
type gatedAppends struct {
	ledger.Store
	armed   atomic.Bool
	entered chan []ledger.SealedEntry
	release chan error
}

func (g *gatedAppends) Append(ctx context.Context, b *ledger.Batch) error {
	if g.armed.Load() {
		g.entered <- b.Entries
		if err := <-g.release; err != nil {
			return err
		}
	}
	return g.Store.Append(ctx, b)
}

// pipelineRig is a ledger on a gated store, with a hook that reports each submission the
// sequencer seals and an in-order rule that, like the domain's, refuses a second claim of
// one resource within a run of sealing.
type pipelineRig struct {
	f      *ledgertest.Fixture
	st     *gatedAppends
	l      *ledger.Ledger
	sealed chan string
}

func newPipelineRig(t *testing.T) *pipelineRig {
	t.Helper()
	rig := &pipelineRig{st: &gatedAppends{Store: newStore(t), entered: make(chan []ledger.SealedEntry, 1), release: make(chan error)},
		sealed: make(chan string, 64), f: ledgertest.New(t)}
	t.Cleanup(ledger.AfterSeal(func(id string) {
		select {
		case rig.sealed <- id:
		default:
		}
	}))
	claims := func() func(*ledger.Signed, uint64) error {
		claimed := map[string]bool{}
		return func(s *ledger.Signed, _ uint64) error {
			var p struct{ Resource string }
			if json.Unmarshal(s.Submission.Payload, &p) != nil || p.Resource == "" {
				return nil
			}
			if claimed[p.Resource] {
				return &ledger.Problem{Kind: ledger.ErrConflict, Code: "resource_exists", Message: "claimed a moment ago"}
			}
			claimed[p.Resource] = true
			return nil
		}
	}
	rig.f.Init(t, rig.st)
	rig.l = rig.f.Open(t, rig.st, ledger.Options{Sequence: claims, CheckpointEvery: -1})
	rig.f.Register(t, rig.l, "county-01")
	for len(rig.sealed) > 0 {
		<-rig.sealed
	}
	rig.st.armed.Store(true)
	return rig
}

type answer struct {
	r   ledger.Receipt
	err error
}

// send appends s in the background; its answer arrives on the channel.
func (rig *pipelineRig) send(s *ledger.Signed) chan answer {
	c := make(chan answer, 1)
	go func() {
		r, err := rig.l.Append(ctx, s)
		c <- answer{r, err}
	}()
	return c
}

// waitSealed waits until the sequencer has sealed each of ids (in any order; an id
// named twice must be sealed twice).
func (rig *pipelineRig) waitSealed(t *testing.T, ids ...string) {
	t.Helper()
	want := map[string]int{}
	for _, id := range ids {
		want[id]++
	}
	deadline := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case id := <-rig.sealed:
			if want[id]--; want[id] <= 0 {
				delete(want, id)
			}
		case <-deadline:
			t.Fatalf("not sealed within 10 s: %v", want)
		}
	}
}

func waitOutcome(t *testing.T, c chan answer) answer {
	t.Helper()
	select {
	case o := <-c:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10 s")
		return answer{}
	}
}

// notYet fails if c has been answered: nothing may be acknowledged before its batch and
// every batch below it are durable.
func notYet(t *testing.T, what string, c chan answer) {
	t.Helper()
	select {
	case o := <-c:
		t.Fatalf("%s answered while the batch below it was not yet durable: %+v", what, o)
	case <-time.After(20 * time.Millisecond):
	}
}

// TestPipelineSealsOnTopOfTheFlight: while one batch is being committed, the next is
// sealed on top of it — a repeat of an in-flight submission is its duplicate, an id
// reused for other content is refused, a stream continues from the in-flight version,
// and the in-order rule remembers what the in-flight batch claimed — and nothing is
// answered before the batch below is durable.
func TestPipelineSealsOnTopOfTheFlight(t *testing.T) {
	rig := newPipelineRig(t)
	f, l := rig.f, rig.l
	a := f.Event(t, "county-01", "s/1", 1) // claims r-0001
	ca := rig.send(a)
	held := <-rig.st.entered
	if len(held) != 1 || held[0].ID != a.Submission.ID {
		t.Fatalf("the held batch is %d entries, not A alone", len(held))
	}
	k := f.Key("county-01")
	reused := ledgertest.Submission("county-01", k.Public().ID(), "s/9", ledgertest.TypeDataCollected, map[string]any{"resource": "r-0090"})
	reused.ID = a.Submission.ID
	b := f.Event(t, "county-01", "s/1", 2)  // the same stream as A
	c := f.Event(t, "county-01", "s/3", 51) // claims r-0051
	d := f.Event(t, "county-01", "s/4", 1)  // claims r-0001 again: refused by the rule A's run began
	cb, cc, cd := rig.send(b), rig.send(c), rig.send(d)
	cdup, creused := rig.send(a), rig.send(ledgertest.Sign(t, k, reused))
	// A itself, then B, C, D, the repeat of A and the reuse of its id above it.
	rig.waitSealed(t, a.Submission.ID, b.Submission.ID, c.Submission.ID, d.Submission.ID, a.Submission.ID, a.Submission.ID)
	for what, ch := range map[string]chan answer{"A": ca, "B": cb, "C": cc, "the refusal of D": cd, "the repeat of A": cdup, "the reused id": creused} {
		notYet(t, what, ch)
	}
	if l.Size() != held[0].Seq {
		t.Fatalf("Size %d while A (seq %d) is not durable", l.Size(), held[0].Seq)
	}
	rig.st.release <- nil // A lands
	above := <-rig.st.entered
	rig.st.release <- nil
	oa := waitOutcome(t, ca)
	if oa.err != nil || oa.r.Seq != held[0].Seq {
		t.Fatalf("A: %+v", oa)
	}
	if o := waitOutcome(t, cb); o.err != nil || o.r.StreamVersion != oa.r.StreamVersion+1 || o.r.Seq <= oa.r.Seq {
		t.Fatalf("B on A's stream: %+v (A %+v)", o, oa.r)
	}
	if o := waitOutcome(t, cc); o.err != nil {
		t.Fatalf("C: %v", o.err)
	}
	var p *ledger.Problem
	if o := waitOutcome(t, cd); !errors.As(o.err, &p) || p.Code != "resource_exists" {
		t.Fatalf("D claimed what the in-flight A had claimed: %+v", o)
	}
	if o := waitOutcome(t, cdup); o.err != nil || !o.r.Duplicate || o.r.Seq != oa.r.Seq || o.r.Hash != oa.r.Hash {
		t.Fatalf("the repeat of A: %+v, want A's receipt", o)
	}
	if o := waitOutcome(t, creused); !errors.As(o.err, &p) || p.Code != "id_conflict" {
		t.Fatalf("A's id for other content: %+v", o)
	}
	if len(above) != 2 {
		t.Fatalf("the batch sealed above A holds %d entries, want B and C", len(above))
	}
	rig.st.armed.Store(false)
	ledgertest.MustVerify(t, rig.st)
}

// TestPipelineFailedFlightVoidsTheBatchAbove: when a batch fails to commit, what was
// sealed on top of it is sealed again from where the failed batch began: its submitters
// are told it failed, nothing of it is stored, and those above take its positions; a
// repeat of a failed submission is recorded as new, not acknowledged as a duplicate of
// bytes that never landed.
func TestPipelineFailedFlightVoidsTheBatchAbove(t *testing.T) {
	rig := newPipelineRig(t)
	f, l := rig.f, rig.l
	start := l.Size()
	a := f.Event(t, "county-01", "s/1", 1)
	ca := rig.send(a)
	held := <-rig.st.entered
	rig.waitSealed(t, a.Submission.ID)
	b := f.Event(t, "county-01", "s/1", 2)
	cb, repeat := rig.send(b), rig.send(a)
	rig.waitSealed(t, b.Submission.ID, a.Submission.ID)
	rig.st.release <- errHiccup
	if o := waitOutcome(t, ca); !errors.Is(o.err, errHiccup) {
		t.Fatalf("A's batch failed, yet A was answered %+v", o)
	}
	again := <-rig.st.entered
	rig.st.release <- nil
	if len(again) != 2 || again[0].Seq != held[0].Seq {
		t.Fatalf("the batch above was not sealed again at A's position: %d entries from %d (A was at %d)", len(again), again[0].Seq, held[0].Seq)
	}
	ob, orep := waitOutcome(t, cb), waitOutcome(t, repeat)
	if ob.err != nil || orep.err != nil || orep.r.Duplicate {
		t.Fatalf("B %+v, the repeat of A %+v: want both recorded, the repeat as new", ob, orep)
	}
	// Both on A's stream, which A never reached: versions 1 and 2, in the order sealed.
	if v := []uint64{ob.r.StreamVersion, orep.r.StreamVersion}; v[0]+v[1] != 3 || v[0] == v[1] {
		t.Fatalf("stream versions %v, want 1 and 2", v)
	}
	if got := l.Size(); got != start+2 {
		t.Fatalf("size %d, want %d: B and the repeat of A", got, start+2)
	}
	rig.st.armed.Store(false)
	ledgertest.MustVerify(t, rig.st)
}

var errHiccup = errors.New("disk hiccup")

// TestPipelineRevocationInFlight: a key revoked in the batch being committed signs
// nothing in the batch sealed on top of it, although the submission was admitted against
// the registry as last committed.
func TestPipelineRevocationInFlight(t *testing.T) {
	rig := newPipelineRig(t)
	f, st := rig.f, rig.st
	k := f.Key("county-01")
	signed := f.Event(t, "county-01", "s/1", 1)
	revoke := rootAct(t, f, ledger.TypeKeyRevoked, ledger.KeyRevokedPayload{KeyID: k.Public().ID(), Reason: "lost"})
	crev := rig.send(revoke)
	<-st.entered
	cs := rig.send(signed)
	rig.waitSealed(t, signed.Submission.ID)
	st.release <- nil
	if o := waitOutcome(t, crev); o.err != nil {
		t.Fatal(o.err)
	}
	if o := waitOutcome(t, cs); !errors.Is(o.err, ledger.ErrUnauthorized) {
		t.Fatalf("a submission by a key revoked in the batch below: %+v", o)
	}
	if got, err := st.Lookup(ctx, []string{signed.Submission.ID}); err != nil || len(got) != 0 {
		t.Fatalf("the refused submission was written: %v %v", got, err)
	}
	st.armed.Store(false)
	ledgertest.MustVerify(t, st)
}

// flakyAppends fails about one append in rate, before writing anything (a transient
// failure: the next may succeed), and slows each commit a little so that batches pile up
// on top of the one in flight.
type flakyAppends struct {
	ledger.Store
	mu    sync.Mutex
	rnd   *rand.Rand
	rate  int
	fails int
}

func (s *flakyAppends) Append(ctx context.Context, b *ledger.Batch) error {
	s.mu.Lock()
	fail := s.rnd.IntN(s.rate) == 0
	if fail {
		s.fails++
	}
	s.mu.Unlock()
	time.Sleep(200 * time.Microsecond)
	if fail {
		return errHiccup
	}
	return s.Store.Append(ctx, b)
}

// TestPipelineUnderFailures: many submitters, repeats and conflicting ids among them, and
// commits that fail at random under the pipeline: every acknowledged receipt names the
// entry stored at its seq with its hash, nothing refused or failed is stored, each id is
// stored at most once, and the log verifies. The seed is printed;
// LEDGER_PROPERTY_SEED replays it.
func TestPipelineUnderFailures(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LEDGER_PROPERTY_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d", seed)
	st := &flakyAppends{Store: newStore(t), rnd: rand.New(rand.NewPCG(seed, 2)), rate: 1 << 30} // none while the ledger is set up
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{CheckpointEvery: -1})
	f.Register(t, l, "county-01")
	setup := l.Size()
	st.mu.Lock()
	st.rate = 4 // a quarter of the commits fail from here on
	st.mu.Unlock()
	const n = 1500
	subs := make([]*ledger.Signed, 0, n)
	for i := range n {
		subs = append(subs, f.Event(t, "county-01", fmt.Sprintf("s/%d", i%17), i))
	}
	type outcome struct {
		s   *ledger.Signed
		r   ledger.Receipt
		err error
	}
	results := make(chan outcome, 2*n)
	work := make(chan *ledger.Signed, n)
	r := rand.New(rand.NewPCG(seed, 3))
	for i := range n {
		s := subs[i]
		if r.IntN(10) == 0 { // a repeat of an earlier submission
			s = subs[r.IntN(i+1)]
		}
		work <- s
	}
	close(work)
	var wg sync.WaitGroup
	for range 32 { // closed-loop submitters: many small batches, each on top of the last
		wg.Go(func() {
			for s := range work {
				rc, err := l.Append(ctx, s)
				results <- outcome{s, rc, err}
			}
		})
	}
	wg.Wait()
	close(results)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	acked, failed := 0, 0
	ackedIDs := map[string]bool{}
	for o := range results {
		if o.err != nil {
			if !errors.Is(o.err, errHiccup) {
				t.Fatalf("%s: %v", o.s.Submission.ID, o.err)
			}
			failed++
			continue
		}
		acked++
		ackedIDs[o.s.Submission.ID] = true
		var got ledger.RawEntry
		if err := st.Entries(ctx, o.r.Seq, o.r.Seq+1, func(e ledger.RawEntry) error { got = e; return nil }); err != nil {
			t.Fatal(err)
		}
		e, err := ledger.ParseEntry(got.Bytes)
		if err != nil || got.Hash != o.r.Hash || e.Submission.ID != o.s.Submission.ID || !bytes.Equal(e.SubmissionRaw, o.s.Canonical) {
			t.Fatalf("receipt seq %d hash %x for %s, stored %s hash %x (%v)", o.r.Seq, o.r.Hash[:4], o.s.Submission.ID, e.Submission.ID, got.Hash[:4], err)
		}
	}
	// Each id stored at most once, and nothing stored that nobody was told is recorded: a
	// failed commit writes nothing, so every entry after the setup was acknowledged to
	// some submitter of it.
	ids := map[string]int{}
	h, _ := st.Head(ctx)
	if err := st.Entries(ctx, setup, h.Size, func(e ledger.RawEntry) error {
		pe, err := ledger.ParseEntry(e.Bytes)
		if err == nil && !ackedIDs[pe.Submission.ID] {
			t.Errorf("seq %d (%s) is stored, but every submitter of it was told it failed", e.Seq, pe.Submission.ID)
		}
		ids[pe.Submission.ID]++
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for id, c := range ids {
		if c > 1 {
			t.Fatalf("id %s stored %d times", id, c)
		}
	}
	st.mu.Lock()
	fails := st.fails
	st.mu.Unlock()
	t.Logf("%d acknowledged, %d told it failed, %d commits failed, %d entries", acked, failed, fails, h.Size)
	if fails == 0 || failed == 0 {
		t.Fatal("no commit failed: the test tested nothing")
	}
	ledgertest.MustVerify(t, st)
}

// slowAppends makes every commit take a while, so that a busy sequencer always has a
// batch in flight.
type slowAppends struct{ ledger.Store }

func (s slowAppends) Append(ctx context.Context, b *ledger.Batch) error {
	time.Sleep(300 * time.Microsecond)
	return s.Store.Append(ctx, b)
}

// TestPipelineRuleRestartsUnderLoad: however busy the sequencer, the domain's in-order
// rule is started afresh at least once every 64 batches sealed on top of one another (it
// carries what each of them opened, so a rule that lived for ever would grow for ever).
func TestPipelineRuleRestartsUnderLoad(t *testing.T) {
	st := slowAppends{newStore(t)}
	f := ledgertest.New(t)
	f.Init(t, st)
	var starts, commits atomic.Int64
	l := f.Open(t, st, ledger.Options{CheckpointEvery: -1,
		Sequence: func() func(*ledger.Signed, uint64) error {
			starts.Add(1)
			return func(*ledger.Signed, uint64) error { return nil }
		},
		OnCommit: func([]*ledger.Entry) { commits.Add(1) }})
	f.Register(t, l, "county-01")
	subs := make(chan *ledger.Signed, 3000)
	for i := range cap(subs) {
		subs <- f.Event(t, "county-01", fmt.Sprintf("s/%d", i%50), i)
	}
	close(subs)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for s := range subs {
				if _, err := l.Append(ctx, s); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	c, s := commits.Load(), starts.Load()
	t.Logf("%d commits, the rule started %d times", c, s)
	if c < 200 || s < c/65 {
		t.Fatalf("%d commits but the rule started only %d times", c, s)
	}
}
