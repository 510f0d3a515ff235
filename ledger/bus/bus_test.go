package bus_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/bus"
	"github.com/aba-prefecture/dataledger/ledger/bus/bustest"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// committed returns n real committed entries, as OnCommit hands them over.
func committed(t *testing.T, n int) []*ledger.Entry {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var mu sync.Mutex
	var out []*ledger.Entry
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{OnCommit: func(es []*ledger.Entry) { mu.Lock(); out = append(out, es...); mu.Unlock() }})
	f.Register(t, l, "county-00")
	for i := range n - 1 {
		if _, err := l.Append(context.Background(), f.Event(t, "county-00", "resource/r", i)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestEncodeDecode(t *testing.T) {
	es := committed(t, 5)
	m, err := bus.Encode(es)
	if err != nil {
		t.Fatal(err)
	}
	if m.Metadata.Get(bus.MetaFirst) != "1" || m.Metadata.Get(bus.MetaLast) != "5" {
		t.Fatalf("metadata %v", m.Metadata)
	}
	again, _ := bus.Encode(es)
	if again.UUID != m.UUID {
		t.Fatal("the same batch encoded twice got two ids")
	}
	got, err := bus.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		if e.Seq != es[i].Seq || e.Hash != es[i].Hash || string(e.Bytes) != string(es[i].Bytes) {
			t.Fatalf("entry %d differs after the round trip", i)
		}
	}

	cases := []struct {
		name   string
		change func(*bus.Batch)
	}{
		{"changed bytes", func(b *bus.Batch) { b.Entries[2].Entry[30] ^= 1 }},
		{"wrong seq", func(b *bus.Batch) { b.Entries[1].Seq = 9 }},
		{"reordered", func(b *bus.Batch) { b.Entries[0], b.Entries[1] = b.Entries[1], b.Entries[0] }},
		{"empty", func(b *bus.Batch) { b.Entries = nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bus.Batch
			if err := json.Unmarshal(m.Payload, &b); err != nil {
				t.Fatal(err)
			}
			c.change(&b)
			p, _ := json.Marshal(b)
			if _, err := bus.Decode(message.NewMessage("x", p)); err == nil {
				t.Fatal("a damaged message decoded")
			}
		})
	}
	if _, err := bus.Encode([]*ledger.Entry{es[0], es[2]}); err == nil {
		t.Fatal("a batch with a gap was encoded")
	}
}

// TestPublisherSplitsBatches: a large committed batch becomes several messages that
// together carry every entry once.
func TestPublisherSplitsBatches(t *testing.T) {
	g := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 16}, watermill.NopLogger{})
	defer g.Close()
	msgs, err := g.Subscribe(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	p := bus.NewPublisher(g, bus.PublisherOptions{Topic: "t"})
	es := committed(t, bus.MaxEntries*2+10)
	p.OnCommit(es)
	var seqs []uint64
	for len(seqs) < len(es) {
		select {
		case m := <-msgs:
			got, err := bus.Decode(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > bus.MaxEntries {
				t.Fatalf("message of %d entries", len(got))
			}
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			m.Ack()
		case <-time.After(10 * time.Second):
			t.Fatalf("received %d of %d entries", len(seqs), len(es))
		}
	}
	// GoChannel delivers messages concurrently: order is the runner's business.
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for i, s := range seqs {
		if s != es[i].Seq {
			t.Fatalf("entry %d has seq %d, want %d", i, s, es[i].Seq)
		}
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Published != uint64(len(es)) || s.Dropped != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// stuck is a pub/sub that never returns from Publish until released.
type stuck struct{ release chan struct{} }

func (s stuck) Publish(string, ...*message.Message) error { <-s.release; return nil }
func (s stuck) Close() error                              { return nil }

// TestPublisherNeverBlocks: with the pub/sub stuck, OnCommit still returns at once and
// counts what it had to drop.
func TestPublisherNeverBlocks(t *testing.T) {
	s := stuck{make(chan struct{})}
	p := bus.NewPublisher(s, bus.PublisherOptions{Queue: 2})
	es := committed(t, 3)
	start := time.Now()
	for range 10 {
		p.OnCommit(es[:1])
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("OnCommit blocked for %v", d)
	}
	close(s.release)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.Dropped == 0 || st.Published+st.Dropped != 10 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOpen(t *testing.T) {
	b, err := bus.Open(context.Background(), "", bus.Options{})
	if err != nil || b.Kind != "gochannel" || b.Topic != bus.Topic {
		t.Fatalf("default bus: %+v, %v", b, err)
	}
	if _, err := bus.Open(context.Background(), "kafka://x", bus.Options{}); err == nil {
		t.Fatal("an unknown bus URL was accepted")
	}
}

// TestPubSubRoundTrip sends a batch through each pub/sub that crosses processes (the real
// servers) and through GoChannel, to two named consumers: each gets every entry.
func TestPubSubRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		url  func(t *testing.T) (string, string)
	}{
		{"gochannel", func(t *testing.T) (string, string) { return "gochannel:", "t-" + t.Name() }},
		{"postgres", func(t *testing.T) (string, string) { return pgtest.NewDatabase(t), bus.Topic }},
		{"nats", func(t *testing.T) (string, string) { u := bustest.NATSURL(t); return u, bustest.Topic(t, u) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, topic := c.url(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			b, err := bus.Open(ctx, url, bus.Options{Topic: topic})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			var chans []<-chan *message.Message
			for _, name := range []string{"c1", "c2"} {
				sub, err := b.Subscriber(name)
				if err != nil {
					t.Fatal(err)
				}
				defer sub.Close()
				ch, err := sub.Subscribe(ctx, topic)
				if err != nil {
					t.Fatal(err)
				}
				chans = append(chans, ch)
			}
			time.Sleep(300 * time.Millisecond) // subscriptions in place
			es := committed(t, 40)
			p := bus.NewPublisher(b.Publisher(), bus.PublisherOptions{Topic: topic})
			p.OnCommit(es[:25])
			p.OnCommit(es[25:])
			if err := p.Close(ctx); err != nil {
				t.Fatal(err)
			}
			for i, ch := range chans {
				got := map[uint64]bool{}
				for len(got) < len(es) {
					select {
					case m := <-ch:
						d, err := bus.Decode(m)
						if err != nil {
							t.Fatal(err)
						}
						for _, e := range d {
							got[e.Seq] = true
						}
						m.Ack()
					case <-ctx.Done():
						t.Fatalf("consumer %d got %d of %d entries", i, len(got), len(es))
					}
				}
			}
		})
	}
}
