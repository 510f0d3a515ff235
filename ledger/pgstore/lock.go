package pgstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// headLock is the transaction advisory lock key writers queue on ("dledger\x02").
const headLock = 0x646c65646765_7202

var errNotLocked = errors.New("head lock not held")

// advisorySQL opens a transaction on the lock session, waits for the head lock (granted
// in request order; lock_timeout bounds the wait), then takes the head row's lock with
// the head read: READ COMMITTED reads the newest version of a row it locks, so the head
// includes everything the previous holder committed, and no writer can move it before
// this holder's append. One round trip (simple protocol, three statements).
var advisorySQL = "BEGIN; SELECT pg_advisory_xact_lock(" + strconv.FormatInt(headLock, 10) + "); SELECT size, last_hash FROM ledger_head FOR UPDATE"

// rowSQL is the lock of a writer whose wait for the advisory lock timed out: it queues
// on the head row alone (a session stuck with the advisory lock does not hold the row:
// a writer of ours takes both, and the server ends its session when it stalls; another
// program's advisory lock holds nothing else). It tries the advisory lock on the way,
// without waiting, and goes back to queueing on it once that succeeds. Both kinds of
// holder lock the row before reading the head, so they take turns without racing.
var rowSQL = "BEGIN; SELECT pg_try_advisory_xact_lock(" + strconv.FormatInt(headLock, 10) + "); SELECT size, last_hash FROM ledger_head FOR UPDATE"

// LockHead implements ledger.HeadLocker, so that several ledgerd processes on one
// database take turns to catch up, seal and append instead of racing and re-sealing.
//
// The lock is a transaction-scoped advisory lock held on a session of its own, and the
// holder's Append runs in that same transaction and commits it: the lock is released
// by the commit that makes the batch visible, in the same round trip. Nothing rests on
// it for correctness (the conditional head update does that); it buys fairness and
// saves work.
//
// It is a lease, not a lock held at the holder's pleasure:
//
//   - The lock session runs with idle_in_transaction_session_timeout = Lease: a holder
//     that stops talking to the server while it holds the lock (a paused process, a GC
//     pause, a frozen VM, a partition) has its session ended by the server after Lease,
//     which frees the lock for the next in line. Keepalives find a vanished peer.
//   - A holder that has held the lock for longer than Lease does not append under it
//     (its session may be gone): it appends without the lock, which is just as safe.
//   - A holder whose lock session fails in its append does not know whether the batch
//     committed; it reads the log at the batch's first seq and decides (settle).
//   - Waiters wait at most LockWait (lock_timeout). One whose wait times out queues on
//     the head row's lock instead (rowSQL), which every holder takes too, until it finds
//     the advisory lock free again: a holder stuck beyond what the server ends (another
//     program's session holding the key) costs each writer one wait, not one per batch.
//     If the row's lock times out as well, LockHead fails and the sequencer appends
//     without the lock, its conditional update queueing on the row like any other.
//
// A Store is meant to serve one Ledger: LockHead serialises its callers, and an Append
// from someone other than the lock's holder would commit the holder's transaction.
func (s *Store) LockHead(ctx context.Context) (ledger.Head, func(), error) {
	s.lockMu.Lock()
	h, err := s.lock(ctx)
	if err != nil {
		s.lockMu.Unlock()
		return ledger.Head{}, nil, err
	}
	return h, s.unlock, nil
}

// ErrLockTimeout is returned by LockHead when both locks were held past LockWait.
var ErrLockTimeout = errors.New("pgstore: the head lock was not granted within the lock wait")

func (s *Store) lock(ctx context.Context) (ledger.Head, error) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.lockConn == nil {
		pc, err := s.pool.Acquire(ctx)
		if err != nil {
			return ledger.Head{}, fmt.Errorf("connecting for the head lock: %w", err)
		}
		s.lockConn = pc.Hijack()
		// statement_timeout backs the others up: no statement of the lock session (the
		// wait, the append, the commit) may run past the longest wait plus a lease.
		set := fmt.Sprintf("SET lock_timeout = %d; SET idle_in_transaction_session_timeout = %d; SET statement_timeout = %d",
			s.lockWait.Milliseconds(), s.lease.Milliseconds(), (s.lockWait + s.lease).Milliseconds())
		if _, err := s.lockConn.Exec(ctx, set); err != nil {
			s.dropLockConn()
			return ledger.Head{}, fmt.Errorf("preparing the head lock: %w", err)
		}
	}
	sql := advisorySQL
	if s.rowMode {
		sql = rowSQL
	}
	h, gotKey, err := s.lockWith(ctx, sql)
	if err == nil {
		if s.rowMode && gotKey {
			s.rowMode = false // the advisory lock is free again: queue on it from now on
			s.log.Info("the head lock is free again; queueing on it")
		}
		s.inTx, s.granted = true, time.Now()
		return h, nil
	}
	if !isLockTimeout(err) {
		return ledger.Head{}, fmt.Errorf("taking the head lock: %w", err)
	}
	if s.rowMode {
		return ledger.Head{}, fmt.Errorf("%w: the head row (%v)", ErrLockTimeout, s.lockWait)
	}
	// Held past LockWait: its holder is stuck beyond what the server ends. Queue on the
	// head row instead of waiting behind it batch after batch.
	s.rowMode = true
	s.log.Warn("the head lock was held past the lock wait; queueing on the head row until it is free", "lock_wait", s.lockWait.String())
	if h, _, err = s.lockWith(ctx, rowSQL); err != nil {
		if isLockTimeout(err) {
			err = fmt.Errorf("%w: the advisory lock and the head row (%v each)", ErrLockTimeout, s.lockWait)
		}
		return ledger.Head{}, fmt.Errorf("taking the head lock: %w", err)
	}
	s.inTx, s.granted = true, time.Now()
	return h, nil
}

