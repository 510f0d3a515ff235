package harness

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

var errDropped = status.Error(codes.Unavailable, "connection dropped by the harness")

func statusError(c codes.Code, msg string) error { return status.Error(c, msg) }

// requiresLeader says whether the client sent the requires-leader header.
func requiresLeader(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("requires-leader") {
		if v == "true" {
			return true
		}
	}
	return false
}

// notLeader answers a call that needs the leader on a node that is not it: the
// server's NotLeader (trailers naming the leader), or Unavailable with no leader.
func (n *Node) notLeader(setTrailer func(metadata.MD)) error {
	c := n.c
	c.mu.Lock()
	leader := c.leader
	c.mu.Unlock()
	if leader < 0 {
		return status.Error(codes.Unavailable, "no leader: an election is under way")
	}
	host, port := c.nodes[leader].endpoint()
	setTrailer(metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", strconv.FormatUint(uint64(port), 10)))
	return status.Error(codes.NotFound, "Leader info available")
}

func (n *Node) isLeader() bool {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	return n.c.leader == n.i
}

type streamsServer struct {
	streams.UnimplementedStreamsServer
	n *Node
}

func protoID(id uuid.UUID) *shared.UUID {
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

func fromProtoID(p *shared.UUID) (uuid.UUID, error) {
	if s := p.GetStructured(); s != nil {
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(s.MostSignificantBits))
		binary.BigEndian.PutUint64(id[8:], uint64(s.LeastSignificantBits))
		return id, nil
	}
	return uuid.Parse(p.GetString_())
}

// expectation is an append's expected revision.
type expectation struct {
	kind string // any, no_stream, stream_exists, revision
	rev  uint64
}

func (e expectation) String() string {
	if e.kind == "revision" {
		return strconv.FormatUint(e.rev, 10)
	}
	return e.kind
}

// Append implements the server's append: the whole request is read, the fault plan
// consulted, the leader checked, then the commit rule applied atomically.
func (s *streamsServer) Append(st streams.Streams_AppendServer) error {
	n := s.n
	ctx := st.Context()
	head, err := st.Recv()
	if err != nil {
		return err
	}
	opts := head.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	var exp expectation
	switch v := opts.ExpectedStreamRevision.(type) {
	case *streams.AppendReq_Options_Revision:
		exp = expectation{kind: "revision", rev: v.Revision}
	case *streams.AppendReq_Options_NoStream:
		exp.kind = "no_stream"
	case *streams.AppendReq_Options_StreamExists:
		exp.kind = "stream_exists"
	default:
		exp.kind = "any"
	}
	var msgs []*streams.AppendReq_ProposedMessage
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pm := m.GetProposedMessage()
		if pm == nil {
			return status.Error(codes.InvalidArgument, "append messages after the first must be proposed events")
		}
		msgs = append(msgs, pm)
	}
	call := Call{Node: n.i, Method: Append, Stream: string(opts.GetStreamIdentifier().GetStreamName()),
		Expected: exp.String(), Events: len(msgs), RequiresLeader: requiresLeader(ctx)}
	f := n.c.plan(&call)
	if err := f.run(ctx, n); err != nil {
		return err
	}
	if call.RequiresLeader && !n.isLeader() {
		return n.notLeader(func(md metadata.MD) { st.SetTrailer(md) })
	}
	resp, err := n.c.append(call.Stream, exp, msgs)
	if err != nil {
		if st2, ok := status.FromError(err); ok && st2.Code() == codes.InvalidArgument {
			st.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded", "maximum-append-size", strconv.Itoa(n.c.maxAppend)))
		}
		return err
	}
	if f.After {
		if err := f.fail(ctx, n); err != nil {
			return err
		}
	}
	return st.SendAndClose(resp)
}

