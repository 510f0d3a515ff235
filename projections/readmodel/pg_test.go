package readmodel_test

import (
	"context"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/projections/readmodel"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/jackc/pgx/v5/pgxpool"
)

func pgStore(t *testing.T) (*readmodel.PGStore, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st, err := readmodel.OpenPG(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return st, pool
}

// PostgreSQL keeps the furthest snapshot when several processes save one model, with
// the rows of that snapshot's view; a damaged state is refused.
func TestPGStore(t *testing.T) {
	ctx := context.Background()
	st, pool := pgStore(t)
	if s, err := st.Load(ctx, "findings"); s != nil || err != nil {
		t.Fatalf("empty: %v %v", s, err)
	}
	view := func(n int) *report.Report {
		s := report.Section{Key: "findings", Columns: []report.Column{{Key: "rule"}, {Key: "institution"}, {Key: "arose"}, {Key: "state"}}}
		for range n {
			s.Rows = append(s.Rows, []report.Cell{{Text: report.T("F3", "F3")}, {Text: report.T("aba-health", "aba-health")},
				{Text: report.T("2025-03-04", "2025-03-04")}, {Text: report.T("未整改", "open"), Code: "open"}})
		}
		return &report.Report{Kind: "findings", AsOf: calendar.MustParse("2025-03-10"), Sections: []report.Section{s}}
	}
	save := func(pos uint64, rows int) {
		t.Helper()
		s := &readmodel.Snapshot{Name: "findings", Fold: readmodel.FoldIdentity, Position: pos, SavedAt: time.Now(), State: []byte{byte(pos)}, View: view(rows)}
		s.LastHash[0] = byte(pos)
		if err := st.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	save(10, 2)
	save(30, 3)
	save(20, 5) // behind: not written, nor its rows
	s, err := st.Load(ctx, "findings")
	if err != nil || s.Position != 30 || s.State[0] != 30 || s.LastHash[0] != 30 {
		t.Fatalf("loaded %+v %v", s, err)
	}
	var n int
	var state, zh string
	var arose time.Time
	if err := pool.QueryRow(ctx, `SELECT count(*), min(state), min(state_zh), min(arose) FROM readmodel_findings`).Scan(&n, &state, &zh, &arose); err != nil {
		t.Fatal(err)
	}
	if n != 3 || state != "open" || zh != "未整改" || arose.Format(time.DateOnly) != "2025-03-04" {
		t.Fatalf("view: %d rows, state %q/%q, arose %v", n, state, zh, arose)
	}
	if _, err := pool.Exec(ctx, `UPDATE readmodel_snapshots SET state = '\x00'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, "findings"); err == nil {
		t.Fatal("a changed state was read back")
	}
	if err := st.Drop(ctx, "findings"); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM readmodel_rows`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after drop: %d %v", n, err)
	}
	for _, v := range []string{"readmodel_obligations", "readmodel_assessment", "readmodel_institutions"} {
		if _, err := pool.Exec(ctx, "SELECT * FROM "+v+" LIMIT 1"); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}
