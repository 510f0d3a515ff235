package main

import (
	"log/slog"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// trimmer keeps the store file's mapped pages out of ledgerd's resident set (see
// trimMapped for why and why it is safe): every interval while serving, and every second
// while starting, because opening reads the whole file.
type trimmer struct {
	db       *bolt.DB
	every    time.Duration
	log      *slog.Logger
	starting atomic.Bool
	quit     chan struct{}
	done     chan struct{}
}

// startTrimmer starts trimming db; a nil db (a store that maps no file) or every <= 0
// disables it. The result's methods are safe on a disabled trimmer.
func startTrimmer(db *bolt.DB, every time.Duration, log *slog.Logger) *trimmer {
	if db == nil {
		every = 0
	}
	t := &trimmer{db: db, every: every, log: log, quit: make(chan struct{}), done: make(chan struct{})}
	if every <= 0 {
		close(t.done)
		return t
	}
	t.starting.Store(true)
	go t.run()
	return t
}

func (t *trimmer) run() {
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

// started trims once now and slows to the normal interval.
func (t *trimmer) started() {
	if t.every <= 0 || !t.starting.Swap(false) {
		return
	}
	if _, err := trimMapped(t.db); err != nil {
		t.log.Warn("trimming mapped store pages", "err", err)
	}
}

// now trims at once, for a caller that has just read a stretch of the file (the
// compliance follower between chunks); nil-safe, a no-op when trimming is off. It must
// not be called inside a read transaction.
func (t *trimmer) now() {
	if t == nil || t.every <= 0 {
		return
	}
	if _, err := trimMapped(t.db); err != nil {
		t.log.Warn("trimming mapped store pages", "err", err)
	}
}

// stop ends trimming; it must be called before the store closes.
func (t *trimmer) stop() {
	select {
	case <-t.quit:
	default:
		if t.every > 0 {
			close(t.quit)
		}
	}
	<-t.done
}
