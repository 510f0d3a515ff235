package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// How the store talks to the server, given what the client library (v4.2.0) does:
//
//   - When discovery fails MaxDiscoverAttempts times, the client's connection goroutine
//     ends for good: every later call returns ConnectionClosed, and a call that was
//     waiting to hand it a message (for a connection, or to report Unavailable) waits
//     for ever on an unbuffered channel. So every call runs in a goroutine of its own
//     that the caller can walk away from at its deadline, and a client that answers
//     ConnectionClosed is replaced by a new one.
//   - Closing a client closes that channel, and a goroutine blocked sending on it then
//     panics. So a replaced client is closed only once no call of ours is running on
//     it; one with a call stuck for ever is left to the garbage it is.
//   - Streaming reads carry no deadline of their own. A read here is abandoned when the
//     server has sent nothing for CallTimeout (the time the caller's callback runs
//     does not count), and events are handed to the callback in the caller's
//     goroutine, so that an abandoned read never runs the callback behind its back.

// conn is one client and the calls of ours running on it.
type conn struct {
	c        *esdb.Client
	inflight int  // guarded by Store.cmu
	retired  bool // replaced, or the store closed: close once inflight is 0
}

// errClosed is returned by calls on a closed Store.
var errClosed = errors.New("esdbstore: the store is closed")

// errTimeout is a call the server did not answer within CallTimeout.
var errTimeout = errors.New("the server did not answer in time")

// acquire returns the current client, counting a call on it.
func (s *Store) acquire() (*conn, error) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	s.cur.inflight++
	return s.cur, nil
}

// release ends a call counted by acquire, closing a retired client after its last call.
func (s *Store) release(cn *conn) {
	s.cmu.Lock()
	cn.inflight--
	done := cn.retired && cn.inflight == 0
	s.cmu.Unlock()
	if done {
		cn.c.Close()
	}
}

// retire replaces cn with a new client, if cn is still the current one: the old one
// has given up connecting (ConnectionClosed) and never will again.
func (s *Store) retire(cn *conn) {
	s.cmu.Lock()
	if s.closed || s.cur != cn {
		s.cmu.Unlock()
		return
	}
	cfg := s.cfg
	c, err := esdb.NewClient(&cfg)
	if err != nil { // the configuration was valid when Open made the first client
		s.cmu.Unlock()
		s.log.Error("esdb: making a new client", "err", err)
		return
	}
	s.cur = &conn{c: c}
	cn.retired = true
	done := cn.inflight == 0
	s.cmu.Unlock()
	s.log.Warn("esdb: the client gave up connecting; replaced it with a new one")
	if done {
		cn.c.Close()
	}
}

// closeClients retires the current client for good.
func (s *Store) closeClients() {
	s.cmu.Lock()
	if s.closed {
		s.cmu.Unlock()
		return
	}
	s.closed = true
	cn := s.cur
	cn.retired = true
	done := cn.inflight == 0
	s.cmu.Unlock()
	if done {
		cn.c.Close()
	}
}

