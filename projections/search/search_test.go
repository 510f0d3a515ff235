package search_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/projections/search"
	"github.com/jackc/pgx/v5/pgxpool"
)

// entries makes n parsed entries: institutions, people, resources, types and days drawn
// from small pools, so that filters select and combine.
func entries(n int, seed uint64) []*ledger.Entry {
	r := rand.New(rand.NewPCG(seed, 1))
	insts := []string{"aba-health", "aba-police", "aba-tax"}
	res := []string{"r-1", "r-2", "r-3", "r-4"}
	types := []string{"data.collected.v1", "data.exported.v1", "share.data_used.v1"}
	base := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	out := make([]*ledger.Entry, n)
	for i := range out {
		inst, rr := insts[r.IntN(3)], res[r.IntN(4)]
		at := base.Add(time.Duration(r.IntN(20*24)) * time.Hour) // days out of seq order
		out[i] = &ledger.Entry{Seq: uint64(i), RecordedAt: base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339Nano),
			Submission: ledger.Submission{ID: fmt.Sprintf("01900000-0000-7000-8000-%012d", i), Stream: "resource/" + rr, Type: types[r.IntN(3)],
				OccurredAt: at.Format(time.RFC3339Nano), Actor: ledger.Actor{Institution: inst, Person: fmt.Sprintf("p-%d", r.IntN(5))},
				Payload: []byte(fmt.Sprintf(`{"resource":%q,"approved_by":"p-9"}`, rr))}}
	}
	return out
}

// index is what the tests ask of both backends.
type index interface {
	Apply(context.Context, []*ledger.Entry) error
	Search(context.Context, search.Query) (search.Page, error)
	Position(context.Context) (uint64, error)
}

// backend opens an empty index and says how to empty it again.
type backend func(t *testing.T) (x index, reset func() error)

// backends are the two indexes: a bbolt file beside the embedded store, and the
// deployment's index in PostgreSQL.
var backends = map[string]backend{
	"bbolt": func(t *testing.T) (index, func() error) {
		t.Helper()
		x, err := search.Open(filepath.Join(t.TempDir(), "search.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Close() })
		return x, x.Reset
	},
	"postgres": func(t *testing.T) (index, func() error) {
		t.Helper()
		pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		x, err := search.OpenPG(context.Background(), pool)
		if err != nil {
			t.Fatal(err)
		}
		return x, func() error { return x.Reset(context.Background()) }
	},
}

// onEach runs test on every backend.
func onEach(t *testing.T, test func(t *testing.T, open backend)) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) { test(t, open) })
	}
}

// all pages through a query, checking that no hit repeats.
func all(t *testing.T, x index, q search.Query) []uint64 {
	t.Helper()
	var seqs []uint64
	seen := map[uint64]bool{}
	for pages := 0; ; pages++ {
		p, err := x.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range p.Hits {
			if seen[h.Seq] {
				t.Fatalf("seq %d returned twice", h.Seq)
			}
			seen[h.Seq] = true
			seqs = append(seqs, h.Seq)
		}
		if p.Next == "" {
			return seqs
		}
		if pages > 10_000 {
			t.Fatal("paging does not end")
		}
		q.Cursor = p.Next
	}
}

// TestSearchEqualsAScan: every combination of filters, paged with small pages, returns
// exactly the entries a plain scan selects.
func TestSearchEqualsAScan(t *testing.T) { onEach(t, searchEqualsAScan) }

func searchEqualsAScan(t *testing.T, open backend) {
	es := entries(600, 7)
	x, _ := open(t)
	for i := 0; i < len(es); i += 100 {
		if err := x.Apply(context.Background(), es[i:i+100]); err != nil {
			t.Fatal(err)
		}
	}
	d := func(s string) calendar.Date { return calendar.MustParse(s) }
	queries := []search.Query{
		{}, {Institution: "aba-police"}, {Person: "p-3"}, {Person: "p-9"}, {Resource: "r-2"}, {Type: "data.exported.v1"},
		{Stream: "resource/r-4"}, {From: d("2026-03-05"), To: d("2026-03-09")}, {From: d("2026-03-15")},
		{Institution: "aba-tax", Resource: "r-1", From: d("2026-03-03"), To: d("2026-03-12")},
		{Person: "p-1", Type: "share.data_used.v1"}, {Resource: "r-9"},
	}
	for i, q := range queries {
		var want []uint64
		for _, e := range es {
			day := calendar.DateOf(e.Submission.Time()).String()
			s := e.Submission
			ok := (q.Institution == "" || s.Actor.Institution == q.Institution) &&
				(q.Person == "" || s.Actor.Person == q.Person || q.Person == "p-9") &&
				(q.Resource == "" || s.Stream == "resource/"+q.Resource) &&
				(q.Type == "" || s.Type == q.Type) && (q.Stream == "" || s.Stream == q.Stream) &&
				(q.From == calendar.Date{} || day >= q.From.String()) && (q.To == calendar.Date{} || day <= q.To.String())
			if ok {
				want = append(want, e.Seq)
			}
		}
		q.Limit = 7
		got := all(t, x, q)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("query %d %+v: %d hits, a scan finds %d", i, q, len(got), len(want))
		}
	}
}

