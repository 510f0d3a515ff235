package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	wmsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
)

// Options tune Open.
type Options struct {
	Topic string // default Topic
	// Retention is how long JetStream keeps messages (default 24 h): long enough for a
	// consumer's restart, and no longer, since the store keeps everything.
	Retention time.Duration
	Logger    *slog.Logger
}

// Bus is an open pub/sub: one publisher, and subscribers per named consumer.
type Bus struct {
	Kind  string // "gochannel", "nats" or "sql"
	Topic string

	pub      message.Publisher
	newSub   func(consumer string) (message.Subscriber, error)
	closeFns []func() error
}

// Publisher is the bus's watermill publisher (safe for concurrent use).
func (b *Bus) Publisher() message.Publisher { return b.pub }

// Subscriber returns a subscriber for the named consumer: every consumer name gets every
// message (fan-out), not a share of them.
func (b *Bus) Subscriber(consumer string) (message.Subscriber, error) { return b.newSub(consumer) }

// Close closes the publisher and the connections Open made.
func (b *Bus) Close() error {
	var errs []error
	for i := len(b.closeFns) - 1; i >= 0; i-- {
		errs = append(errs, b.closeFns[i]())
	}
	return errors.Join(errs...)
}

var (
	inProcMu sync.Mutex
	inProc   *gochannel.GoChannel
)

// InProcess returns this process's GoChannel, created on first use: publisher and
// subscribers must share one instance.
func InProcess(logger watermill.LoggerAdapter) *gochannel.GoChannel {
	inProcMu.Lock()
	defer inProcMu.Unlock()
	if inProc == nil {
		inProc = gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 256}, logger)
	}
	return inProc
}

// Open connects to the bus named by url (see the package comment).
func Open(ctx context.Context, url string, o Options) (*Bus, error) {
	if o.Topic == "" {
		o.Topic = Topic
	}
	if o.Retention <= 0 {
		o.Retention = 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	wl := watermill.NewSlogLogger(o.Logger)
	switch {
	case url == "" || url == "gochannel:" || url == "gochannel":
		g := InProcess(wl)
		return &Bus{Kind: "gochannel", Topic: o.Topic, pub: g,
			newSub: func(string) (message.Subscriber, error) { return nopClose{g}, nil }}, nil
	case strings.HasPrefix(url, "nats://") || strings.HasPrefix(url, "tls://"):
		return openNATS(url, o, wl)
	case strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://"):
		return openSQL(ctx, url, o, wl)
	}
	return nil, fmt.Errorf("bus URL %q: want gochannel:, nats://HOST:PORT or postgres://…", url)
}

// nopClose keeps a consumer from closing the shared GoChannel.
type nopClose struct{ message.Subscriber }

func (nopClose) Close() error { return nil }

func openNATS(url string, o Options, wl watermill.LoggerAdapter) (*Bus, error) {
	opts := []nats.Option{nats.Name("dataledger"), nats.Timeout(5 * time.Second), nats.MaxReconnects(-1)}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", url, err)
	}
	js, err := nc.JetStream()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("NATS JetStream: %w", err)
	}
	if _, err := js.StreamInfo(o.Topic); errors.Is(err, nats.ErrStreamNotFound) {
		_, err = js.AddStream(&nats.StreamConfig{Name: o.Topic, Subjects: []string{o.Topic},
			Storage: nats.FileStorage, MaxAge: o.Retention, Discard: nats.DiscardOld, Duplicates: 2 * time.Minute})
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("creating JetStream stream %s: %w", o.Topic, err)
		}
	} else if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream stream %s: %w", o.Topic, err)
	}
	jsCfg := wmnats.JetStreamConfig{TrackMsgId: true, AckAsync: true}
	pub, err := wmnats.NewPublisherWithNatsConn(nc, wmnats.PublisherPublishConfig{
		Marshaler: &wmnats.NATSMarshaler{}, SubjectCalculator: wmnats.DefaultSubjectCalculator, JetStream: jsCfg}, wl)
	if err != nil {
		nc.Close()
		return nil, err
	}
	b := &Bus{Kind: "nats", Topic: o.Topic, pub: pub}
	b.closeFns = append(b.closeFns, func() error { nc.Close(); return nil })
	b.newSub = func(consumer string) (message.Subscriber, error) {
		// An ephemeral consumer that starts with new messages: what came before, the
		// runner reads from the store. Each subscriber gets every message.
		sc, err := nats.Connect(url, opts...)
		if err != nil {
			return nil, fmt.Errorf("connecting to NATS at %s: %w", url, err)
		}
		cfg := jsCfg
		cfg.SubscribeOptions = []nats.SubOpt{nats.DeliverNew(), nats.AckExplicit()}
		return wmnats.NewSubscriberWithNatsConn(sc, wmnats.SubscriberSubscriptionConfig{
			Unmarshaler: &wmnats.NATSMarshaler{}, SubjectCalculator: wmnats.DefaultSubjectCalculator,
			SubscribersCount: 1, AckWaitTimeout: 30 * time.Second, CloseTimeout: 5 * time.Second, JetStream: cfg}, wl)
	}
	return b, nil
}

func openSQL(ctx context.Context, url string, o Options, wl watermill.LoggerAdapter) (*Bus, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL for the bus: %w", err)
	}
	db := wmsql.BeginnerFromPgx(pool)
	schema := wmsql.DefaultPostgreSQLSchema{}
	pub, err := wmsql.NewPublisher(db, wmsql.PublisherConfig{SchemaAdapter: schema, AutoInitializeSchema: true}, wl)
	if err != nil {
		pool.Close()
		return nil, err
	}
	b := &Bus{Kind: "sql", Topic: o.Topic, pub: pub}
	b.closeFns = append(b.closeFns, func() error { pool.Close(); return nil }, pub.Close)
	b.newSub = func(consumer string) (message.Subscriber, error) {
		return wmsql.NewSubscriber(db, wmsql.SubscriberConfig{
			ConsumerGroup:    consumer,
			SchemaAdapter:    schema,
			OffsetsAdapter:   wmsql.DefaultPostgreSQLOffsetsAdapter{},
			InitializeSchema: true,
			PollInterval:     200 * time.Millisecond,
		}, wl)
	}
	return b, nil
}
