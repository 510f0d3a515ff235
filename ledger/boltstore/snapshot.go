package boltstore

import (
	"context"
	"fmt"
	"io"

	"github.com/aba-prefecture/dataledger/ledger"
	bolt "go.etcd.io/bbolt"
)

// Snapshot writes a consistent copy of the whole store file, as of one read transaction,
// while appends continue: the copy holds exactly the batches committed before the
// transaction began, so it is a valid bbolt file whose head, entries, Merkle nodes and
// stored checkpoints agree with each other.
//
// begin is called inside the transaction, before the first byte is written, with the
// copy's length in bytes and its head; the writer it returns receives exactly size
// bytes. It exists because a framed stream (a tar header, a Content-Length) must know
// the length first. If begin returns an error nothing is written and Snapshot returns
// it. Writes stop with ctx's error once ctx is done.
//
// The read transaction is held until the last byte is written. bbolt cannot grow its
// memory map while a read transaction is open, so a slow reader can delay appends that
// need a larger file: callers serving a remote reader should bound each write with a
// deadline.
func (s *Store) Snapshot(ctx context.Context, begin func(size int64, head ledger.Head) (io.Writer, error)) error {
	return s.view(func(tx *bolt.Tx) error {
		var w io.Writer
		err := callerDo(func() (err error) { w, err = begin(tx.Size(), readHead(tx)); return err })
		if err != nil {
			return err
		}
		if _, err := tx.WriteTo(ctxWriter{ctx: ctx, w: w}); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				err = cerr // bbolt flattens the writer's error into text
			}
			return fmt.Errorf("copying the store: %w", err)
		}
		return nil
	})
}

// ctxWriter stops a long copy when its context ends (a client that went away).
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := callerDo(func() (err error) { n, err = c.w.Write(p); return err })
	return n, err
}