// TestVisibleHidesAndRebuildEqualsIncremental: a Visible filter hides hits without
// breaking paging, and an index reset and rebuilt from zero answers the same.
func TestVisibleHidesAndRebuildEqualsIncremental(t *testing.T) {
	onEach(t, visibleHidesAndRebuildEqualsIncremental)
}

func visibleHidesAndRebuildEqualsIncremental(t *testing.T, open backend) {
	es := entries(300, 9)
	x, reset := open(t)
	if err := x.Apply(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	onlyHealth := func(h search.Hit) bool { return h.Institution == "aba-health" }
	seqs := all(t, x, search.Query{Resource: "r-1", Visible: onlyHealth, Limit: 3})
	for _, s := range seqs {
		if es[s].Submission.Actor.Institution != "aba-health" {
			t.Fatalf("seq %d by %s leaked", s, es[s].Submission.Actor.Institution)
		}
	}
	if err := x.Apply(context.Background(), es[:10]); err == nil {
		t.Fatal("an Apply behind the position was accepted")
	}
	if err := reset(); err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if err := x.Apply(context.Background(), []*ledger.Entry{e}); err != nil {
			t.Fatal(err)
		}
	}
	if again := all(t, x, search.Query{Resource: "r-1", Visible: onlyHealth, Limit: 3}); !slices.Equal(again, seqs) {
		t.Fatal("rebuilt one by one, the index answers differently")
	}
	if pos, _ := x.Position(context.Background()); pos != 300 {
		t.Fatalf("position %d", pos)
	}
	if _, err := x.Search(context.Background(), search.Query{Cursor: "x/1"}); err == nil {
		t.Fatal("a forged cursor was accepted")
	}
}

// TestPGAnswersAsBolt: the deployment's index in PostgreSQL answers every query page by
// page exactly as the bbolt file does — the same hits in the same order, the same
// cursors — with and without a Visible filter, so a front-end's answers do not depend on
// where the index lives.
func TestPGAnswersAsBolt(t *testing.T) {
	es := entries(900, 11)
	bolt, _ := backends["bbolt"](t)
	pg, _ := backends["postgres"](t)
	for _, x := range []index{bolt, pg} {
		for i := 0; i < len(es); i += 300 {
			if err := x.Apply(context.Background(), es[i:i+300]); err != nil {
				t.Fatal(err)
			}
		}
	}
	d := func(s string) calendar.Date { return calendar.MustParse(s) }
	notPolice := func(h search.Hit) bool { return h.Institution != "aba-police" }
	for i, q := range []search.Query{
		{Limit: 50}, {Institution: "aba-health", Limit: 9}, {Person: "p-9", Limit: 40, Visible: notPolice},
		{Resource: "r-3", From: d("2026-03-04"), Limit: 6}, {Type: "data.exported.v1", To: d("2026-03-10"), Limit: 11},
		{Stream: "resource/r-1", Person: "p-2", Limit: 3, Visible: notPolice}, {From: d("2026-03-07"), To: d("2026-03-07"), Limit: 5},
	} {
		for page := 0; ; page++ {
			a, errA := bolt.Search(context.Background(), q)
			b, errB := pg.Search(context.Background(), q)
			if errA != nil || errB != nil {
				t.Fatalf("query %d: %v, %v", i, errA, errB)
			}
			if !slices.EqualFunc(a.Hits, b.Hits, func(x, y search.Hit) bool { return fmt.Sprint(x) == fmt.Sprint(y) }) || a.Next != b.Next {
				t.Fatalf("query %d page %d: bbolt %d hits next %q, postgres %d hits next %q\n%v\n%v", i, page, len(a.Hits), a.Next, len(b.Hits), b.Next, a.Hits, b.Hits)
			}
			if a.Next == "" {
				break
			}
			q.Cursor = a.Next
		}
	}
	if p, _ := pg.Position(context.Background()); p != 900 {
		t.Fatalf("position %d", p)
	}
}
