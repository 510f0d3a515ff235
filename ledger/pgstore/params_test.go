package pgstore

import (
	"testing"
	"time"
)

// TestTakeParams: the package's own parameters leave the connection string (URL or
// key=value form) and fill in what Options leaves zero; the rest is kept as it was.
func TestTakeParams(t *testing.T) {
	for _, c := range []struct {
		in, out     string
		lease, wait time.Duration
		preset      Options
	}{
		{in: "postgres://u@h/db?sslmode=disable", out: "postgres://u@h/db?sslmode=disable"},
		{in: "postgres://u@h/db?sslmode=disable&ledger_lease=5s", out: "postgres://u@h/db?sslmode=disable", lease: 5 * time.Second},
		{in: "postgres://u@h/db?ledger_lock_wait=700ms&ledger_lease=500ms", out: "postgres://u@h/db", lease: 500 * time.Millisecond, wait: 700 * time.Millisecond},
		{in: "host=h dbname=db ledger_lease=3s sslmode=disable", out: "host=h dbname=db sslmode=disable", lease: 3 * time.Second},
		{in: "postgres://u@h/db?ledger_lease=5s", out: "postgres://u@h/db", lease: time.Second, preset: Options{Lease: time.Second}},
	} {
		o := c.preset
		out, err := takeParams(c.in, &o)
		if err != nil || out != c.out || o.Lease != c.lease || o.LockWait != c.wait {
			t.Errorf("takeParams(%q) = %q, lease %v, wait %v, %v; want %q, %v, %v", c.in, out, o.Lease, o.LockWait, err, c.out, c.lease, c.wait)
		}
	}
	for _, bad := range []string{"postgres://h/db?ledger_lease=soon", "postgres://h/db?ledger_lock_wait=-1s", "host=h ledger_lease=0s"} {
		if _, err := takeParams(bad, &Options{}); err == nil {
			t.Errorf("takeParams(%q) accepted", bad)
		}
	}
}
