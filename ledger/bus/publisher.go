package bus

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Limits on one message.
const (
	MaxEntries = 256
	MaxBytes   = 512 << 10
)

// PublisherOptions tune a Publisher. Zero values take the defaults.
type PublisherOptions struct {
	Topic  string // default Topic
	Queue  int    // committed batches held for publishing (default 1024)
	Logger *slog.Logger
}

// Publisher turns committed batches into messages without ever blocking the sequencer.
// OnCommit and Stats are safe for concurrent use; Close once.
type Publisher struct {
	pub    message.Publisher
	topic  string
	log    *slog.Logger
	queue  chan []*ledger.Entry
	done   chan struct{}
	closed atomic.Bool
	mu     sync.RWMutex // guards sends on queue against Close

	published, dropped, failed atomic.Uint64
}

// NewPublisher starts the background publisher on pub.
func NewPublisher(pub message.Publisher, o PublisherOptions) *Publisher {
	if o.Topic == "" {
		o.Topic = Topic
	}
	if o.Queue <= 0 {
		o.Queue = 1024
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	p := &Publisher{pub: pub, topic: o.Topic, log: o.Logger, queue: make(chan []*ledger.Entry, o.Queue), done: make(chan struct{})}
	go p.run()
	return p
}

// OnCommit has the signature of ledger.Options.OnCommit: it queues the batch and returns
// at once. A full queue drops the batch (consumers read it from the store).
func (p *Publisher) OnCommit(es []*ledger.Entry) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed.Load() || len(es) == 0 {
		return
	}
	select {
	case p.queue <- es:
	default:
		p.dropped.Add(uint64(len(es)))
	}
}

// Stats counts entries published, dropped for a full queue, and failed to publish.
type Stats struct{ Published, Dropped, Failed uint64 }

// Stats returns the counters so far.
func (p *Publisher) Stats() Stats {
	return Stats{p.published.Load(), p.dropped.Load(), p.failed.Load()}
}

func (p *Publisher) run() {
	defer close(p.done)
	for es := range p.queue {
		for len(es) > 0 {
			n, size := 0, 0
			for n < len(es) && n < MaxEntries && (n == 0 || size+len(es[n].Bytes) <= MaxBytes) {
				size += len(es[n].Bytes)
				n++
			}
			p.publish(es[:n])
			es = es[n:]
		}
	}
}

func (p *Publisher) publish(es []*ledger.Entry) {
	m, err := Encode(es)
	if err == nil {
		for attempt := range 3 {
			if err = p.pub.Publish(p.topic, m); err == nil {
				p.published.Add(uint64(len(es)))
				return
			}
			time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
		}
	}
	p.failed.Add(uint64(len(es)))
	p.log.Warn("bus: publishing failed; consumers will read these entries from the store",
		"first_seq", es[0].Seq, "entries", len(es), "err", err)
}

// Close stops taking batches and publishes those queued, waiting at most until ctx
// ends. It does not close the underlying publisher.
func (p *Publisher) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed.Swap(true) {
		close(p.queue)
	}
	p.mu.Unlock()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
