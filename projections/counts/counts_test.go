package counts_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/projections/counts"
	"github.com/jackc/pgx/v5/pgxpool"
)

func entry(seq uint64, typ, inst string) *ledger.Entry {
	e := &ledger.Entry{Seq: seq}
	e.Submission.Type, e.Submission.Actor.Institution = typ, inst
	return e
}

func TestPositionKeptWithCounts(t *testing.T) {
	backends := []struct {
		name string
		open func(t *testing.T, name string) *counts.Consumer
	}{
		{"bolt", func(t *testing.T, name string) *counts.Consumer {
			c, err := counts.NewBolt(filepath.Join(t.TempDir(), "counts.db"), name)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		}},
		{"postgres", func(t *testing.T, name string) *counts.Consumer {
			pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			c, err := counts.NewPG(context.Background(), pool, name)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	}
	ctx := context.Background()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			c := be.open(t, "c1")
			if p, err := c.Position(ctx); err != nil || p != 0 {
				t.Fatalf("new consumer at %d, %v", p, err)
			}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(c.Apply(ctx, []*ledger.Entry{entry(0, "a.v1", "x"), entry(1, "a.v1", "x"), entry(2, "b.v1", "y")}))
			must(c.Apply(ctx, []*ledger.Entry{entry(3, "a.v1", "y")}))
			// Replays and gaps are refused and change nothing.
			for _, bad := range [][]*ledger.Entry{{entry(2, "b.v1", "y")}, {entry(0, "a.v1", "x")}, {entry(9, "a.v1", "x")}} {
				if err := c.Apply(ctx, bad); !errors.Is(err, follow.ErrPositionMoved) {
					t.Fatalf("apply at %d: %v, want ErrPositionMoved", bad[0].Seq, err)
				}
			}
			s, err := c.Snapshot(ctx)
			must(err)
			want := map[counts.Key]uint64{{"a.v1", "x"}: 2, {"b.v1", "y"}: 1, {"a.v1", "y"}: 1}
			if s.Position != 4 || !reflect.DeepEqual(s.Counts, want) {
				t.Fatalf("snapshot %+v, want position 4 and %v", s, want)
			}
			if rows := s.Rows(); len(rows) != 3 || rows[0].Type != "a.v1" || rows[0].Institution != "x" || rows[0].N != 2 {
				t.Fatalf("rows %+v", rows)
			}
		})
	}
}
