package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// leaseClass is the first key of every named lease's advisory lock ("dled"); the second
// is a hash of the name. PostgreSQL keeps two-key advisory locks apart from one-key ones
// (the head lock, the migration lock).
const leaseClass int32 = 0x646c6564

// Lease is a deployment-wide named lease (ledger.Lease): a session-level advisory lock on
// a session of its own, which the server ends after the store's lease of silence
// (idle_session_timeout), so a holder that is paused or cut off loses it and another
// process takes it. The holder renews it by speaking every lease/3; Held turns false by
// itself once a lease has passed since the last renewal the server answered, so a
// process that resumes after a pause stops at once, before it learns that its session
// is gone.
type Lease struct {
	s    *Store
	name string
	key  int32

	mu      sync.Mutex
	held    bool
	renewed time.Time // when the last renewal that the server answered was sent

	stop chan struct{}
	done chan struct{}
}

var _ ledger.Lease = (*Lease)(nil)

// Lease starts competing for the named lease (ledger.Leaser) and returns at once;
// Held says whether this store holds it now. Close gives it up.
func (s *Store) Lease(name string) ledger.Lease {
	h := fnv.New32a()
	h.Write([]byte(name))
	l := &Lease{s: s, name: name, key: int32(h.Sum32()), stop: make(chan struct{}), done: make(chan struct{})}
	s.leasesMu.Lock()
	s.leases = append(s.leases, l)
	s.leasesMu.Unlock()
	go l.run()
	return l
}

var _ ledger.Leaser = (*Store)(nil)

// Held reports whether this process holds the lease now.
func (l *Lease) Held() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held && time.Since(l.renewed) < l.s.lease
}

// Close gives the lease up (its session ends) and stops competing for it.
func (l *Lease) Close() error {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	return nil
}

func (l *Lease) set(held bool, renewed time.Time) {
	l.mu.Lock()
	if held != l.held {
		if held {
			l.s.log.Info("lease taken", "lease", l.name)
		} else {
			l.s.log.Info("lease lost", "lease", l.name)
		}
	}
	l.held, l.renewed = held, renewed
	l.mu.Unlock()
}

// run renews or tries for the lease every lease/3 until Close.
func (l *Lease) run() {
	defer close(l.done)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
		l.set(false, time.Time{})
	}()
	every := max(l.s.lease/3, 50*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	warned := false
	for {
		ctx, cancel := context.WithTimeout(context.Background(), l.s.lease)
		var err error
		if conn == nil {
			conn, err = l.connect(ctx, &warned)
		}
		if err == nil {
			sent := time.Now()
			l.mu.Lock()
			held := l.held
			l.mu.Unlock()
			if held {
				// A session lock stays until its session ends: any answer renews it.
				_, err = conn.Exec(ctx, "SELECT 1")
			} else {
				err = conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", leaseClass, l.key).Scan(&held)
			}
			if err == nil {
				l.set(held, sent)
			}
		}
		cancel()
		if err != nil {
			l.set(false, time.Time{})
			if conn != nil {
				conn.Close(context.Background())
				conn = nil
			}
			l.s.log.Warn("lease: the session failed; trying again", "lease", l.name, "err", err)
		}
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
	}
}

// connect opens the lease's session: idle for longer than the lease, the server ends it
// (PostgreSQL 14 and later; earlier servers keep it until the connection dies, which
// the keepalives notice for a vanished peer but not for a paused one).
func (l *Lease) connect(ctx context.Context, warned *bool) (*pgx.Conn, error) {
	pc, err := l.s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	conn := pc.Hijack()
	ms := l.s.lease.Milliseconds()
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET idle_session_timeout = %d", ms)); err != nil {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42704" { // undefined_object: before PostgreSQL 14
			conn.Close(context.Background())
			return nil, fmt.Errorf("preparing the session: %w", err)
		}
		if !*warned {
			*warned = true
			l.s.log.Warn("lease: the server has no idle_session_timeout (PostgreSQL < 14): a paused holder keeps the lease until its connection dies", "lease", l.name)
		}
	}
	return conn, nil
}

// closeLeases gives up every lease this store holds (Close).
func (s *Store) closeLeases() {
	s.leasesMu.Lock()
	ls := s.leases
	s.leases = nil
	s.leasesMu.Unlock()
	for _, l := range ls {
		l.Close()
	}
}