func code(err error) (esdb.ErrorCode, bool) {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

func isCode(err error, c esdb.ErrorCode) bool {
	got, ok := code(err)
	return ok && got == c
}

// transient says whether a failed call may succeed if made again: the server was
// unreachable, slow, not the leader, or the connection broke.
func transient(err error) bool {
	if errors.Is(err, errTimeout) || errors.Is(err, errClientPanic) {
		return true
	}
	if status.Code(err) == codes.InvalidArgument { // e.g. the maximum append size
		return false
	}
	c, ok := code(err)
	if !ok {
		return false
	}
	switch c {
	case esdb.ErrorUnavailable, esdb.ErrorCodeDeadlineExceeded, esdb.ErrorCodeNotLeader, esdb.ErrorAborted,
		esdb.ErrorCodeConnectionClosed, esdb.ErrorCodeUnknown:
		return true
	}
	return false
}

// call runs fn against the current client under a deadline of CallTimeout, with the
// leader required, in a goroutine the caller leaves behind if the deadline passes.
func (s *Store) call(ctx context.Context, what string, fn func(ctx context.Context, c *esdb.Client) error) error {
	cn, err := s.acquire()
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(s.leader(ctx), s.callTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer s.release(cn)
		defer recoverInto(done)
		done <- fn(cctx, cn.c)
	}()
	select {
	case err = <-done:
	case <-cctx.Done():
		err = errTimeout
	}
	return s.settle(ctx, cn, what, err)
}

// settle turns a call's error into the store's: the caller's own cancellation as
// such, a client that gave up replaced.
func (s *Store) settle(ctx context.Context, cn *conn, what string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	if isCode(err, esdb.ErrorCodeConnectionClosed) {
		s.retire(cn)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// leader marks ctx so that the call is served by the leader: the requires-leader
// request header, which a follower answers with NotLeader and the leader's address
// (the client then reconnects to the leader, and the call is tried again). The
// client's own RequiresLeader option never reaches the server in v4.2.0: it is put
// in the incoming metadata of the call's context, which gRPC does not send. Reads go
// to the leader too, so that they see every acknowledged entry; a follower may lag.
func (s *Store) leader(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "requires-leader", "true")
}

// recoverInto turns a panic of the client library into an error on errc (buffered,
// not yet written to): v4.2.0 panics on a read answer it does not expect, and what a
// server sends must not bring the process down.
func recoverInto(errc chan<- error) {
	if r := recover(); r != nil {
		errc <- fmt.Errorf("%w: %v", errClientPanic, r)
	}
}

// errClientPanic is a panic of the client library on the server's answer; it counts
// as failed in transit (the next answer may be one it understands).
var errClientPanic = errors.New("the EventStoreDB client failed on the server's answer")

// cbError carries an error returned by the caller's callback, so that it is never
// taken for the server's and retried.
type cbError struct{ err error }

func (e cbError) Error() string { return e.err.Error() }
func (e cbError) Unwrap() error { return e.err }

// readOnce reads up to count events of stream once (no retries), calling fn for each
// in the caller's goroutine. It returns how many fn took. A stream that does not exist
// has no events. An error from fn comes back as a cbError.
func (s *Store) readOnce(ctx context.Context, stream string, o esdb.ReadStreamOptions, count uint64, fn func(*esdb.RecordedEvent) error) (int, error) {
	what := fmt.Sprintf("reading %s", stream)
	cn, err := s.acquire()
	if err != nil {
		return 0, err
	}
	cctx, cancel := context.WithCancel(s.leader(ctx))
	defer cancel()
	// The watchdog cancels the read when the server has been silent for CallTimeout.
	var timedOut atomic.Bool
	watchdog := time.AfterFunc(s.callTimeout, func() { timedOut.Store(true); cancel() })
	defer watchdog.Stop()

	evs := make(chan *esdb.RecordedEvent, 16)
	errc := make(chan error, 1)
	go func() {
		defer s.release(cn)
		defer close(evs)
		defer recoverInto(errc)
		rs, err := cn.c.ReadStream(cctx, stream, o, count)
		if err != nil {
			errc <- err
			return
		}
		defer rs.Close()
		for {
			ev, err := rs.Recv()
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				errc <- err
				return
			}
			select {
			case evs <- ev.OriginalEvent():
			case <-cctx.Done():
				errc <- cctx.Err()
				return
			}
		}
	}()
	n := 0
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				err := <-errc
				if isCode(err, esdb.ErrorCodeResourceNotFound) {
					err = nil
				}
				return n, s.settle(ctx, cn, what, err)
			}
			watchdog.Stop()
			if err := fn(ev); err != nil {
				return n, cbError{err}
			}
			n++
			watchdog.Reset(s.callTimeout)
		case <-cctx.Done():
			if timedOut.Load() && ctx.Err() == nil {
				return n, s.settle(ctx, cn, what, errTimeout)
			}
			return n, s.settle(ctx, cn, what, cctx.Err())
		}
	}
}

// retrier spaces attempts at a failing call: from 50 ms doubling to 1 s, with jitter,
// until RetryFor has passed since the first failure.
type retrier struct {
	s       *Store
	end     time.Time
	backoff time.Duration
	tries   int
}

func (s *Store) retrier() *retrier {
	return &retrier{s: s, backoff: 50 * time.Millisecond}
}

// again waits before another attempt after err; false when err is not worth another
// attempt, the budget is spent or ctx is done.
func (r *retrier) again(ctx context.Context, err error) bool {
	if !transient(err) || ctx.Err() != nil {
		return false
	}
	if r.end.IsZero() {
		r.end = time.Now().Add(r.s.retryFor)
	}
	d := r.backoff/2 + rand.N(r.backoff)
	if time.Now().Add(d).After(r.end) {
		return false
	}
	r.tries++
	if r.tries == 1 || r.tries%10 == 0 {
		r.s.log.Warn("esdb: call failed; trying again", "attempt", r.tries+1, "err", err)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	r.backoff = min(2*r.backoff, time.Second)
	return true
}

// read calls fn for the events of stream from revision from on, at most count of them,
// in order. A read that fails in transit resumes after the last event fn took, within
// the retry budget. It returns how many events fn took; fewer than count means the
// stream ended.
func (s *Store) read(ctx context.Context, stream string, from, count uint64, fn func(*esdb.RecordedEvent) error) (uint64, error) {
	r := s.retrier()
	var got uint64
	for got < count {
		n, err := s.readOnce(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(from + got)}, count-got, fn)
		got += uint64(n)
		if err == nil {
			return got, nil // all of them, or the stream ended
		}
		var cb cbError
		if errors.As(err, &cb) {
			return got, cb.err
		}
		if !r.again(ctx, err) {
			return got, err
		}
	}
	return got, nil
}
