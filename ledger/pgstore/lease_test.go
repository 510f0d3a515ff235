package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// stallBound is how long the other writers may go without an acknowledgement while a
// head-lock holder is stalled: the default lease, plus room for a loaded machine.
const stallBound = defaultLease + 1500*time.Millisecond

const defaultLease = pgstore.DefaultLease

// acks records when acknowledgements arrived.
type acks struct {
	mu    sync.Mutex
	times []time.Time
	ids   map[string]uint64
}

func (a *acks) add(id string, seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.times = append(a.times, time.Now())
	if a.ids == nil {
		a.ids = map[string]uint64{}
	}
	a.ids[id] = seq
}

// count is how many acknowledgements arrived so far.
func (a *acks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.times)
}

// longestGap is the longest time within [from, to] without an acknowledgement.
func (a *acks) longestGap(from, to time.Time) time.Duration {
	a.mu.Lock()
	ts := append([]time.Time(nil), a.times...)
	a.mu.Unlock()
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	prev, gap := from, time.Duration(0)
	for _, t := range ts {
		if t.Before(from) {
			continue
		}
		if t.After(to) {
			break
		}
		gap = max(gap, t.Sub(prev))
		prev = t
	}
	return max(gap, to.Sub(prev))
}

// checkStored fails unless every acknowledged id is stored at its seq.
func (a *acks) checkStored(t *testing.T, st *pgstore.Store) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]string, 0, len(a.ids))
	for id := range a.ids {
		ids = append(ids, id)
	}
	stored, err := st.Lookup(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for id, seq := range a.ids {
		if got, ok := stored[id]; !ok || got != seq {
			t.Fatalf("acknowledged %s at seq %d; stored: %d %v", id, seq, got, ok)
		}
	}
}