// lockWith runs one of the lock statements and reads the head it returns, and whether
// the advisory lock is held (always, for advisorySQL); on failure the transaction is
// rolled back. Called with connMu held.
func (s *Store) lockWith(ctx context.Context, sql string) (ledger.Head, bool, error) {
	res, err := s.lockConn.PgConn().Exec(ctx, sql).ReadAll()
	if err == nil && (len(res) != 3 || len(res[1].Rows) != 1 || len(res[1].Rows[0]) != 1 || len(res[2].Rows) != 1 || len(res[2].Rows[0]) != 2) {
		err = errors.New("unexpected answer")
	}
	var h ledger.Head
	if err == nil {
		h, err = parseHead(res[2].Rows[0][0], res[2].Rows[0][1])
	}
	if err != nil {
		s.rollback()
		return ledger.Head{}, false, err
	}
	// pg_advisory_xact_lock answers an empty value, pg_try_advisory_xact_lock t or f.
	return h, string(res[1].Rows[0][0]) != "f", nil
}

// isLockTimeout: the statement gave up waiting for a lock (lock_timeout).
func isLockTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03" // lock_not_available
}

// parseHead reads the head row in text format (bytea as \x hex).
func parseHead(size, last []byte) (ledger.Head, error) {
	var h ledger.Head
	n, err := strconv.ParseUint(string(size), 10, 64)
	if err != nil {
		return h, fmt.Errorf("head size %q: %w", size, err)
	}
	b, err := hex.DecodeString(strings.TrimPrefix(string(last), `\x`))
	if err != nil || len(b) != len(h.LastHash) {
		return h, fmt.Errorf("head hash %q is malformed", last)
	}
	h.Size = n
	copy(h.LastHash[:], b)
	return h, nil
}

// rollback ends the lock session's transaction, if any, releasing the lock; a session
// that cannot is closed, which releases it too. Called with connMu held.
func (s *Store) rollback() {
	s.inTx = false
	if s.lockConn == nil {
		return
	}
	if s.lockConn.IsClosed() {
		s.dropLockConn()
		return
	}
	if _, err := s.lockConn.Exec(context.Background(), "ROLLBACK"); err != nil {
		s.dropLockConn()
	}
}

func (s *Store) unlock() {
	s.connMu.Lock()
	if s.inTx {
		s.rollback() // nothing was appended under this lock
	}
	s.connMu.Unlock()
	s.lockMu.Unlock()
}

// errLockLost is appendLocked's report that the lock session failed while the batch was
// in flight: whether it committed is unknown until the log is read (settle).
var errLockLost = errors.New("the head lock's session failed during the append")

// appendLocked runs the append statement and COMMIT in the lock's transaction, in one
// round trip; errNotLocked if no lock transaction is open or the lock has been held
// longer than the lease (the server may have ended its session: append without it).
func (s *Store) appendLocked(ctx context.Context, args []any) (int64, error) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if !s.inTx {
		return 0, errNotLocked
	}
	if time.Since(s.granted) > s.lease {
		s.log.Warn("the head lock was held longer than the lease; appending without it", "held", time.Since(s.granted).String(), "lease", s.lease.String())
		s.rollback()
		return 0, errNotLocked
	}
	b := &pgx.Batch{}
	b.Queue(appendSQL, args...)
	b.Queue("COMMIT")
	br := s.lockConn.SendBatch(ctx, b)
	var moved int64
	err := br.QueryRow().Scan(&moved)
	stmtErr := err
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.rollback() // an aborted transaction still holds the lock until it ends
		var pe *pgconn.PgError
		if errors.As(stmtErr, &pe) && pe.Code == "23505" {
			return 0, stmtErr // the statement refused the batch; nothing committed
		}
		return 0, fmt.Errorf("%w: %w", errLockLost, err)
	}
	s.inTx = false // committed: the lock went with it
	return moved, nil
}

// settle decides a batch whose append failed in a way that leaves its fate unknown (the
// lock session ended with the append in flight): the entry stored at the batch's first
// seq is ours (committed: 1), another's (the head moved: 0), or absent, and then the
// batch is appended again without the lock, the conditional head update deciding as
// always. A commit of ours still in flight on the server holds the head row: the new
// append waits for it and then finds the head moved, and the sequencer, catching up,
// finds its own entries and answers them as duplicates.
func (s *Store) settle(ctx context.Context, first uint64, hash ledger.Hash, args []any) (int64, error) {
	var stored []byte
	err := s.pool.QueryRow(ctx, "SELECT hash FROM ledger_entries WHERE seq = $1", clamp(first)).Scan(&stored)
	switch {
	case err == nil && bytes.Equal(stored, hash[:]):
		return 1, nil
	case err == nil:
		return 0, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, fmt.Errorf("reading back entry %d after a failed append: %w", first, err)
	}
	var moved int64
	err = s.pool.QueryRow(ctx, appendSQL, args...).Scan(&moved)
	return moved, err
}

func (s *Store) dropLockConn() {
	if s.lockConn != nil {
		s.lockConn.Close(context.Background())
		s.lockConn = nil
	}
	s.inTx = false
}
