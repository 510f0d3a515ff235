package harness

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
)

// DefaultMaxAppendSize is the server's default MaxAppendSize (1 MiB).
const DefaultMaxAppendSize = 1 << 20

// Options configure a Cluster.
type Options struct {
	// MaxAppendSize is the most an append may carry, counted as the server counts it
	// (data, metadata and event type of every event); default DefaultMaxAppendSize.
	MaxAppendSize int
}

// Cluster is a set of nodes sharing one log. Its methods are safe for concurrent use.
type Cluster struct {
	maxAppend int
	nodes     []*Node

	mu      sync.Mutex
	streams map[string][]*event
	leader  int // -1: none (an election is under way)
	commit  uint64
	inject  func(Call) Fault
	calls   map[string]int // calls per method and stream, for Call.N
	served  map[string]int // events sent by reads, per stream
}

// event is one stored event.
type event struct {
	id          uuid.UUID
	typ         string
	contentType string
	data, meta  []byte
	created     int64 // .NET ticks since the Unix epoch, as the server sends them
	commit      uint64
}

// Event is a stored event as a test sees it.
type Event struct {
	ID       uuid.UUID
	Type     string
	Data     []byte
	Metadata []byte
}

// New starts a cluster of n nodes on loopback ports; node 0 leads.
func New(n int, o Options) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("a cluster needs a node, not %d", n)
	}
	if o.MaxAppendSize <= 0 {
		o.MaxAppendSize = DefaultMaxAppendSize
	}
	c := &Cluster{maxAppend: o.MaxAppendSize, streams: map[string][]*event{}, calls: map[string]int{}, served: map[string]int{}}
	for i := range n {
		nd := &Node{c: c, i: i, addr: "127.0.0.1:0", conns: map[*trackedConn]bool{}}
		c.nodes = append(c.nodes, nd)
		if err := nd.Start(); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Close stops every node.
func (c *Cluster) Close() {
	for _, n := range c.nodes {
		n.Stop()
	}
}

// Node returns node i.
func (c *Cluster) Node(i int) *Node { return c.nodes[i] }

// URL is a connection string for node i alone (no gossip): the client talks to that
// node whatever its role.
func (c *Cluster) URL(i int) string {
	return "esdb://" + c.nodes[i].Addr() + "?tls=false"
}

// GossipURL is a connection string with every node as a gossip seed, preferring the
// leader, and discovery attempts spaced closely so that tests stay short.
func (c *Cluster) GossipURL() string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return "esdb://" + strings.Join(addrs, ",") + "?tls=false&nodePreference=leader&gossipTimeout=1&discoveryInterval=100"
}

// SetLeader makes node i the leader and the others followers; -1 leaves the cluster
// without a leader, as during an election.
func (c *Cluster) SetLeader(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leader = i
}

// Leader returns the leading node, or -1.
func (c *Cluster) Leader() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader
}

// Inject installs the fault plan: f is called once for every Read and Append any node
// receives and says what to do to it. nil removes the plan.
func (c *Cluster) Inject(f func(Call) Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inject = f
}

// Stream returns a copy of the events stored in stream (the leader's log).
func (c *Cluster) Stream(name string) []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Event, len(c.streams[name]))
	for i, e := range c.streams[name] {
		out[i] = Event{ID: e.id, Type: e.typ, Data: append([]byte(nil), e.data...), Metadata: append([]byte(nil), e.meta...)}
	}
	return out
}

// Served returns how many events of stream reads have sent since the cluster started.
func (c *Cluster) Served(stream string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.served[stream]
}

// Calls returns how many calls of method (Read or Append) stream has received.
func (c *Cluster) Calls(method, stream string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method+" "+stream]
}

// plan numbers the call and asks the fault plan about it.
func (c *Cluster) plan(call *Call) Fault {
	c.mu.Lock()
	k := call.Method + " " + call.Stream
	c.calls[k]++
	call.N = c.calls[k]
	f := c.inject
	c.mu.Unlock()
	if f == nil {
		return Fault{}
	}
	return f(*call)
}

// Node is one member of the cluster: a gRPC server on its own port.
type Node struct {
	c *Cluster
	i int

	mu      sync.Mutex
	addr    string
	srv     *grpc.Server
	conns   map[*trackedConn]bool
	running bool
	lag     map[string]int // while lagging: how much of each stream this node has
}

// Addr is the node's host:port.
func (n *Node) Addr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.addr
}

