package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// The tests in this file run several real ledgerd binaries as front-ends of one
// PostgreSQL database and drive each with its own `ledgerctl load` (a distinct
// --institution per load, as each load registers its own). Nothing is simulated: the
// processes are killed and frozen with real signals.

// frontEnds is a deployment under test: N ledgerd on one database.
type frontEnds struct {
	t                  *testing.T
	ledgerd, ledgerctl string
	pg                 string // the database's URL as the front-ends get it
	dir                string
	fes                []*frontEnd
	args               []string // extra flags for every front-end
	secret             string   // with withRelay: the relay secret's file
}

// withRelay, among newFrontEnds' args, runs the deployment with one sequencing point:
// each front-end gets a relay listener of its own and the deployment's secret.
const withRelay = "+relay"

// frontEnd is one ledgerd process.
type frontEnd struct {
	i       int
	data    string
	addr    string
	relay   string // --relay-listen, with withRelay
	logFile string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
}

func (fe *frontEnd) url() string { return "http://" + fe.addr }

// binaries builds ledgerd and ledgerctl once per test binary.
var binaries struct {
	once               sync.Once
	dir                string
	ledgerd, ledgerctl string
	err                error
}

// buildBinaries builds ledgerd and ledgerctl from this module, or takes them from
// LEDGER_FRONTENDS_BIN (a directory holding both), to measure another build the same way.
func buildBinaries(t *testing.T) (ledgerd, ledgerctl string) {
	t.Helper()
	if dir := os.Getenv("LEDGER_FRONTENDS_BIN"); dir != "" {
		return filepath.Join(dir, "ledgerd"), filepath.Join(dir, "ledgerctl")
	}
	binaries.once.Do(func() {
		binaries.dir, binaries.err = os.MkdirTemp("", "ledgerd-frontends-")
		if binaries.err != nil {
			return
		}
		for _, name := range []string{"ledgerd", "ledgerctl"} {
			out := filepath.Join(binaries.dir, name)
			cmd := exec.Command("go", "build", "-o", out, "github.com/aba-prefecture/dataledger/cmd/"+name)
			if b, err := cmd.CombinedOutput(); err != nil {
				binaries.err = fmt.Errorf("go build %s: %v\n%s", name, err, b)
				return
			}
		}
		binaries.ledgerd, binaries.ledgerctl = filepath.Join(binaries.dir, "ledgerd"), filepath.Join(binaries.dir, "ledgerctl")
	})
	if binaries.err != nil {
		t.Fatal(binaries.err)
	}
	return binaries.ledgerd, binaries.ledgerctl
}

