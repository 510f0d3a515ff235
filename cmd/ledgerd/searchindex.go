package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/projections/search"
)

// searchIndex is the investigation index (DATA/search.db) kept current by a runner:
// caught up from the store at start, then woken by every commit.
type searchIndex struct {
	idx    *search.Index
	r      *follow.Follower
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// openSearch opens the index beside the data; --search=off leaves it out (GET
// /v1/events then answers 405).
func openSearch(c *config, st ledger.Store, log *slog.Logger) (*searchIndex, error) {
	if c.search == "off" {
		return nil, nil
	}
	idx, err := search.Open(filepath.Join(c.data, "search.db"))
	if err != nil {
		return nil, fmt.Errorf("--search: %w", err)
	}
	return &searchIndex{idx: idx, r: follow.New(idx, follow.Options{Store: st, Logger: log})}, nil
}

func (s *searchIndex) start() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Go(func() { _ = s.r.Run(ctx) })
}

// wake is an OnCommit hook: it never blocks.
func (s *searchIndex) wake([]*ledger.Entry) {
	if s != nil {
		s.r.Wake()
	}
}

func (s *searchIndex) close() {
	if s == nil {
		return
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	s.idx.Close()
}
