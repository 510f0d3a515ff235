package esdbstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

type checkpointMeta struct {
	Size uint64      `json:"size"`
	Root ledger.Hash `json:"root"`
}

// lastCheckpoint reads the newest checkpoint event; ok is false if there is none.
func (s *Store) lastCheckpoint(ctx context.Context) (c ledger.Checkpoint, rev uint64, ok bool, err error) {
	r := s.retrier()
	for {
		_, err = s.readOnce(ctx, s.checkpoints, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1, func(ev *esdb.RecordedEvent) error {
			var derr error
			c, derr = decodeCheckpoint(ev)
			rev, ok = ev.EventNumber, derr == nil
			return derr
		})
		var cb cbError
		if errors.As(err, &cb) {
			return c, 0, false, cb.err
		}
		if err == nil || !r.again(ctx, err) {
			return c, rev, ok, err
		}
	}
}

func decodeCheckpoint(ev *esdb.RecordedEvent) (ledger.Checkpoint, error) {
	var m checkpointMeta
	if err := json.Unmarshal(ev.UserMetadata, &m); err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("checkpoint event %d has malformed metadata: %w", ev.EventNumber, err)
	}
	return ledger.Checkpoint{Size: m.Size, Root: m.Root, Note: ev.Data}, nil
}

var checkpointSpace = uuid.MustParse("0b6d3f0e-8f1a-5c1e-9d35-6c6564676572")

// PutCheckpoint implements ledger.Store. Checkpoints are kept in growing size: one for
// a size already covered is not stored (the one stored is of the same log). The event
// id is derived from the checkpoint, so a resend after a lost answer is a no-op.
func (s *Store) PutCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	h, err := s.Head(ctx)
	if err != nil {
		return err
	}
	if c.Size > h.Size {
		return fmt.Errorf("checkpoint for size %d beyond the log's %d entries", c.Size, h.Size)
	}
	md, err := json.Marshal(checkpointMeta{Size: c.Size, Root: c.Root})
	if err != nil {
		return fmt.Errorf("encoding checkpoint %d: %w", c.Size, err)
	}
	ev := esdb.EventData{EventID: uuid.NewSHA1(checkpointSpace, append(c.Root[:], fmt.Sprint(c.Size)...)),
		EventType: CheckpointEventType, ContentType: esdb.ContentTypeBinary, Data: c.Note, Metadata: md}
	r := s.retrier()
	what := fmt.Sprintf("storing checkpoint %d", c.Size)
	for conflicts := 0; ; {
		last, rev, ok, err := s.lastCheckpoint(ctx)
		if err != nil {
			return fmt.Errorf("reading the latest checkpoint: %w", err)
		}
		var exp esdb.ExpectedRevision = esdb.NoStream{}
		if ok {
			if last.Size >= c.Size {
				return nil
			}
			exp = esdb.Revision(rev)
		}
		err = s.call(ctx, what, func(cctx context.Context, cl *esdb.Client) error {
			_, err := cl.AppendToStream(cctx, s.checkpoints, esdb.AppendToStreamOptions{ExpectedRevision: exp}, ev)
			return err
		})
		switch {
		case err == nil:
			return nil
		case isCode(err, esdb.ErrorCodeWrongExpectedVersion):
			if conflicts++; conflicts == 8 {
				return fmt.Errorf("%s: other writers kept appending checkpoints", what)
			}
		case !r.again(ctx, err): // else: it may be stored; the next look says
			return err
		}
	}
}

// Checkpoints implements ledger.Store.
func (s *Store) Checkpoints(ctx context.Context, fn func(ledger.Checkpoint) error) error {
	var cs []ledger.Checkpoint
	for from := uint64(0); ; from += readChunk {
		got, err := s.read(ctx, s.checkpoints, from, readChunk, func(ev *esdb.RecordedEvent) error {
			c, err := decodeCheckpoint(ev)
			if err != nil {
				return err
			}
			cs = append(cs, c)
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading checkpoints: %w", err)
		}
		if got < readChunk {
			break
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Size < cs[j].Size })
	for _, c := range cs {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// LatestCheckpoint implements ledger.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	c, _, ok, err := s.lastCheckpoint(ctx)
	if err != nil {
		return c, fmt.Errorf("reading the latest checkpoint: %w", err)
	}
	if !ok {
		return c, ledger.ErrNotFound
	}
	return c, nil
}
