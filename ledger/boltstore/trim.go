package boltstore

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	bolt "go.etcd.io/bbolt"
)

// Trimmer keeps the store file's mapped pages out of the process's resident set (see
// trimMapped for why and why it is safe): every interval while serving, and every second
// while starting, because opening reads the whole file.
type Trimmer struct {
	db       *bolt.DB
	every    time.Duration
	log      *slog.Logger
	starting atomic.Bool
	quit     chan struct{}
	done     chan struct{}
}

// StartTrimmer starts trimming st's file if st is a bbolt store; another store (one that
// maps no file) or every <= 0 disables it. The result's methods are safe on a disabled
// trimmer.
func StartTrimmer(st ledger.Store, every time.Duration, log *slog.Logger) *Trimmer {
	var db *bolt.DB
	if bs, ok := st.(*Store); ok {
		db = bs.db
	} else {
		every = 0
	}
	t := &Trimmer{db: db, every: every, log: log, quit: make(chan struct{}), done: make(chan struct{})}
	if every <= 0 {
		close(t.done)
		return t
	}
	t.starting.Store(true)
	go t.run()
	return t
}

func (t *Trimmer) run() {
	defer close(t.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-t.quit:
			return
		case now := <-tick.C:
			if !t.starting.Load() && now.Sub(last) < t.every {
				continue
			}
			last = now
			if _, err := trimMapped(t.db); err != nil {
				t.log.Warn("trimming mapped store pages", "err", err)
			}
		}
	}
}

// Started trims once now and slows to the normal interval: opening is over.
func (t *Trimmer) Started() {
	if t.every <= 0 || !t.starting.Swap(false) {
		return
	}
	if _, err := trimMapped(t.db); err != nil {
		t.log.Warn("trimming mapped store pages", "err", err)
	}
}

// Now trims at once, for a caller that has just read a stretch of the file (a read
// model's follower between catch-up chunks); nil-safe, a no-op when trimming is off. It
// must not be called inside a read transaction.
func (t *Trimmer) Now() {
	if t == nil || t.every <= 0 {
		return
	}
	if _, err := trimMapped(t.db); err != nil {
		t.log.Warn("trimming mapped store pages", "err", err)
	}
}

// Stop ends trimming; it must be called before the store closes. A nil Trimmer (a
// start that failed before trimming began) has nothing to stop.
func (t *Trimmer) Stop() {
	if t == nil {
		return
	}
	select {
	case <-t.quit:
	default:
		if t.every > 0 {
			close(t.quit)
		}
	}
	<-t.done
}