// newFrontEnds founds a ledger in a fresh database through front-end 0, then starts
// n-1 more with copies of its keys (docs/storage.md: found with one, copy DATA/keys).
func newFrontEnds(t *testing.T, n int, pgParams string, args ...string) *frontEnds {
	t.Helper()
	ledgerd, ledgerctl := buildBinaries(t)
	pg := pgtest.NewDatabase(t)
	if pgParams != "" {
		sep := "?"
		if strings.Contains(pg, "?") {
			sep = "&"
		}
		pg += sep + pgParams
	}
	c := &frontEnds{t: t, ledgerd: ledgerd, ledgerctl: ledgerctl, pg: pg, dir: t.TempDir()}
	for _, a := range args {
		if a != withRelay {
			c.args = append(c.args, a)
			continue
		}
		c.secret = filepath.Join(c.dir, "relay.secret")
		if err := os.WriteFile(c.secret, []byte(strings.Repeat("relay-secret-for-tests-", 3)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		fe := &frontEnd{i: i, data: filepath.Join(c.dir, fmt.Sprintf("fe%d", i)), addr: freeAddr(t),
			logFile: filepath.Join(c.dir, fmt.Sprintf("fe%d.log", i))}
		if c.secret != "" {
			fe.relay = freeAddr(t)
		}
		if i > 0 {
			copyDir(t, filepath.Join(c.fes[0].data, "keys"), filepath.Join(fe.data, "keys"))
		}
		c.fes = append(c.fes, fe)
		c.start(fe)
	}
	return c
}

// start starts fe's ledgerd and waits until it is ready; its log is appended to.
func (c *frontEnds) start(fe *frontEnd) {
	t := c.t
	t.Helper()
	lf, err := os.OpenFile(fe.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--data", fe.data, "--store", c.pg, "--listen", fe.addr, "--log-level", "warn"}, c.args...)
	if fe.relay != "" {
		args = append(args, "--relay-listen", fe.relay, "--relay-secret-file", c.secret)
	}
	fe.cmd = exec.Command(c.ledgerd, args...)
	fe.cmd.Stdout, fe.cmd.Stderr = lf, lf
	fe.done = make(chan struct{})
	if err := fe.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, done := fe.cmd, fe.done
	go func() { fe.err = cmd.Wait(); lf.Close(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		<-done
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(fe.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-done:
			b, _ := os.ReadFile(fe.logFile)
			t.Fatalf("front-end %d exited at start (%v):\n%s", fe.i, fe.err, b)
		case <-time.After(20 * time.Millisecond):
		}
	}
	b, _ := os.ReadFile(fe.logFile)
	t.Fatalf("front-end %d not ready within a minute:\n%s", fe.i, b)
}

// stop drains every front-end still running (SIGTERM) and reports non-zero exits.
func (c *frontEnds) stop() {
	for _, fe := range c.fes {
		select {
		case <-fe.done:
			continue
		default:
		}
		fe.cmd.Process.Signal(syscall.SIGCONT)
		fe.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-fe.done:
			if fe.err != nil {
				b, _ := os.ReadFile(fe.logFile)
				c.t.Errorf("front-end %d drained with %v:\n%s", fe.i, fe.err, tail(b, 4000))
			}
		case <-time.After(60 * time.Second):
			c.t.Errorf("front-end %d did not drain within a minute", fe.i)
			fe.cmd.Process.Kill()
			<-fe.done
		}
	}
}

// load is one running `ledgerctl load` against one front-end.
type load struct {
	fe    *frontEnd
	acked string
	out   bytes.Buffer
	cmd   *exec.Cmd
	done  chan struct{}
	err   error
}

// startLoad starts `ledgerctl load --acked` of events against fe.
func (c *frontEnds) startLoad(fe *frontEnd, name string, events, concurrency int, retryFor time.Duration) *load {
	c.t.Helper()
	l := &load{fe: fe, acked: filepath.Join(c.dir, name+".acked"), done: make(chan struct{})}
	l.cmd = exec.Command(c.ledgerctl, "load", "--server", fe.url(), "--events", strconv.Itoa(events), "--acked", l.acked,
		"--concurrency", strconv.Itoa(concurrency), "--retry-for", retryFor.String(), "--institution", name, "--json")
	// LEDGER_FRONTENDS_LOAD_ARGS adds flags to every load (--batch N: the batch route).
	l.cmd.Args = append(l.cmd.Args, strings.Fields(os.Getenv("LEDGER_FRONTENDS_LOAD_ARGS"))...)
	l.cmd.Stdout, l.cmd.Stderr = &l.out, &l.out
	if err := l.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() { l.err = l.cmd.Wait(); close(l.done) }()
	c.t.Cleanup(func() { l.cmd.Process.Kill(); <-l.done })
	return l
}

// ackedIDs reads a load's --acked file.
func ackedIDs(t *testing.T, l *load) []string {
	t.Helper()
	b, err := os.ReadFile(l.acked)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// checkLog checks that every acknowledged id is stored, once, that the log is
// contiguous from seq 0, and that `ledgerctl verify` exits 0 against front-end 0's
// published checkpoints. It returns the log's size.
func (c *frontEnds) checkLog(acked []string) uint64 {
	t := c.t
	t.Helper()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, c.pg, pgstore.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := st.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n, lo, hi int64
	if err := st.Pool().QueryRow(ctx, "SELECT count(*), coalesce(min(seq), -1), coalesce(max(seq), -1) FROM ledger_entries").Scan(&n, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if uint64(n) != h.Size || lo != 0 || hi != n-1 {
		t.Fatalf("log not contiguous: %d rows, seqs %d..%d, head %d", n, lo, hi, h.Size)
	}
	pos, err := st.Lookup(ctx, acked)
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, id := range acked {
		if _, ok := pos[id]; !ok {
			if missing < 5 {
				t.Errorf("acknowledged id %s is not in the log", id)
			}
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged ids are missing", missing, len(acked))
	}
	out, err := exec.Command(c.ledgerctl, "verify", "--store", c.pg, "--data", c.fes[0].data).CombinedOutput()
	if err != nil {
		t.Fatalf("ledgerctl verify: %v\n%s", err, out)
	}
	return h.Size
}

// waitDerived waits until a front-end's compliance position reaches the log's size.
func (c *frontEnds) waitDerived() {
	t := c.t
	ctx := context.Background()
	st, err := pgstore.Open(ctx, c.pg, pgstore.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.Head(ctx)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, fe := range c.fes {
			resp, err := http.Get(fe.url() + "/metrics")
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "ledger_compliance_position "); ok {
					if pos, err := strconv.ParseFloat(v, 64); err == nil && uint64(pos) >= h.Size {
						return
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the compliance metrics did not reach the log's %d entries within a minute", h.Size)
}

// cpuTicks is the user+system CPU time of a process and its reaped children, in clock
// ticks (100 per second on Linux).
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from after its closing parenthesis.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	var sum int64
	for _, i := range []int{11, 12} { // utime, stime (fields 14 and 15 of stat)
		v, _ := strconv.ParseInt(f[i], 10, 64)
		sum += v
	}
	return sum
}

// postgresTicks is the CPU time of every process named postgres (the server and its
// backends, ours and any other user's).
func postgresTicks() int64 {
	ents, _ := os.ReadDir("/proc")
	var sum int64
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || !strings.HasPrefix(string(comm), "postgres") {
			continue
		}
		sum += cpuTicks(pid)
	}
	return sum
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// run is one measured load of events spread evenly over the front-ends.
type runFigures struct {
	n            int
	events       int64
	elapsed      time.Duration
	ledgerdTicks int64
	pgTicks      int64
	commits      int64   // group commits, all front-ends
	loadTicks    int64   // the load generators' CPU (they sign every submission)
	busy         float64 // the machine's busy share of all its cores in the window, 0–1
	load         string
}

// perCommit is the mean number of entries in one group commit.
func (r runFigures) perCommit() float64 { return float64(r.events) / float64(max(r.commits, 1)) }

func (r runFigures) perS() float64 { return float64(r.events) / r.elapsed.Seconds() }

// cpuPerEvent is the front-ends' CPU per acknowledged event, in microseconds.
func (r runFigures) cpuPerEvent() float64 { return float64(r.ledgerdTicks) * 1e4 / float64(r.events) }
func (r runFigures) pgPerEvent() float64  { return float64(r.pgTicks) * 1e4 / float64(r.events) }

// loadPerEvent is the load generators' CPU per acknowledged event, in microseconds.
func (r runFigures) loadPerEvent() float64 { return float64(r.loadTicks) * 1e4 / float64(r.events) }

// machineTicks is the machine's busy and total CPU time over all cores, in clock ticks,
// from the first line of /proc/stat (idle and iowait are the idle part).
func machineTicks() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i >= 8 { // guest time is already counted in user
			break
		}
		total += n
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return busy, total
}

// measure runs one load of total events over n fresh front-ends and checks the log.
// The CPU window runs from the loads' start until the compliance metrics (derived work,
// folded by one front-end, every second here) have folded the whole log, so that every
// run pays for all its work.
func measure(t *testing.T, n, total, concurrency int, args ...string) runFigures {
	c := newFrontEnds(t, n, "", append([]string{"--compliance-interval", "1s"}, args...)...)
	defer c.stop()
	per := total / n
	before := int64(0)
	each := make([]int64, n) // each front-end's CPU in the window
	for i, fe := range c.fes {
		each[i] = cpuTicks(fe.cmd.Process.Pid)
		before += each[i]
	}
	pgBefore := postgresTicks()
	busyBefore, totalBefore := machineTicks()
	start := time.Now()
	loads := make([]*load, n)
	for i, fe := range c.fes {
		loads[i] = c.startLoad(fe, fmt.Sprintf("fig%d-%d", n, i), per, max(1, concurrency/n), time.Minute)
	}
	for _, l := range loads {
		<-l.done
	}
	elapsed := time.Since(start)
	busyAfter, totalAfter := machineTicks()
	c.waitDerived()
	after := int64(0)
	for i, fe := range c.fes {
		t := cpuTicks(fe.cmd.Process.Pid)
		after += t
		each[i] = t - each[i]
	}
	r := runFigures{n: n, elapsed: elapsed, ledgerdTicks: after - before, pgTicks: postgresTicks() - pgBefore, load: loadAvg(),
		busy: float64(busyAfter-busyBefore) / float64(max(totalAfter-totalBefore, 1))}
	for _, l := range loads {
		if ps := l.cmd.ProcessState; ps != nil {
			r.loadTicks += (ps.UserTime() + ps.SystemTime()).Milliseconds() / 10
		}
	}
	for i, fe := range c.fes {
		commits := int64(metricValue(fe, "ledger_batch_entries_count"))
		r.commits += commits
		t.Logf("front-end %d: CPU %.2f s, %d group commits", i, float64(each[i])/100, commits)
	}
	var acked []string
	for _, l := range loads {
		if l.err != nil {
			t.Fatalf("load on front-end %d: %v\n%s", l.fe.i, l.err, l.out.String())
		}
		acked = append(acked, ackedIDs(t, l)...)
	}
	r.events = int64(len(acked))
	c.checkLog(acked)
	return r
}

// TestFrontEndsShareOneDatabase: two ledgerd on one database, each loaded through
// `ledgerctl load --acked`; every acknowledged id is stored, the log is contiguous and
// verifies. LEDGER_FRONTENDS_EVENTS scales it (default 600 in all).
func TestFrontEndsShareOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	total := envInt(t, "LEDGER_FRONTENDS_EVENTS", 600)
	r := measure(t, 2, total, 64)
	t.Logf("2 front-ends: %d acknowledged in %v (%.0f/s), ledgerd CPU %.0f µs/event; load %s", r.events, r.elapsed.Round(time.Millisecond), r.perS(), r.cpuPerEvent(), r.load)
}

// TestFrontEndFigures measures 1, 2 and 4 front-ends on one database, rounds
// interleaved: events/s and CPU per acknowledged event (ledgerd processes; PostgreSQL
// shown apart, as other users of the server add to it). Run by hand:
//
//	LEDGER_FRONTENDS_FIGURES=20000 go test -run TestFrontEndFigures -v -timeout 1h ./cmd/ledgerd/
//
// LEDGER_FRONTENDS_ROUNDS (default 3) and LEDGER_FRONTENDS_ARGS (extra ledgerd flags,
// space-separated) tune it.
func TestFrontEndFigures(t *testing.T) {
	total, _ := strconv.Atoi(os.Getenv("LEDGER_FRONTENDS_FIGURES"))
	if total <= 0 {
		t.Skip("set LEDGER_FRONTENDS_FIGURES=EVENTS to measure")
	}
	rounds := envInt(t, "LEDGER_FRONTENDS_ROUNDS", 3)
	args := strings.Fields(os.Getenv("LEDGER_FRONTENDS_ARGS"))
	counts := []int{1, 2, 4}
	if v := os.Getenv("LEDGER_FRONTENDS_COUNTS"); v != "" {
		counts = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				t.Fatalf("LEDGER_FRONTENDS_COUNTS=%q: a comma-separated list of front-end counts", v)
			}
			counts = append(counts, n)
		}
	}
	res := map[int][]runFigures{}
	for round := range rounds {
		for _, n := range counts {
			var r runFigures
			t.Run(fmt.Sprintf("round%d-%dfe", round+1, n), func(t *testing.T) { r = measure(t, n, total, envInt(t, "LEDGER_FRONTENDS_CONCURRENCY", 128), args...) })
			res[n] = append(res[n], r)
			t.Logf("round %d, %d front-ends: %d events in %v = %.0f/s; ledgerd CPU %.0f µs/event, postgres %.0f µs/event, load generators %.0f µs/event; machine busy %.0f%% while loaded; %.0f entries per group commit; load average %s",
				round+1, n, r.events, r.elapsed.Round(time.Millisecond), r.perS(), r.cpuPerEvent(), r.pgPerEvent(), r.loadPerEvent(), 100*r.busy, r.perCommit(), r.load)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| round | front-ends | events/s | ledgerd CPU µs/event | postgres CPU µs/event | load average |\n|---|---|---|---|---|---|\n")
	for round := range rounds {
		for _, n := range counts {
			r := res[n][round]
			fmt.Fprintf(&b, "| %d | %d | %.0f | %.0f | %.0f | %s |\n", round+1, n, r.perS(), r.cpuPerEvent(), r.pgPerEvent(), r.load)
		}
	}
	med := func(n int, f func(runFigures) float64) float64 {
		return medianOver(rounds, func(i int) float64 { return f(res[n][i]) })
	}
	// Ratios per round, then their median.
	ratio := func(a, c int, f func(runFigures) float64) float64 {
		return medianOver(rounds, func(i int) float64 { return f(res[a][i]) / f(res[c][i]) })
	}
	rate := runFigures.perS
	cpu := runFigures.cpuPerEvent
	both := func(r runFigures) float64 { return r.cpuPerEvent() + r.pgPerEvent() }
	all := func(r runFigures) float64 { return r.cpuPerEvent() + r.pgPerEvent() + r.loadPerEvent() }
	busy := func(r runFigures) float64 { return 100 * r.busy }
	fmt.Fprintf(&b, "\nmedians:\n")
	for _, n := range counts {
		fmt.Fprintf(&b, "  %d front-ends: events/s %.0f; ledgerd CPU %.0f µs/event; ledgerd+postgres+load generators %.0f µs/event; machine busy %.0f%%\n",
			n, med(n, rate), med(n, cpu), med(n, all), med(n, busy))
	}
	fmt.Fprintf(&b, "median of per-round ratios to %d front-ends:\n", counts[0])
	for _, n := range counts[1:] {
		fmt.Fprintf(&b, "  %d : %d — events/s %.2f; ledgerd CPU/event %.2f; ledgerd+postgres %.2f; with the load generators %.2f\n",
			n, counts[0], ratio(n, counts[0], rate), ratio(n, counts[0], cpu), ratio(n, counts[0], both), ratio(n, counts[0], all))
	}
	t.Log(b.String())
}

// medianOver is the median of f over rounds 0..rounds-1: figures are taken within a
// round, where the machine's load is the same for every shape, and then their median.
func medianOver(rounds int, f func(round int) float64) float64 {
	v := make([]float64, 0, rounds)
	for i := range rounds {
		v = append(v, f(i))
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

// watchAcks follows a load's --acked file every 20 ms and reports, each time it grew,
// how many lines it holds.
func watchAcks(path string, stop <-chan struct{}, fn func(n int)) {
	var off int64
	n := 0
	for {
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		f.Seek(off, io.SeekStart)
		r := bufio.NewReader(f)
		grew := 0
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				break // a line still being written is read on the next poll
			}
			off += int64(len(line))
			grew++
		}
		f.Close()
		if grew > 0 {
			n += grew
			fn(n)
		}
	}
}

// TestFrontEndsSurviveKillAndFreeze runs front-ends on one database under load, each
// driven by its own `ledgerctl load --acked`; one is killed with SIGKILL (and started
// again, so its load can finish) and another is frozen with SIGSTOP. While it is frozen
// the others keep acknowledging: no gap longer than the lease (plus a margin for this
// loaded machine). At the end every acknowledged id is stored, the log is contiguous
// from 0, and `ledgerctl verify` exits 0.
//
// The ordinary run uses three front-ends, a 1 s lease and a 3 s freeze; the long one
// (LEDGER_FRONTENDS_LONG=1) four front-ends, the default 2 s lease and a 30 s freeze.
func TestFrontEndsSurviveKillAndFreeze(t *testing.T) { surviveKillAndFreeze(t) }

// TestSequencingPointSurvivesKillAndFreeze is the same with one sequencing point
// (--relay-listen): the front-end killed is the sequencing point, and the one frozen is
// the sequencing point elected after it, so both fail-overs happen under load.
func TestSequencingPointSurvivesKillAndFreeze(t *testing.T) { surviveKillAndFreeze(t, withRelay) }

func surviveKillAndFreeze(t *testing.T, args ...string) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	n, lease, freeze, events := 3, time.Second, 3*time.Second, 3000
	params := "ledger_lease=1s"
	if os.Getenv("LEDGER_FRONTENDS_LONG") != "" {
		n, lease, freeze, events, params = 4, 2*time.Second, 30*time.Second, 40000, ""
	}
	c := newFrontEnds(t, n, params, args...)
	defer c.stop()
	relayed := c.secret != ""
	loads := make([]*load, n)
	for i, fe := range c.fes {
		loads[i] = c.startLoad(fe, fmt.Sprintf("kf-%d", i), events, 32, 2*time.Minute)
	}
	// Record when each load's acknowledgements arrive (polled: a time, and how many by then).
	var mu sync.Mutex
	ackTimes := make([][]time.Time, n)
	ackCounts := make([][]int, n)
	stopWatch := make(chan struct{})
	var watchers sync.WaitGroup
	for i, l := range loads {
		watchers.Add(1)
		go func() {
			defer watchers.Done()
			watchAcks(l.acked, stopWatch, func(k int) {
				mu.Lock()
				ackTimes[i] = append(ackTimes[i], time.Now())
				ackCounts[i] = append(ackCounts[i], k)
				mu.Unlock()
			})
		}()
	}
	waitAcked := func(i, k int) {
		deadline := time.Now().Add(2 * time.Minute)
		for len(ackedIDs(t, loads[i])) < k {
			select {
			case <-loads[i].done:
				t.Fatalf("load %d ended early: %v\n%s", i, loads[i].err, loads[i].out.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("load %d made no progress", i)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ends := make([]time.Time, n) // when a load finished during the freeze
	ki, fi := 1, 2
	if relayed {
		ki = c.waitSequencing(-1)
	}
	killed := c.fes[ki]
	waitAcked(ki, events/10)
	if err := killed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-killed.done
	t.Logf("front-end %d killed after %d acknowledged", ki, len(ackedIDs(t, loads[ki])))

	if relayed {
		fi = c.waitSequencing(ki)
		t.Logf("front-end %d took over as the sequencing point", fi)
	}
	frozen := c.fes[fi]
	waitAcked(fi, events/10)
	if err := frozen.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	from := time.Now()
	time.Sleep(freeze / 2)
	c.start(killed) // the killed one comes back while the other is still frozen
	time.Sleep(time.Until(from.Add(freeze)))
	to := time.Now()
	if err := frozen.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	t.Logf("front-end %d frozen for %v", fi, to.Sub(from).Round(time.Millisecond))

	// A load that finished during the freeze acknowledges nothing after it: its window
	// ends at its last acknowledgement.
	var others []int
	for i := range n {
		if i != ki && i != fi {
			others = append(others, i)
		}
	}
	for _, i := range others {
		select {
		case <-loads[i].done:
			mu.Lock()
			if k := len(ackTimes[i]); k > 0 && ackTimes[i][k-1].Before(to) {
				t.Logf("load %d finished during the freeze", i)
				ends[i] = ackTimes[i][k-1]
			}
			mu.Unlock()
		default:
		}
	}
	var acked []string
	for i, l := range loads {
		select {
		case <-l.done:
		case <-time.After(5 * time.Minute):
			t.Fatalf("load %d did not finish", i)
		}
		if l.err != nil {
			t.Fatalf("load %d: %v\n%s", i, l.err, l.out.String())
		}
		acked = append(acked, ackedIDs(t, l)...)
	}
	close(stopWatch)
	watchers.Wait()

	// The front-ends that were neither killed nor frozen kept acknowledging.
	bound := lease + 2*time.Second
	for _, i := range others {
		end := to
		if !ends[i].IsZero() {
			end = ends[i]
		}
		mu.Lock()
		gap := longestGap(ackTimes[i], from, end)
		perSecond := countPerSecond(ackTimes[i], ackCounts[i], from, to)
		mu.Unlock()
		t.Logf("front-end %d: acknowledgements per second from the freeze on: %v", i, perSecond)
		t.Logf("front-end %d: longest time without an acknowledgement while front-end %d was frozen: %v (bound %v)", i, fi, gap.Round(time.Millisecond), bound)
		if gap > bound {
			t.Errorf("front-end %d went %v without an acknowledgement while another was frozen (lease %v)", i, gap.Round(time.Millisecond), lease)
		}
	}
	size := c.checkLog(acked)
	t.Logf("%d acknowledged through %d front-ends, all stored; the log holds %d entries, contiguous, and verifies", len(acked), n, size)
}

// longestGap is the longest time within [from, to] without one of ts.
func longestGap(ts []time.Time, from, to time.Time) time.Duration {
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

// countPerSecond turns polls (a time, and the count by then) into the count of each
// second of [from, to).
func countPerSecond(ts []time.Time, counts []int, from, to time.Time) []int {
	out := make([]int, int(to.Sub(from)/time.Second)+1)
	prev := 0
	for i, t := range ts {
		if !t.Before(from) && t.Before(to) {
			out[int(t.Sub(from)/time.Second)] += counts[i] - prev
		}
		prev = counts[i]
	}
	return out
}

// TestRestartWhileOthersWrite: a front-end restarted while another writes without pause
// must know every institution registered before: its domain checker folds the whole
// store when it starts, and the sequencer's catch-ups of the other's new entries must
// not reach the checker first (the checker ignores entries below its position, so one
// that arrived early made it skip everything before). An institution registered through
// it before the restart acts through it again after each of three restarts.
func TestRestartWhileOthersWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	c := newFrontEnds(t, 2, "")
	defer c.stop()
	busy := c.startLoad(c.fes[0], "busy", 1000000, 32, time.Minute)
	first := c.startLoad(c.fes[1], "early", 100, 8, time.Minute)
	<-first.done
	if first.err != nil {
		t.Fatalf("%v\n%s", first.err, first.out.String())
	}
	for round := range 3 {
		time.Sleep(2 * time.Second) // the log grows, and with it the fold at the restart
		fe := c.fes[1]
		fe.cmd.Process.Signal(syscall.SIGKILL)
		<-fe.done
		c.start(fe)
		again := c.startLoad(fe, "early", 100, 8, time.Minute)
		<-again.done
		if again.err != nil {
			t.Fatalf("round %d: an institution registered before the restart was refused after it: %v\n%s", round, again.err, tail(again.out.Bytes(), 600))
		}
	}
	busy.cmd.Process.Signal(syscall.SIGTERM)
	<-busy.done
}

// waitSequencing waits until a front-end other than not reports itself the sequencing
// point (ledger_sequencing 1) and returns its index.
func (c *frontEnds) waitSequencing(not int) int {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, fe := range c.fes {
			if fe.i != not && c.sequencing(fe) {
				return fe.i
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no front-end became the sequencing point within 30 s")
	return -1
}

// sequencing reports whether fe's metrics say it is the sequencing point.
func (c *frontEnds) sequencing(fe *frontEnd) bool {
	cl := http.Client{Timeout: time.Second}
	resp, err := cl.Get(fe.url() + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), "\nledger_sequencing 1\n")
}

// metricValue is the value of an unlabelled series on fe's /metrics, or 0.
func metricValue(fe *frontEnd, name string) float64 {
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(fe.url() + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