// TestStalledLockHolder: a writer whose sequencer stalls inside the head lock (its
// session idle in transaction, as a paused process's is) must not stop the others for
// longer than the lease. Afterwards the stalled writer resumes and its submission is
// acknowledged, and the log is one chain.
func TestStalledLockHolder(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	f := ledgertest.New(t)
	st0 := open(t, url)
	f.Init(t, st0)
	a := f.Open(t, st0, ledger.Options{})
	for _, inst := range []string{"county-00", "county-01", "county-02"} {
		f.Register(t, a, inst)
	}
	b := f.Open(t, open(t, url), ledger.Options{})

	// The stalled writer: its Sequence hook (called inside the head lock, before sealing)
	// blocks until released once stall is set.
	var stallMu sync.Mutex
	stall := false
	stalled, release := make(chan struct{}), make(chan struct{})
	c := f.Open(t, open(t, url), ledger.Options{Sequence: func() func(*ledger.Signed, uint64) error {
		stallMu.Lock()
		s := stall
		stall = false
		stallMu.Unlock()
		if s {
			close(stalled)
			<-release
		}
		return nil
	}})

	var got acks
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failed sync.Map
	for w, l := range []*ledger.Ledger{a, b} {
		for g := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inst := fmt.Sprintf("county-%02d", w)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					s := f.Event(t, inst, fmt.Sprintf("resource/w%d-g%d", w, g), i)
					r, err := l.Append(ctx, s)
					if err != nil {
						failed.Store(s.Submission.ID, err)
						continue
					}
					got.add(s.Submission.ID, r.Seq)
				}
			}()
		}
	}
	time.Sleep(500 * time.Millisecond)

	stallMu.Lock()
	stall = true
	stallMu.Unlock()
	cDone := make(chan error, 1)
	cEvent := f.Event(t, "county-02", "resource/stalled", 1)
	go func() {
		r, err := c.Append(ctx, cEvent)
		if err == nil {
			got.add(cEvent.Submission.ID, r.Seq)
		}
		cDone <- err
	}()
	select {
	case <-stalled:
	case <-time.After(30 * time.Second):
		t.Fatal("the stalled writer never reached its critical section")
	}
	from := time.Now()
	time.Sleep(3 * defaultLease)
	to := time.Now()
	close(release) // the paused writer comes back
	select {
	case err := <-cDone:
		if err != nil {
			t.Errorf("the writer that stalled inside the lock failed its submission after resuming: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the writer that stalled inside the lock did not recover")
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	failed.Range(func(id, err any) bool {
		t.Errorf("append %s failed: %v", id, err)
		return false
	})
	gap := got.longestGap(from, to)
	t.Logf("longest time without an acknowledgement while a holder stalled %v: %v (bound %v); %d acknowledged",
		to.Sub(from).Round(time.Millisecond), gap.Round(time.Millisecond), stallBound, len(got.ids))
	if gap > stallBound {
		t.Errorf("the other writers went %v without an acknowledgement while one holder stalled (bound %v)", gap.Round(time.Millisecond), stallBound)
	}
	// Each ledger can still append, and the log is one chain.
	for _, l := range []*ledger.Ledger{a, b, c} {
		if _, err := l.Append(ctx, f.Event(t, "county-00", "resource/after", 1)); err != nil {
			t.Errorf("append after the stall: %v", err)
		}
	}
	got.checkStored(t, st0)
	ledgertest.MustVerify(t, st0)
}

// TestPausedWriterProcess: two writer processes; one is frozen with SIGSTOP while it
// holds the head lock. The other keeps acknowledging within the lease; after SIGCONT
// the frozen one acknowledges again; every acknowledged entry is stored at its seq and
// the log verifies.
func TestPausedWriterProcess(t *testing.T) {
	ctx := context.Background()
	url, keys := crashFixture(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	type writerProc struct {
		cmd  *exec.Cmd
		acks acks
		done chan struct{}
	}
	start := func(name string) *writerProc {
		w := &writerProc{done: make(chan struct{})}
		w.cmd = exec.Command(os.Args[0])
		w.cmd.Env = append(os.Environ(), "PGSTORE_WRITER="+url+sep+"application_name="+name, "PGSTORE_WRITER_KEYS="+keys)
		w.cmd.Stderr = os.Stderr
		out, err := w.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.cmd.Process.Signal(syscall.SIGCONT); w.cmd.Process.Kill(); <-w.done })
		go func() {
			defer close(w.done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 3 && f[0] == "ack" {
					seq, _ := strconv.ParseUint(f[2], 10, 64)
					w.acks.add(f[1], seq)
				}
			}
			w.cmd.Wait()
		}()
		return w
	}
	running, frozen := start("writer-running"), start("writer-frozen")
	waitAcks := func(w *writerProc, n int) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			k := w.acks.count()
			if k >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("a writer made no progress (%d acknowledged)", k)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcks(running, 50)
	waitAcks(frozen, 50)

	// Freeze the writer at a moment when its session holds the head lock.
	st := open(t, url)
	holds := func() bool {
		var n int
		err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'writer-frozen'`).Scan(&n)
		return err == nil && n > 0
	}
	froze := false
	for try := 0; try < 2000 && !froze; try++ {
		frozen.cmd.Process.Signal(syscall.SIGSTOP)
		time.Sleep(2 * time.Millisecond)
		if holds() {
			froze = true
			break
		}
		frozen.cmd.Process.Signal(syscall.SIGCONT)
		time.Sleep(time.Duration(try%7) * time.Millisecond)
	}
	if !froze {
		t.Fatal("never caught the writer holding the head lock")
	}
	before := frozen.acks.count()
	from := time.Now()
	time.Sleep(3 * defaultLease)
	to := time.Now()
	frozen.cmd.Process.Signal(syscall.SIGCONT)
	waitAcks(frozen, before+50) // it recovers and acknowledges again
	waitAcks(running, running.acks.count()+50)

	gap := running.acks.longestGap(from, to)
	t.Logf("longest time without an acknowledgement while the other writer was frozen holding the lock for %v: %v (bound %v)",
		to.Sub(from).Round(time.Millisecond), gap.Round(time.Millisecond), stallBound)
	if gap > stallBound {
		t.Errorf("the running writer went %v without an acknowledgement while the other was frozen (bound %v)", gap.Round(time.Millisecond), stallBound)
	}
	for _, w := range []*writerProc{running, frozen} {
		w.cmd.Process.Kill()
		<-w.done
		w.acks.checkStored(t, st)
	}
	rep := ledgertest.MustVerify(t, st)
	t.Logf("%d + %d acknowledged, all stored; %d entries verify", len(running.acks.ids), len(frozen.acks.ids), rep.Entries)
}

// stallingLedger opens a ledger on its own store whose sequencer, once stall() is
// called, blocks inside the head lock (in its Sequence hook) until release is closed.
func stallingLedger(t *testing.T, f *ledgertest.Fixture, st *pgstore.Store) (l *ledger.Ledger, stall func(), stalled, release chan struct{}) {
	var mu sync.Mutex
	on := false
	stalled, release = make(chan struct{}), make(chan struct{})
	l = f.Open(t, st, ledger.Options{Sequence: func() func(*ledger.Signed, uint64) error {
		mu.Lock()
		s := on
		on = false
		mu.Unlock()
		if s {
			close(stalled)
			<-release
		}
		return nil
	}})
	return l, func() { mu.Lock(); on = true; mu.Unlock() }, stalled, release
}

// TestLockSessionKilled: the server ends a holder's lock session (here an operator's
// pg_terminate_backend) while its batch is being sealed, well within the lease. The
// holder's append meets a dead session, cannot know from the error whether the batch
// committed, reads the log, and appends it without the lock: the submission is
// acknowledged, once, and the log verifies.
func TestLockSessionKilled(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	f := ledgertest.New(t)
	st0 := open(t, url)
	f.Init(t, st0)
	a := f.Open(t, st0, ledger.Options{})
	f.Register(t, a, "county-00")
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	c, stall, stalled, release := stallingLedger(t, f, open(t, url+sep+"application_name=doomed"))
	stall()
	done := make(chan error, 1)
	s := f.Event(t, "county-00", "resource/doomed", 1)
	var rc ledger.Receipt
	go func() {
		var err error
		rc, err = c.Append(ctx, s)
		done <- err
	}()
	<-stalled
	var n int
	if err := st0.Pool().QueryRow(ctx, `SELECT count(pg_terminate_backend(a.pid)) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'doomed'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminating the holder's session: %d sessions, %v", n, err)
	}
	// Another writer goes on at once: the lock went with the session.
	if _, err := a.Append(ctx, f.Event(t, "county-00", "resource/other", 1)); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the holder whose session was killed failed its submission: %v", err)
	}
	stored, err := st0.Lookup(ctx, []string{s.Submission.ID})
	if err != nil || stored[s.Submission.ID] != rc.Seq {
		t.Fatalf("acknowledged at %d, stored %v (%v)", rc.Seq, stored, err)
	}
	if _, err := c.Append(ctx, f.Event(t, "county-00", "resource/doomed", 2)); err != nil {
		t.Fatalf("the holder cannot append after reconnecting: %v", err)
	}
	ledgertest.MustVerify(t, st0)
}

