package runner_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/aba-prefecture/dataledger/bus"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/projections/counts"
	"github.com/aba-prefecture/dataledger/projections/runner"
)

// faulty loses, duplicates and reorders messages on their way to the real pub/sub.
type faulty struct {
	message.Publisher
	mu   sync.Mutex
	n    int
	held []*message.Message
}

func (f *faulty) Publish(topic string, ms ...*message.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range ms {
		f.n++
		var out []*message.Message
		switch {
		case f.n%4 == 0: // lost
		case f.n%5 == 0: // held back, sent after the next one
			f.held = append(f.held, m)
			continue
		case f.n%3 == 0: // duplicated
			out = []*message.Message{m, m.Copy()}
		default:
			out = []*message.Message{m}
		}
		out = append(out, f.held...)
		f.held = nil
		for _, o := range out {
			if err := f.Publisher.Publish(topic, o.Copy()); err != nil {
				return err
			}
		}
	}
	return nil
}

func bolted(t *testing.T) ledger.Store {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func countsAt(t *testing.T, name string) *counts.Consumer {
	c, err := counts.NewBolt(filepath.Join(t.TempDir(), name+".db"), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls until the runner's position reaches size.
func waitFor(t *testing.T, r *runner.Runner, size uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for r.Stats().Position < size {
		if time.Now().After(deadline) {
			t.Fatalf("consumer stuck at %d of %d: %+v", r.Stats().Position, size, r.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLossyBus: a live consumer fed through a bus that loses, duplicates and reorders
// messages ends with exactly the counts of a rebuild from zero, and of the events sent.
func TestLossyBus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 64}, watermill.NopLogger{})
	defer g.Close()
	pub := bus.NewPublisher(&faulty{Publisher: g}, bus.PublisherOptions{Topic: "t"})
	defer pub.Close(context.Background())

	st := bolted(t)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{OnCommit: pub.OnCommit})

	live := countsAt(t, "live")
	r := runner.New(live, runner.Options{Store: st, Subscriber: g, Topic: "t", PollEvery: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	time.Sleep(50 * time.Millisecond) // subscribed (GoChannel drops messages published before)

	want := map[counts.Key]uint64{{Type: ledger.TypeKeyRegistered, Institution: ledgertest.Authority}: 3, {Type: ledger.TypeInitialized, Institution: ledgertest.Authority}: 1}
	for i := range 3 {
		f.Register(t, l, fmt.Sprintf("county-%02d", i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst := fmt.Sprintf("county-%02d", w)
			for i := range 100 {
				if _, err := l.Append(ctx, f.Event(t, inst, fmt.Sprintf("resource/r%d", i%7), i)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[counts.Key{Type: "data.collected.v1", Institution: inst}]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	size := l.Size()
	waitFor(t, r, size)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	rebuilt := countsAt(t, "rebuilt")
	if _, err := runner.New(rebuilt, runner.Options{Store: st}).RunToEnd(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, _ := live.Snapshot(context.Background())
	b, _ := rebuilt.Snapshot(context.Background())
	if a.Position != size || b.Position != size || !reflect.DeepEqual(a.Counts, b.Counts) || !reflect.DeepEqual(a.Counts, want) {
		t.Fatalf("live %+v\nrebuilt %+v\nwant %v", a, b, want)
	}
	s := r.Stats()
	if s.FromBus == 0 || s.FromStore == 0 || s.Ignored == 0 {
		t.Errorf("expected entries from both paths and ignored duplicates: %+v", s)
	}
	t.Logf("live consumer: %+v; publisher: %+v", s, pub.Stats())
}
