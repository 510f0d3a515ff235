package harness

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

var ctx = context.Background()

func cluster(t *testing.T, n int, o Options) *Cluster {
	t.Helper()
	c, err := New(n, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func client(t *testing.T, url string) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ev(id uuid.UUID, data string) esdb.EventData {
	return esdb.EventData{EventID: id, EventType: "t", ContentType: esdb.ContentTypeBinary, Data: []byte(data)}
}

func code(err error) esdb.ErrorCode {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return -1
}

func readAll(t *testing.T, c *esdb.Client, ctx context.Context, stream string) ([]*esdb.RecordedEvent, error) {
	t.Helper()
	rs, err := c.ReadStream(ctx, stream, esdb.ReadStreamOptions{From: esdb.Start{}}, 100)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*esdb.RecordedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e.OriginalEvent())
	}
}

// TestCommitRule holds the harness to the server's commit rule: expected revisions, and
// an append of ids already stored after the expected revision acknowledged without
// writing, whatever its data.
func TestCommitRule(t *testing.T) {
	c := cluster(t, 1, Options{})
	cl := client(t, c.URL(0))
	a, b, x := uuid.New(), uuid.New(), uuid.New()
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, ev(a, "A"), ev(b, "B")); err != nil {
		t.Fatal(err)
	}
	// Same ids at the same expected revision, other data: success, nothing written.
	r, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, ev(a, "other"), ev(b, "other"))
	if err != nil || r.NextExpectedVersion != 1 {
		t.Fatalf("idempotent resend: %+v, %v", r, err)
	}
	// The second id alone, expecting revision 0: also idempotent.
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, ev(b, "B")); err != nil {
		t.Fatalf("idempotent suffix: %v", err)
	}
	// Another id at a taken position: WrongExpectedVersion.
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, ev(x, "X")); code(err) != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("other id at a taken position: %v", err)
	}
	// Ids that match but run past the end: WrongExpectedVersion.
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, ev(b, "B"), ev(x, "X")); code(err) != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("partly matching ids: %v", err)
	}
	// Expecting a revision the stream has not reached.
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(5)}, ev(x, "X")); code(err) != esdb.ErrorCodeWrongExpectedVersion {
		t.Fatalf("expecting the future: %v", err)
	}
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(1)}, ev(x, "X")); err != nil {
		t.Fatal(err)
	}
	got := c.Stream("s")
	if len(got) != 3 || string(got[0].Data) != "A" || string(got[1].Data) != "B" || got[2].ID != x {
		t.Fatalf("stream holds %+v", got)
	}
	evs, err := readAll(t, cl, ctx, "s")
	if err != nil || len(evs) != 3 || evs[2].EventNumber != 2 || evs[1].EventID != b {
		t.Fatalf("read back %d events, %v", len(evs), err)
	}
	if _, err := readAll(t, cl, ctx, "none"); code(err) != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("reading a missing stream: %v", err)
	}
}

func TestMaxAppendSize(t *testing.T) {
	c := cluster(t, 1, Options{MaxAppendSize: 1000})
	cl := client(t, c.URL(0))
	_, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), string(make([]byte, 600))), ev(uuid.New(), string(make([]byte, 600))))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("oversized append: %v", err)
	}
	if len(c.Stream("s")) != 0 {
		t.Fatal("an oversized append wrote")
	}
}

// TestNotLeader: a lagging follower serves old data to plain reads; with the
// requires-leader header it answers NotLeader, and the client moves to the leader.
func TestNotLeader(t *testing.T) {
	c := cluster(t, 2, Options{})
	leader := client(t, c.URL(0))
	if _, err := leader.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "1")); err != nil {
		t.Fatal(err)
	}
	c.Node(1).Lag(true)
	if _, err := leader.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "2")); err != nil {
		t.Fatal(err)
	}
	follower := client(t, c.URL(1))
	evs, err := readAll(t, follower, ctx, "s")
	if err != nil || len(evs) != 1 {
		t.Fatalf("plain read on a lagging follower: %d events, %v", len(evs), err)
	}
	lctx := metadata.AppendToOutgoingContext(ctx, "requires-leader", "true")
	if _, err := readAll(t, follower, lctx, "s"); code(err) != esdb.ErrorCodeNotLeader {
		t.Fatalf("leader read on a follower: %v", err)
	}
	// The client has reconnected to the leader named in the trailers.
	evs, err = readAll(t, follower, lctx, "s")
	if err != nil || len(evs) != 2 {
		t.Fatalf("after NotLeader: %d events, %v", len(evs), err)
	}
}

func TestFaults(t *testing.T) {
	c := cluster(t, 1, Options{})
	cl := client(t, c.URL(0))
	c.Inject(func(call Call) Fault {
		switch {
		case call.Method == Append && call.N == 1:
			return Fault{Fail: codes.Unavailable}
		case call.Method == Append && call.N == 2:
			return Fault{Drop: true, After: true}
		case call.Method == Read && call.N == 1:
			return Fault{Stall: true}
		}
		return Fault{}
	})
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "1")); code(err) != esdb.ErrorUnavailable {
		t.Fatalf("injected Unavailable: %v", err)
	}
	if n := len(c.Stream("s")); n != 0 {
		t.Fatalf("a failed append wrote %d", n)
	}
	_, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "2"))
	if err == nil {
		t.Fatal("a dropped connection answered success")
	}
	t.Logf("the client sees a connection dropped after the commit as: %v (code %d)", err, code(err))
	if n := len(c.Stream("s")); n != 1 {
		t.Fatalf("the append before the drop wrote %d events", n)
	}
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := readAll(t, cl, sctx, "s"); err == nil {
		t.Fatal("a stalled read succeeded")
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("a stalled read returned after %v", time.Since(start))
	}
	if evs, err := readAll(t, cl, ctx, "s"); err != nil || len(evs) != 1 {
		t.Fatalf("read after faults: %d, %v", len(evs), err)
	}
}

func TestStopStart(t *testing.T) {
	c := cluster(t, 1, Options{})
	cl := client(t, c.URL(0))
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "1")); err != nil {
		t.Fatal(err)
	}
	addr := c.Node(0).Addr()
	c.Node(0).Stop()
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "2")); err == nil {
		t.Fatal("append to a stopped node succeeded")
	}
	if err := c.Node(0).Start(); err != nil {
		t.Fatal(err)
	}
	if c.Node(0).Addr() != addr {
		t.Fatalf("restarted on %s, not %s", c.Node(0).Addr(), addr)
	}
	if _, err := cl.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "3")); err != nil {
		t.Fatalf("append after restart: %v", err)
	}
}

// TestGossip: a client given every node as a seed finds the leader, and finds the new
// one after the old leader goes down and another is elected.
func TestGossip(t *testing.T) {
	c := cluster(t, 3, Options{})
	c.SetLeader(2)
	cl := client(t, c.GossipURL())
	lctx := metadata.AppendToOutgoingContext(ctx, "requires-leader", "true")
	if _, err := cl.AppendToStream(lctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "1")); err != nil {
		t.Fatal(err)
	}
	c.Node(2).Stop()
	c.SetLeader(0)
	var err error
	for range 20 {
		if _, err = cl.AppendToStream(lctx, "s", esdb.AppendToStreamOptions{}, ev(uuid.New(), "2")); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("no append after the election: %v", err)
	}
}
