package esdbstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/aba-prefecture/dataledger/ledger"
)

var _ ledger.HeadLocker = (*Store)(nil)

// LockHead implements ledger.HeadLocker, so that a ledger on this store knows it shares
// the log with other writers (several ledgerd on one cluster): its sequencer folds in
// their commits before sealing each batch, follows them while idle, and catches up
// before refusing a key it does not know.
//
// It is not a lock on the cluster: EventStoreDB has none (a lease written to a stream
// would cost two quorum appends per batch and rest on clocks). What it does is queue
// this process's callers and return the head as the leader has it now, so that the
// sequencer seals on the latest log. Writers of other processes are held off by the
// expected revision alone: the one whose append arrives second is refused
// (ledger.ErrHeadMoved), catches up and seals again, up to the sequencer's limit.
// Correctness never rests on this lock; fairness is not promised.
func (s *Store) LockHead(ctx context.Context) (ledger.Head, func(), error) {
	select {
	case s.lockq <- struct{}{}:
	case <-ctx.Done():
		return ledger.Head{}, nil, fmt.Errorf("waiting for the head lock: %w", ctx.Err())
	}
	h, err := s.Head(ctx)
	if err != nil {
		<-s.lockq
		return ledger.Head{}, nil, err
	}
	var once sync.Once
	return h, func() { once.Do(func() { <-s.lockq }) }, nil
}