// TestForeignLockHolder: a session the server does not end (another program holding
// the head lock with a session-level lock) keeps it far beyond the lock wait. Each
// writer waits for it once, then queues on the head row's lock: acknowledgements stop
// for no longer than the lock wait, not for a wait per batch.
//
// It runs with a lease of 1 s set in the connection string (ledger_lease=1s), which
// makes the lock wait 1.5 s.
func TestForeignLockHolder(t *testing.T) {
	const lease = time.Second
	url := pgtest.NewDatabase(t)
	if strings.Contains(url, "?") {
		url += "&ledger_lease=1s"
	} else {
		url += "?ledger_lease=1s"
	}
	ctx := context.Background()
	f := ledgertest.New(t)
	st0 := open(t, url)
	f.Init(t, st0)
	a := f.Open(t, st0, ledger.Options{})
	f.Register(t, a, "county-00")
	f.Register(t, a, "county-01")
	b := f.Open(t, open(t, url), ledger.Options{})

	var got acks
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failed sync.Map
	for w, l := range []*ledger.Ledger{a, b} {
		for g := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					s := f.Event(t, fmt.Sprintf("county-%02d", w), fmt.Sprintf("resource/w%d-g%d", w, g), i)
					r, err := l.Append(ctx, s)
					if err != nil {
						failed.Store(s.Submission.ID, err)
						continue
					}
					got.add(s.Submission.ID, r.Seq)
				}
			}()
		}
	}
	time.Sleep(300 * time.Millisecond)
	foreign, err := st0.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := foreign.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(pgstore.HeadLockKey)); err != nil {
		t.Fatal(err)
	}
	from := time.Now()
	time.Sleep(6 * lease)
	to := time.Now()
	foreign.Exec(ctx, "SELECT pg_advisory_unlock_all()")
	foreign.Release()
	time.Sleep(2 * lease) // back on the advisory lock
	close(stop)
	wg.Wait()
	failed.Range(func(id, err any) bool {
		t.Errorf("append %s failed: %v", id, err)
		return false
	})
	bound := lease*3/2 + 1500*time.Millisecond // the lock wait, and a margin
	gap := got.longestGap(from, to)
	t.Logf("longest time without an acknowledgement while a foreign session held the lock for %v: %v (bound %v); %d acknowledged",
		to.Sub(from).Round(time.Millisecond), gap.Round(time.Millisecond), bound, len(got.ids))
	if gap > bound {
		t.Errorf("writers went %v without an acknowledgement (bound %v)", gap.Round(time.Millisecond), bound)
	}
	// After the stall, acknowledgements flow at the usual pace, not one per lock wait.
	if n := got.countIn(from.Add(bound), to); n < 50 {
		t.Errorf("only %d acknowledgements in the %v after the first lock wait", n, to.Sub(from.Add(bound)).Round(time.Millisecond))
	}
	got.checkStored(t, st0)
	ledgertest.MustVerify(t, st0)
}

// countIn counts acknowledgements within [from, to].
func (a *acks) countIn(from, to time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, t := range a.times {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	return n
}
