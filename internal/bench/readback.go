package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
)

// readBackWait bounds how long the read-back waits for a checkpoint that covers every
// acknowledgement and for the search index to hold them all.
const readBackWait = time.Minute

// readBackSample is how many acknowledgements are also fetched one by one
// (GET /v1/events/{id}) and verified against the signed checkpoint.
const readBackSample = 200

// readBack checks that every acknowledged submission is in the log at its seq with its
// hash: it waits for a signed checkpoint covering them all (consistent with the last one
// seen), reads every act of the soak institution back through the search index, page
// by page, and verifies a random sample entry by entry with inclusion proofs.
func (s *soak) readBack(ctx context.Context, res *SoakResult) {
	res.Acked = int64(len(s.acks))
	var top uint64
	for _, a := range s.acks {
		top = max(top, a.seq+1)
	}
	deadline := time.Now().Add(readBackWait)
	for s.cp.Size < top && time.Now().Before(deadline) && ctx.Err() == nil {
		s.checkpoint(ctx, nil)
		time.Sleep(100 * time.Millisecond)
	}
	res.FinalSize = s.cp.Size
	if s.cp.Size < top {
		s.rec.done(OpReadBack, 0, "no_checkpoint", fmt.Errorf("no checkpoint covers seq %d", top-1))
	}
	got := s.readIndex(ctx, deadline)
	want := map[string]ack{}
	for _, a := range s.acks {
		want[a.id] = a
	}
	for id, a := range want {
		if h, ok := got[id]; ok && h == a {
			res.Present++
		} else if len(res.LostIDs) < 10 {
			res.LostIDs = append(res.LostIDs, id)
		}
	}
	// Re-sent duplicates share an id: every distinct acknowledged id must be present.
	res.Acked = int64(len(want))
	res.Lost = res.Acked - res.Present
	s.sample(ctx)
}

// readIndex pages through the search index's acts of the soak institution until it
// holds every acknowledged one or deadline passes; it returns them by id.
func (s *soak) readIndex(ctx context.Context, deadline time.Time) map[string]ack {
	got := map[string]ack{}
	cursor := ""
	for ctx.Err() == nil {
		q := url.Values{"institution": {s.gen.Institution()}, "limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		t0 := time.Now()
		page, err := s.c.Search(ctx, q)
		s.rec.done(OpReadBack, time.Since(t0), "", err)
		if err != nil {
			return got
		}
		for _, h := range page.Events {
			hash, err := ledger.ParseHash(h.Hash)
			if err != nil {
				s.rec.done(OpReadBack, 0, "bad_hash", err)
				continue
			}
			got[h.ID] = ack{id: h.ID, seq: h.Seq, hash: hash}
		}
		if page.NextCursor != "" {
			cursor = page.NextCursor
			continue
		}
		if s.allIn(got) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(200 * time.Millisecond) // the index follows the log a moment behind
	}
	return got
}

// allIn says whether got holds every acknowledgement.
func (s *soak) allIn(got map[string]ack) bool {
	for _, a := range s.acks {
		if _, ok := got[a.id]; !ok {
			return false
		}
	}
	return true
}

// sample fetches up to readBackSample acknowledged entries by id and verifies each
// against its signed checkpoint: the log itself, not only the index, holds them.
func (s *soak) sample(ctx context.Context) {
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for range min(readBackSample, len(s.acks)) {
		a := s.acks[r.IntN(len(s.acks))]
		t0 := time.Now()
		ev, err := s.c.Event(ctx, a.id)
		if err != nil {
			s.rec.done(OpReadBack, 0, "", err)
			continue
		}
		e, _, err := ev.Verify(s.origin, s.lkey)
		if err == nil && (e.Seq != a.seq || ev.Hash != a.hash) {
			err = errors.New("read back at another seq or hash than acknowledged")
		}
		s.rec.done(OpReadBack, time.Since(t0), "lost", err)
	}
}
