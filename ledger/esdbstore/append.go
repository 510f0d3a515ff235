package esdbstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/aba-prefecture/dataledger/ledger"
)

// nodeSeq is the entry whose append completes node id.
func nodeSeq(id ledger.NodeID) uint64 { return (id.Index+1)<<id.Level - 1 }

// entryEvents turns a batch into events, each carrying the nodes its entry completes.
func entryEvents(b *ledger.Batch) ([]esdb.EventData, error) {
	first := b.Entries[0].Seq
	nodes := make([][]node, len(b.Entries))
	for _, n := range b.Nodes {
		seq := nodeSeq(n.ID)
		if seq < first || seq-first >= uint64(len(b.Entries)) {
			return nil, fmt.Errorf("node level %d index %d is not completed by entries %d..%d", n.ID.Level, n.ID.Index, first, first+uint64(len(b.Entries))-1)
		}
		nodes[seq-first] = append(nodes[seq-first], node{n.ID.Level, n.ID.Index, n.Hash})
	}
	out := make([]esdb.EventData, len(b.Entries))
	for i, e := range b.Entries {
		md, err := json.Marshal(meta{Seq: e.Seq, Hash: e.Hash, ID: e.ID, Stream: e.Stream, StreamVersion: e.StreamVersion, Nodes: nodes[i]})
		if err != nil {
			return nil, fmt.Errorf("entry %d: encoding its metadata: %w", e.Seq, err)
		}
		out[i] = esdb.EventData{EventID: EntryEventID(e.Hash), EventType: EntryEventType, ContentType: esdb.ContentTypeBinary, Data: e.Bytes, Metadata: md}
	}
	return out, nil
}

// ErrBatchTooLarge refuses a batch that one append cannot carry. A batch is atomic
// (the ledger.Store contract) and an append is the server's only atomic write, so a
// batch is never split: a split one whose second part failed left a prefix in the log
// whose submitters had been told the batch failed. Nothing of a refused batch is
// written; the sequencer must send smaller batches (MaxBatchBytes, --max-batch).
var ErrBatchTooLarge = errors.New("esdbstore: batch larger than one append")

// appendSize is what an append carries, counted roughly as the server counts it
// against its MaxAppendSize: data, metadata and (twice, as UTF-16) the event type.
func appendSize(evs []esdb.EventData) int {
	n := 0
	for _, ev := range evs {
		n += len(ev.Data) + len(ev.Metadata) + 2*len(ev.EventType)
	}
	return n
}

// MaxBatchBytes is the most an appended batch may carry: its entries' bytes plus the
// metadata the store adds (a few hundred bytes per entry: ids, hashes, the Merkle
// nodes it completes). A sequencer that keeps its batches under it, with that
// margin, never has one refused with ErrBatchTooLarge.
func (s *Store) MaxBatchBytes() int { return s.maxAppend }

var _ ledger.BatchLimiter = (*Store)(nil) // the sequencer keeps batches under MaxBatchBytes

func expected(seq uint64) esdb.ExpectedRevision {
	if seq == 0 {
		return esdb.NoStream{}
	}
	return esdb.Revision(seq - 1)
}

// Append implements ledger.Store: the batch is one AppendToStream expecting the
// revision before its first entry, so it is written whole or not at all; a batch
// over MaxBatchBytes is refused (ErrBatchTooLarge) before anything is sent.
func (s *Store) Append(ctx context.Context, b *ledger.Batch) error {
	if len(b.Entries) == 0 {
		return nil
	}
	first := b.Entries[0].Seq
	for i, e := range b.Entries {
		if e.Seq != first+uint64(i) {
			return fmt.Errorf("batch is not contiguous at %d", e.Seq)
		}
	}
	if size, _ := s.idx.head(); first != size {
		// The index may be behind the log (another writer): look before refusing.
		if err := s.refresh(ctx); err != nil {
			return err
		}
	}
	if size, _ := s.idx.head(); first != size {
		return fmt.Errorf("%w: batch starts at %d, the entries stream holds %d", ledger.ErrHeadMoved, first, size)
	}
	// The index holds every entry before first (it reached first), so it answers for
	// ids stored there; entries beyond first are the expected revision's business.
	ids := make([]string, len(b.Entries))
	seen := make(map[string]bool, len(b.Entries))
	for i, e := range b.Entries {
		if seen[e.ID] {
			return fmt.Errorf("%w: id %s twice in one batch", ledger.ErrConflict, e.ID)
		}
		ids[i], seen[e.ID] = e.ID, true
	}
	stored, err := s.idx.lookup(ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if seq, ok := stored[id]; ok {
			return fmt.Errorf("%w: id %s already stored at %d", ledger.ErrConflict, id, seq)
		}
	}
	evs, err := entryEvents(b)
	if err != nil {
		return err
	}
	if n := appendSize(evs); n > s.maxAppend {
		return fmt.Errorf("%w: entries %d..%d carry %d bytes, one append at most %d; nothing was written (send smaller batches: --max-batch)",
			ErrBatchTooLarge, first, b.Entries[len(b.Entries)-1].Seq, n, s.maxAppend)
	}
	if err := s.appendEntries(ctx, b.Entries, evs); err != nil {
		return err
	}
	ms := make([]meta, len(b.Entries))
	for i, e := range b.Entries {
		ms[i] = meta{Seq: e.Seq, Hash: e.Hash, ID: e.ID, Stream: e.Stream, StreamVersion: e.StreamVersion}
	}
	if err := s.idx.add(first, ms); err != nil {
		// The batch is stored; the index will read it back from the log next time.
		s.log.Warn("esdb: indexing an appended batch failed", "from", first, "err", err)
	}
	return nil
}

