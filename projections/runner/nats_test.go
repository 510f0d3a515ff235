package runner_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/bus"
	"github.com/aba-prefecture/dataledger/bus/bustest"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/projections/counts"
	"github.com/aba-prefecture/dataledger/projections/runner"
)

// TestMain runs this test binary as a consumer process when RUNNER_CONSUMER is set.
func TestMain(m *testing.M) {
	if name := os.Getenv("RUNNER_CONSUMER"); name != "" {
		if err := consumerProcess(name); err != nil {
			fmt.Fprintln(os.Stderr, "consumer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// consumerProcess runs the counts consumer name live from NATS until SIGTERM, then
// prints its runner's stats as JSON.
func consumerProcess(name string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := pgstore.Open(ctx, os.Getenv("RUNNER_PG"), pgstore.Options{MaxConns: 4})
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := counts.NewPG(ctx, st.Pool(), name)
	if err != nil {
		return err
	}
	topic := os.Getenv("RUNNER_TOPIC")
	b, err := bus.Open(ctx, os.Getenv("RUNNER_NATS"), bus.Options{Topic: topic})
	if err != nil {
		return err
	}
	defer b.Close()
	sub, err := b.Subscriber(name)
	if err != nil {
		return err
	}
	defer sub.Close()
	r := runner.New(c, runner.Options{Store: st, Subscriber: sub, Topic: topic, PollEvery: 500 * time.Millisecond})
	fmt.Println("running")
	err = r.Run(ctx)
	json.NewEncoder(os.Stdout).Encode(r.Stats())
	return err
}

type child struct {
	cmd *exec.Cmd
	out *bufio.Scanner
}

func startConsumer(t *testing.T, name, pg, natsURL, topic string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RUNNER_CONSUMER="+name, "RUNNER_PG="+pg, "RUNNER_NATS="+natsURL, "RUNNER_TOPIC="+topic)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd, bufio.NewScanner(out)}
	if !c.out.Scan() || c.out.Text() != "running" {
		t.Fatalf("consumer process did not start: %q", c.out.Text())
	}
	time.Sleep(200 * time.Millisecond) // its JetStream subscription is in place
	return c
}

// TestConsumerProcessRestart runs the counts consumer as a separate process fed from
// the real NATS JetStream, kills it (SIGKILL) in the middle of the stream and starts it
// again: it ends with the same state as a consumer that never stopped, and as a rebuild
// from zero.
func TestConsumerProcessRestart(t *testing.T) {
	natsURL := bustest.NATSURL(t)
	pg := pgtest.NewDatabase(t)
	topic := bustest.Topic(t, natsURL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	st, err := pgstore.Open(ctx, pg, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := bus.Open(ctx, natsURL, bus.Options{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pub := bus.NewPublisher(b.Publisher(), bus.PublisherOptions{Topic: topic})
	defer pub.Close(context.Background())
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{OnCommit: pub.OnCommit})
	for i := range 3 {
		f.Register(t, l, fmt.Sprintf("county-%02d", i))
	}

	steady, err := counts.NewPG(ctx, st.Pool(), "steady")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := b.Subscriber("steady")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	rs := runner.New(steady, runner.Options{Store: st, Subscriber: sub, Topic: topic, PollEvery: 500 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- rs.Run(ctx) }()

	restarted, err := counts.NewPG(ctx, st.Pool(), "restarted")
	if err != nil {
		t.Fatal(err)
	}
	proc := startConsumer(t, "restarted", pg, natsURL, topic)

	// Three writers, about 900 events over a couple of seconds.
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst := fmt.Sprintf("county-%02d", w)
			for i := range 300 {
				if _, err := l.Append(ctx, f.Event(t, inst, fmt.Sprintf("resource/r%d", i%9), i)); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	for l.Size() < 300 {
		time.Sleep(5 * time.Millisecond)
	}
	// Kill it once it is under way (on a loaded machine it may start slowly).
	var killedAt uint64
	for deadline := time.Now().Add(15 * time.Second); killedAt == 0 && time.Now().Before(deadline); {
		killedAt, _ = restarted.Position(ctx)
		time.Sleep(5 * time.Millisecond)
	}
	if err := proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	proc.cmd.Wait()
	time.Sleep(300 * time.Millisecond) // the stream goes on without it
	missed := l.Size()
	proc = startConsumer(t, "restarted", pg, natsURL, topic)
	wg.Wait()
	size := l.Size()
	t.Logf("consumer killed at position %d, restarted when the log held %d; log ends at %d", killedAt, missed, size)
	if killedAt == 0 || killedAt >= size {
		t.Errorf("the kill was not mid-stream: position %d of %d", killedAt, size)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		a, _ := steady.Position(ctx)
		c, _ := restarted.Position(ctx)
		if a == size && c == size {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumers at %d and %d of %d", a, c, size)
		}
		time.Sleep(20 * time.Millisecond)
	}
	proc.cmd.Process.Signal(syscall.SIGTERM)
	var stats runner.Stats
	rest, _ := io.ReadAll(stdoutRest(proc))
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(rest))), &stats); err != nil {
		t.Fatalf("consumer stats %q: %v", rest, err)
	}
	if err := proc.cmd.Wait(); err != nil {
		t.Fatalf("consumer process: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	rebuilt, err := counts.NewPG(context.Background(), st.Pool(), "rebuilt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.New(rebuilt, runner.Options{Store: st}).RunToEnd(context.Background()); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	a, _ := steady.Snapshot(bg)
	c, _ := restarted.Snapshot(bg)
	r, _ := rebuilt.Snapshot(bg)
	if !reflect.DeepEqual(a, c) || !reflect.DeepEqual(a, r) || a.Position != size {
		t.Fatalf("steady %+v\nrestarted %+v\nrebuilt %+v", a, c, r)
	}
	if a.Counts[counts.Key{Type: "data.collected.v1", Institution: "county-01"}] != 300 {
		t.Fatalf("counts %v", a.Counts)
	}
	if stats.FromBus == 0 || rs.Stats().FromBus == 0 {
		t.Errorf("consumers never used the bus: restarted process %+v, steady %+v", stats, rs.Stats())
	}
	t.Logf("restarted process after restart: %+v; steady: %+v; publisher %+v", stats, rs.Stats(), pub.Stats())
}

// stdoutRest returns what the child prints after "running".
func stdoutRest(c *child) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		for c.out.Scan() {
			fmt.Fprintln(pw, c.out.Text())
		}
		pw.Close()
	}()
	return pr
}
