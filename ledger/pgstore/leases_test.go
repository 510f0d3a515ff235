package pgstore_test

import (
	"context"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// TestLeaseFailover: of two stores competing for a named lease one holds it, never
// both; when the holder's session is ended by the server, or the holder gives the lease
// up, the other takes it within a few lease periods. Leases of other names are apart.
func TestLeaseFailover(t *testing.T) {
	const lease = 600 * time.Millisecond
	url := pgtest.NewDatabase(t)
	if strings.Contains(url, "?") {
		url += "&ledger_lease=600ms"
	} else {
		url += "?ledger_lease=600ms"
	}
	a, b := open(t, url), open(t, url)
	la, lb := a.Lease("compliance"), b.Lease("compliance")
	other := b.Lease("consumer/counts")
	defer other.Close()

	// holder waits until exactly one holds the lease and returns it and the other.
	holder := func() (ledger.Lease, ledger.Lease) {
		t.Helper()
		deadline := time.Now().Add(10 * lease)
		for time.Now().Before(deadline) {
			ha, hb := la.Held(), lb.Held()
			if ha && hb {
				t.Fatal("both stores hold the lease")
			}
			if ha {
				return la, lb
			}
			if hb {
				return lb, la
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("nobody took the lease")
		return nil, nil
	}
	h, w := holder()
	for range 100 { // steady: one holder
		if la.Held() && lb.Held() {
			t.Fatal("both stores hold the lease")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if h, _ := holder(); h == nil {
		t.Fatal("lost")
	}
	deadline := time.Now().Add(10 * lease)
	for !other.Held() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !other.Held() {
		t.Fatal("a lease of another name was not taken")
	}

	// The server ends the holder's session.
	key := fnv.New32a()
	key.Write([]byte("compliance"))
	var n int
	if err := a.Pool().QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted`,
		int64(0x646c6564), int64(key.Sum32())).Scan(&n); err != nil || n != 1 {
		t.Fatalf("ending the holder's session: %d sessions, %v", n, err)
	}
	start := time.Now()
	for !w.Held() && time.Since(start) < 10*lease {
		time.Sleep(10 * time.Millisecond)
	}
	if !w.Held() {
		t.Fatalf("after the holder's session ended (%d sessions), the other did not take the lease", n)
	}
	t.Logf("taken over %v after the holder's session ended", time.Since(start).Round(time.Millisecond))
	// The old holder learns it at its next renewal, at the latest a lease after the last
	// one the server answered.
	for h.Held() && time.Since(start) < 3*lease {
		time.Sleep(10 * time.Millisecond)
	}
	if h.Held() {
		t.Fatal("the old holder still believes it holds the lease")
	}
	if h2, _ := holder(); h2 != w {
		t.Fatal("the old holder took it back at once")
	}

	// The new holder gives it up.
	w.Close()
	start = time.Now()
	for !h.Held() && time.Since(start) < 10*lease {
		time.Sleep(10 * time.Millisecond)
	}
	if !h.Held() {
		t.Fatal("after the holder closed its lease, the other did not take it")
	}
	h.Close()
	if h.Held() {
		t.Fatal("a closed lease is still held")
	}
}