// append applies the commit rule to one append, atomically.
func (c *Cluster) append(name string, exp expectation, msgs []*streams.AppendReq_ProposedMessage) (*streams.AppendResp, error) {
	size := 0
	evs := make([]*event, len(msgs))
	now := time.Now().UnixNano() / 100
	for i, m := range msgs {
		id, err := fromProtoID(m.GetId())
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, "malformed event id")
		}
		typ := m.GetMetadata()["type"]
		size += len(m.GetData()) + len(m.GetCustomMetadata()) + 2*len(typ)
		evs[i] = &event{id: id, typ: typ, contentType: m.GetMetadata()["content-type"],
			data: append([]byte(nil), m.GetData()...), meta: append([]byte(nil), m.GetCustomMetadata()...), created: now}
	}
	if size > c.maxAppend {
		return nil, status.Error(codes.InvalidArgument, fmt.Sprintf("Maximum Append Size of %d Exceeded.", c.maxAppend))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader < 0 {
		return nil, status.Error(codes.Unavailable, "no leader: an election is under way")
	}
	cur := int64(len(c.streams[name])) - 1 // -1: no stream
	// matches says whether evs are, id for id, the events stored from position p on.
	matches := func(p int64) bool {
		stored := c.streams[name]
		if p < 0 || p+int64(len(evs)) > int64(len(stored)) {
			return false
		}
		for i, e := range evs {
			if stored[p+int64(i)].id != e.id {
				return false
			}
		}
		return true
	}
	var want int64
	switch exp.kind {
	case "any":
		for p, e := range c.streams[name] {
			if len(evs) > 0 && e.id == evs[0].id && matches(int64(p)) {
				return success(int64(p)+int64(len(evs))-1, c.streams[name][p+len(evs)-1].commit), nil
			}
		}
		return c.write(name, evs), nil
	case "stream_exists":
		if cur < 0 {
			return wrongVersion(cur, exp), nil
		}
		return c.write(name, evs), nil
	case "no_stream":
		want = -1
	default:
		want = int64(exp.rev)
	}
	switch {
	case want == cur:
		return c.write(name, evs), nil
	case want < cur && len(evs) > 0 && matches(want+1):
		// Idempotent: the same event ids are already there. Nothing is written, and
		// the data is never compared.
		last := want + int64(len(evs))
		return success(last, c.streams[name][last].commit), nil
	}
	return wrongVersion(cur, exp), nil
}

// write stores evs at the end of the stream; the caller holds c.mu.
func (c *Cluster) write(name string, evs []*event) *streams.AppendResp {
	for _, e := range evs {
		c.commit += 100
		e.commit = c.commit
		c.streams[name] = append(c.streams[name], e)
	}
	return success(int64(len(c.streams[name]))-1, c.commit)
}

func success(rev int64, commit uint64) *streams.AppendResp {
	s := &streams.AppendResp_Success{
		PositionOption: &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{CommitPosition: commit, PreparePosition: commit}},
	}
	if rev < 0 {
		s.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		s.CurrentRevisionOption = &streams.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(rev)}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: s}}
}

func wrongVersion(cur int64, exp expectation) *streams.AppendResp {
	w := &streams.AppendResp_WrongExpectedVersion{}
	if cur < 0 {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(cur)}
	}
	switch exp.kind {
	case "any":
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	case "no_stream":
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case "stream_exists":
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.rev}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