// appendEntries appends es (as evs) expecting the revision before the first, and
// returns nil only when the log holds these very entries at their seqs: the server
// wrote them under that expected revision, or acknowledged ids derived from their
// hashes (EntryEventID), or they were read back after an answer went missing.
//
// A call that fails in transit may have committed or not. Before sending again the
// store reads the positions back: the same bytes there are success; other entries
// there are ErrHeadMoved; nothing there means send again. All within RetryFor.
func (s *Store) appendEntries(ctx context.Context, es []ledger.SealedEntry, evs []esdb.EventData) error {
	first, last := es[0].Seq, es[len(es)-1].Seq
	what := fmt.Sprintf("appending entries %d..%d to %s", first, last, s.entries)
	r := s.retrier()
	for {
		var res *esdb.WriteResult
		err := s.call(ctx, what, func(cctx context.Context, c *esdb.Client) error {
			var err error
			res, err = c.AppendToStream(cctx, s.entries, esdb.AppendToStreamOptions{ExpectedRevision: expected(first)}, evs...)
			return err
		})
		if err == nil && res.NextExpectedVersion == last {
			return nil
		}
		if err == nil {
			// Success, but not for these positions: find out what the log holds.
			err = fmt.Errorf("%s: the server answered success at revision %d", what, res.NextExpectedVersion)
		} else if isCode(err, esdb.ErrorCodeWrongExpectedVersion) {
			return fmt.Errorf("%w: %v", ledger.ErrHeadMoved, err)
		} else if !transient(err) {
			return err
		}
		switch held, lerr := s.lookBack(ctx, es); {
		case lerr != nil && !transient(lerr):
			return fmt.Errorf("%s: reading back after %v: %w", what, err, lerr)
		case lerr != nil:
			// Still unreachable: wait and try the append again.
		case held == heldOurs:
			s.log.Warn("esdb: an append's answer was lost, but the log holds it", "from", first, "to", last, "err", err)
			return nil
		case held == heldOther:
			return fmt.Errorf("%w: another writer's entries are at %d (after %v)", ledger.ErrHeadMoved, first, err)
		}
		if !r.again(ctx, err) {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return fmt.Errorf("%s: no definite answer within %v, so these entries may or may not be stored: %w", what, s.retryFor, err)
		}
	}
}

// held is what the log holds at a batch's positions.
type held int

const (
	heldNothing held = iota // the stream ends before the first
	heldOurs                // the batch's very bytes
	heldOther               // other entries
)

// lookBack reads the positions of es (once, no retries) and compares the bytes.
func (s *Store) lookBack(ctx context.Context, es []ledger.SealedEntry) (held, error) {
	first := es[0].Seq
	i := 0
	same := true
	_, err := s.readOnce(ctx, s.entries, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(first)}, uint64(len(es)), func(ev *esdb.RecordedEvent) error {
		if ev.EventNumber != first+uint64(i) || ev.EventID != EntryEventID(es[i].Hash) || !bytes.Equal(ev.Data, es[i].Bytes) {
			same = false
		}
		i++
		return nil
	})
	var cb cbError
	if errors.As(err, &cb) {
		err = cb.err
	}
	switch {
	case err != nil:
		return heldNothing, err
	case i == 0:
		return heldNothing, nil
	case same && i == len(es):
		return heldOurs, nil
	}
	return heldOther, nil
}