// Start serves the node on its address (the same port after a Stop).
func (n *Node) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running {
		return nil
	}
	var lis net.Listener
	var err error
	for range 50 { // the port may still be held for a moment after Stop
		if lis, err = net.Listen("tcp", n.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("node %d listening on %s: %w", n.i, n.addr, err)
	}
	n.addr = lis.Addr().String()
	srv := grpc.NewServer()
	streams.RegisterStreamsServer(srv, &streamsServer{n: n})
	gossip.RegisterGossipServer(srv, &gossipServer{n: n})
	serverfeatures.RegisterServerFeaturesServer(srv, &featuresServer{})
	n.srv, n.running = srv, true
	go srv.Serve(&trackingListener{Listener: lis, n: n})
	return nil
}

// Stop takes the node down: its port refuses connections and every open connection
// is cut. Calls in progress on it fail.
func (n *Node) Stop() {
	n.mu.Lock()
	srv := n.srv
	n.srv, n.running = nil, false
	n.mu.Unlock()
	if srv != nil {
		srv.Stop()
	}
}

// Running says whether the node is up.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.running
}

// Lag freezes this node's copy of the log where it is now (on) or lets it catch up
// (off). Only reads served by this node see its copy; a leader's copy is the log.
func (n *Node) Lag(on bool) {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !on {
		n.lag = nil
		return
	}
	n.lag = map[string]int{}
	for s, evs := range c.streams {
		n.lag[s] = len(evs)
	}
}

// DropConnections cuts every connection to the node without stopping it.
func (n *Node) DropConnections() {
	n.mu.Lock()
	conns := make([]*trackedConn, 0, len(n.conns))
	for tc := range n.conns {
		conns = append(conns, tc)
	}
	n.mu.Unlock()
	for _, tc := range conns {
		tc.Close()
	}
}

// drop cuts the connection the call in ctx arrived on.
func (n *Node) drop(ctx context.Context) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return
	}
	n.mu.Lock()
	var hit []*trackedConn
	for tc := range n.conns {
		if tc.RemoteAddr().String() == p.Addr.String() {
			hit = append(hit, tc)
		}
	}
	n.mu.Unlock()
	for _, tc := range hit {
		tc.Close()
	}
}

// endpoint is the node's host and port as gossip and NotLeader report them.
func (n *Node) endpoint() (string, uint32) {
	host, port, _ := net.SplitHostPort(n.Addr())
	p, _ := strconv.ParseUint(port, 10, 16)
	return host, uint32(p)
}

type trackingListener struct {
	net.Listener
	n *Node
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, n: l.n}
	l.n.mu.Lock()
	l.n.conns[tc] = true
	l.n.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	n    *Node
	once sync.Once
}

func (tc *trackedConn) Close() error {
	tc.once.Do(func() {
		tc.n.mu.Lock()
		delete(tc.n.conns, tc)
		tc.n.mu.Unlock()
	})
	return tc.Conn.Close()
}

// Call describes one request a node received, for the fault plan.
type Call struct {
	Node           int
	Method         string // Read or Append
	Stream         string
	N              int    // this is the Nth call of Method on Stream, counting from 1
	Expected       string // Append: "any", "no_stream", "stream_exists" or a revision
	Events         int    // Append: how many events
	From           string // Read: "start", "end" or a revision
	Count          uint64 // Read: most events asked for
	Backwards      bool   // Read
	RequiresLeader bool   // the requires-leader header was sent
}

// Methods, as Call.Method names them.
const (
	Read   = "Read"
	Append = "Append"
)

// Fault says what to do to one call. The zero Fault serves it normally. Steps run in
// field order: Hook, Delay, Stall, then Drop or Fail, before applying the call unless
// After is set.
type Fault struct {
	// Hook runs first, outside the cluster's lock: another writer's append can land
	// between the client's request and the server's decision.
	Hook func()
	// Delay holds the call this long before serving it.
	Delay time.Duration
	// Stall holds the call until the client gives up on it (never answers).
	Stall bool
	// Drop cuts the client's connection instead of answering.
	Drop bool
	// Fail answers with this status code instead of serving the call.
	Fail codes.Code
	// After applies the call first (an Append commits; a Read sends half of its
	// events), then drops or fails: the client cannot tell what happened.
	After bool
	// Unexpected answers a Read with a message a stream read never gets (a
	// subscription's caught-up), as a newer or misbehaving server might.
	Unexpected bool
}

// run applies the fault's steps that come before serving; an error is the answer.
func (f Fault) run(ctx context.Context, n *Node) error {
	if f.Hook != nil {
		f.Hook()
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.Stall {
		<-ctx.Done()
		return ctx.Err()
	}
	if !f.After {
		return f.fail(ctx, n)
	}
	return nil
}

// fail drops or fails the call, if the fault says so.
func (f Fault) fail(ctx context.Context, n *Node) error {
	if f.Drop {
		n.drop(ctx)
		return errDropped
	}
	if f.Fail != codes.OK {
		return statusError(f.Fail, "injected fault")
	}
	return nil
}