// Read serves a read of one stream from this node's copy of the log.
func (s *streamsServer) Read(req *streams.ReadReq, st streams.Streams_ReadServer) error {
	n := s.n
	ctx := st.Context()
	o := req.GetOptions()
	so := o.GetStream()
	if so == nil {
		return status.Error(codes.Unimplemented, "the harness reads single streams only")
	}
	if o.GetSubscription() != nil {
		return status.Error(codes.Unimplemented, "the harness has no subscriptions")
	}
	call := Call{Node: n.i, Method: Read, Stream: string(so.GetStreamIdentifier().GetStreamName()), Count: o.GetCount(),
		Backwards: o.GetReadDirection() == streams.ReadReq_Options_Backwards, RequiresLeader: requiresLeader(ctx)}
	switch v := so.RevisionOption.(type) {
	case *streams.ReadReq_Options_StreamOptions_Revision:
		call.From = strconv.FormatUint(v.Revision, 10)
	case *streams.ReadReq_Options_StreamOptions_End:
		call.From = "end"
	default:
		call.From = "start"
	}
	f := n.c.plan(&call)
	if err := f.run(ctx, n); err != nil {
		return err
	}
	if call.RequiresLeader && !n.isLeader() {
		return n.notLeader(func(md metadata.MD) { st.SetTrailer(md) })
	}
	if f.Unexpected {
		return st.Send(&streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}})
	}
	evs, found := n.view(call)
	if !found {
		return st.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{StreamNotFound: &streams.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(call.Stream)}}}})
	}
	send := evs
	if f.After {
		send = evs[:len(evs)/2]
	}
	for _, e := range send {
		if err := st.Send(e); err != nil {
			return err
		}
		n.c.mu.Lock()
		n.c.served[call.Stream]++
		n.c.mu.Unlock()
	}
	if f.After {
		return f.fail(ctx, n)
	}
	return nil
}

// view returns the events a read asks for, from this node's copy of the log.
func (n *Node) view(call Call) ([]*streams.ReadResp, bool) {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	all := c.streams[call.Stream]
	have := len(all)
	if n.lag != nil && c.leader != n.i {
		have = min(have, n.lag[call.Stream])
	}
	if have == 0 {
		return nil, false
	}
	var idx []int
	start := 0
	switch call.From {
	case "start":
		if call.Backwards {
			start = -1
		}
	case "end":
		start = have
		if call.Backwards {
			start = have - 1
		}
	default:
		r, _ := strconv.ParseUint(call.From, 10, 63)
		start = int(min(r, uint64(have)))
		if call.Backwards && start >= have {
			start = have - 1
		}
	}
	for i := start; uint64(len(idx)) < call.Count; {
		if i < 0 || i >= have {
			break
		}
		idx = append(idx, i)
		if call.Backwards {
			i--
		} else {
			i++
		}
	}
	out := make([]*streams.ReadResp, len(idx))
	for k, i := range idx {
		e := all[i]
		out[k] = &streams.ReadResp{Content: &streams.ReadResp_Event{Event: &streams.ReadResp_ReadEvent{
			Event: &streams.ReadResp_ReadEvent_RecordedEvent{
				Id:               protoID(e.id),
				StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(call.Stream)},
				StreamRevision:   uint64(i),
				PreparePosition:  e.commit,
				CommitPosition:   e.commit,
				Metadata:         map[string]string{"type": e.typ, "content-type": e.contentType, "created": strconv.FormatInt(e.created, 10)},
				CustomMetadata:   e.meta,
				Data:             e.data,
			},
			Position: &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: e.commit},
		}}}
	}
	return out, true
}

type gossipServer struct {
	gossip.UnimplementedGossipServer
	n *Node
}

// Read reports the members as this node sees them.
func (g *gossipServer) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	c := g.n.c
	c.mu.Lock()
	leader := c.leader
	c.mu.Unlock()
	info := &gossip.ClusterInfo{}
	for _, m := range c.nodes {
		state := gossip.MemberInfo_Follower
		if m.i == leader {
			state = gossip.MemberInfo_Leader
		}
		host, port := m.endpoint()
		info.Members = append(info.Members, &gossip.MemberInfo{
			InstanceId:   protoID(uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(m.i)})),
			TimeStamp:    time.Now().UnixNano() / 100,
			State:        state,
			IsAlive:      m.Running(),
			HttpEndPoint: &gossip.EndPoint{Address: host, Port: port},
		})
	}
	return info, nil
}

type featuresServer struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

// GetSupportedMethods names a server version and the streams calls served.
func (featuresServer) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	return &serverfeatures.SupportedMethods{EventStoreServerVersion: "24.10.0", Methods: []*serverfeatures.SupportedMethod{
		{ServiceName: "event_store.client.streams.streams", MethodName: "read"},
		{ServiceName: "event_store.client.streams.streams", MethodName: "append"},
	}}, nil
}
