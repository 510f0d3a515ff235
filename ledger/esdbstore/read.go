package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/aba-prefecture/dataledger/ledger"
)

var errStop = errors.New("stop")

// Entries implements ledger.Store.
func (s *Store) Entries(ctx context.Context, from, to uint64, fn func(ledger.RawEntry) error) error {
	for from < to {
		count := min(to-from, readChunk)
		got, err := s.read(ctx, s.entries, from, count, func(ev *esdb.RecordedEvent) error {
			if ev.EventNumber >= to {
				return errStop
			}
			m, err := decodeMeta(ev)
			if err != nil {
				return err
			}
			return fn(ledger.RawEntry{Seq: ev.EventNumber, Hash: m.Hash, Bytes: ev.Data})
		})
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading entries from %d: %w", from, err)
		}
		if got < count {
			return nil // the stream ends
		}
		from += got
	}
	return nil
}

// readSeqs reads the entry events at the given positions (sorted, distinct), grouping
// consecutive positions into one read.
func (s *Store) readSeqs(ctx context.Context, seqs []uint64, fn func(*esdb.RecordedEvent) error) error {
	for i := 0; i < len(seqs); {
		j := i + 1
		for j < len(seqs) && seqs[j] == seqs[j-1]+1 && j-i < readChunk {
			j++
		}
		want := seqs[i]
		_, err := s.read(ctx, s.entries, seqs[i], uint64(j-i), func(ev *esdb.RecordedEvent) error {
			if ev.EventNumber != want {
				return fmt.Errorf("%w: wanted entry %d, the stream gave %d", ledger.ErrNotFound, want, ev.EventNumber)
			}
			want++
			return fn(ev)
		})
		if err != nil {
			return err
		}
		if want != seqs[j-1]+1 {
			return fmt.Errorf("%w: entry %d", ledger.ErrNotFound, want)
		}
		i = j
	}
	return nil
}

// Stream implements ledger.Store.
func (s *Store) Stream(ctx context.Context, stream string, from uint64, fn func(ledger.RawEntry) error) error {
	if err := s.refresh(ctx); err != nil {
		return err
	}
	if from == 0 {
		from = 1
	}
	for {
		seqs, err := s.idx.seqs(stream, from, readChunk)
		if err != nil || len(seqs) == 0 {
			return err
		}
		err = s.readSeqs(ctx, seqs, func(ev *esdb.RecordedEvent) error {
			m, err := decodeMeta(ev)
			if err != nil {
				return err
			}
			return fn(ledger.RawEntry{Seq: ev.EventNumber, Hash: m.Hash, Bytes: ev.Data})
		})
		if err != nil {
			return fmt.Errorf("reading stream %s: %w", stream, err)
		}
		from += uint64(len(seqs))
	}
}

// Nodes implements ledger.Store: each node is read from the metadata of the entry that
// completed it.
func (s *Store) Nodes(ctx context.Context, ids []ledger.NodeID) ([]ledger.Hash, error) {
	out := make([]ledger.Hash, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	bySeq := map[uint64][]int{}
	for i, id := range ids {
		seq := nodeSeq(id)
		if id.Level >= 64 || seq < id.Index {
			return nil, fmt.Errorf("%w: Merkle node level %d index %d", ledger.ErrNotFound, id.Level, id.Index)
		}
		bySeq[seq] = append(bySeq[seq], i)
	}
	seqs := make([]uint64, 0, len(bySeq))
	for seq := range bySeq {
		seqs = append(seqs, seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	found := make([]bool, len(ids))
	err := s.readSeqs(ctx, seqs, func(ev *esdb.RecordedEvent) error {
		m, err := decodeMeta(ev)
		if err != nil {
			return err
		}
		for _, i := range bySeq[ev.EventNumber] {
			for _, n := range m.Nodes {
				if n.Level == ids[i].Level && n.Index == ids[i].Index {
					out[i], found[i] = n.Hash, true
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading Merkle nodes: %w", err)
	}
	for i, ok := range found {
		if !ok {
			return nil, fmt.Errorf("%w: Merkle node level %d index %d", ledger.ErrNotFound, ids[i].Level, ids[i].Index)
		}
	}
	return out, nil
}
