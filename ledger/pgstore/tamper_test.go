package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// filled returns a database holding a verified ledger of 40 entries.
func filled(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	st := open(t, url)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	f.Register(t, l, "county-00")
	for i := range 38 {
		if _, err := l.Append(context.Background(), f.Event(t, "county-00", fmt.Sprintf("resource/r%d", i%3), i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ledgertest.MustVerify(t, st)
	return url, st.Pool()
}

// TestTamper changes rows behind the ledger's back, as a database owner could, and
// checks that verification names the first bad position and why.
func TestTamper(t *testing.T) {
	const (
		body  = "convert_to(replace(convert_from(body, 'UTF8'), '\"records\":', '\"records\":1'), 'UTF8')"
		unarm = "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only; "
	)
	sql := func(q string) func(*testing.T, *pgxpool.Pool) {
		return func(t *testing.T, pool *pgxpool.Pool) {
			if _, err := pool.Exec(context.Background(), unarm+q); err != nil {
				t.Fatalf("tampering: %v", err)
			}
		}
	}
	cases := []struct {
		name   string
		tamper func(*testing.T, *pgxpool.Pool)
		seq    uint64
		reason string
	}{
		{"update_payload", sql("UPDATE ledger_entries SET body = " + body + " WHERE seq = 17"), 17, "bad_entry_hash"},
		// Recomputing the stored hash and leaf does not help: the actor's signature no
		// longer covers the payload (and the next entry names the old hash).
		{"update_payload_and_hashes", func(t *testing.T, pool *pgxpool.Pool) {
			sql("UPDATE ledger_entries SET body = "+body+" WHERE seq = 17")(t, pool)
			var b []byte
			ctx := context.Background()
			if err := pool.QueryRow(ctx, "SELECT body FROM ledger_entries WHERE seq = 17").Scan(&b); err != nil {
				t.Fatal(err)
			}
			h, leaf := ledger.SumEntry(b), ledger.LeafHash(b)
			if _, err := pool.Exec(ctx, "UPDATE ledger_entries SET hash = $1, leaf = $2 WHERE seq = 17", h[:], leaf[:]); err != nil {
				t.Fatal(err)
			}
		}, 17, "bad_signature"},
		{"delete_row", sql("DELETE FROM ledger_entries WHERE seq = 23"), 23, "missing_entry"},
		{"delete_last_row", sql("DELETE FROM ledger_entries WHERE seq = 39"), 39, "missing_entry"},
		{"swap_two_rows", sql("UPDATE ledger_entries e SET body = o.body, hash = o.hash, leaf = o.leaf " +
			"FROM ledger_entries o WHERE (e.seq, o.seq) IN ((30, 31), (31, 30))"), 30, "bad_seq"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, pool := filled(t)
			c.tamper(t, pool)
			_, err := ledger.Verify(context.Background(), open(t, url), ledger.VerifyOptions{})
			var ce *ledger.ChainError
			if !errors.As(err, &ce) || ce.Seq != c.seq || ce.Reason != c.reason {
				t.Fatalf("verify = %v; want seq %d %s", err, c.seq, c.reason)
			}
		})
	}
}

// TestAppendOnly: without disabling the triggers, rows cannot be changed or removed.
func TestAppendOnly(t *testing.T) {
	_, pool := filled(t)
	for _, sql := range []string{
		"UPDATE ledger_entries SET body = body WHERE seq = 3",
		"DELETE FROM ledger_entries WHERE seq = 39",
		"TRUNCATE ledger_entries CASCADE",
		"DELETE FROM ledger_nodes",
		"UPDATE ledger_checkpoints SET note = note",
	} {
		if _, err := pool.Exec(context.Background(), sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want an append-only refusal", sql, err)
		}
	}
}
