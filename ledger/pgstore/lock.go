package pgstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/jackc/pgx/v5"
)

// headLock is the transaction advisory lock key writers queue on ("dledger\x02").
const headLock = 0x646c65646765_7202

var errNotLocked = errors.New("head lock not held")

// lockSQL opens a transaction on the lock session, waits for the head lock (granted in
// request order; lock_timeout bounds the wait) and reads the head: READ COMMITTED takes
// a new snapshot per statement, so the head read after the lock includes everything the
// previous holder committed. One round trip (simple protocol, three statements).
var lockSQL = "BEGIN; SELECT pg_advisory_xact_lock(" + strconv.FormatInt(headLock, 10) + "); SELECT size, last_hash FROM ledger_head"

// LockHead implements ledger.HeadLocker, so that several ledgerd processes on one
// database take turns to catch up, seal and append instead of racing and re-sealing.
//
// The lock is a transaction-scoped advisory lock held on a session of its own, and the
// holder's Append runs in that same transaction and commits it: the lock is released
// by the commit that makes the batch visible, in the same round trip. Nothing rests on
// it for correctness (the conditional head update does that); it buys fairness and
// saves work. A crashed holder's session ends and frees the lock; a holder stuck for
// longer than lock_timeout (10 s) is passed by, the others appending optimistically.
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

func (s *Store) lock(ctx context.Context) (ledger.Head, error) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.lockConn == nil {
		pc, err := s.pool.Acquire(ctx)
		if err != nil {
			return ledger.Head{}, fmt.Errorf("connecting for the head lock: %w", err)
		}
		s.lockConn = pc.Hijack()
		if _, err := s.lockConn.Exec(ctx, "SET lock_timeout = '10s'"); err != nil {
			s.dropLockConn()
			return ledger.Head{}, fmt.Errorf("preparing the head lock: %w", err)
		}
	}
	res, err := s.lockConn.PgConn().Exec(ctx, lockSQL).ReadAll()
	if err == nil && (len(res) != 3 || len(res[2].Rows) != 1 || len(res[2].Rows[0]) != 2) {
		err = errors.New("unexpected answer")
	}
	var h ledger.Head
	if err == nil {
		h, err = parseHead(res[2].Rows[0][0], res[2].Rows[0][1])
	}
	if err != nil {
		s.rollback()
		return ledger.Head{}, fmt.Errorf("taking the head lock: %w", err)
	}
	s.inTx = true
	return h, nil
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

// appendLocked runs the append statement and COMMIT in the lock's transaction, in one
// round trip; errNotLocked if no lock transaction is open.
func (s *Store) appendLocked(ctx context.Context, args []any) (int64, error) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if !s.inTx {
		return 0, errNotLocked
	}
	b := &pgx.Batch{}
	b.Queue(appendSQL, args...)
	b.Queue("COMMIT")
	br := s.lockConn.SendBatch(ctx, b)
	var moved int64
	err := br.QueryRow().Scan(&moved)
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.rollback() // an aborted transaction still holds the lock until it ends
		return 0, err
	}
	s.inTx = false // committed: the lock went with it
	return moved, nil
}

func (s *Store) dropLockConn() {
	if s.lockConn != nil {
		s.lockConn.Close(context.Background())
		s.lockConn = nil
	}
	s.inTx = false
}
