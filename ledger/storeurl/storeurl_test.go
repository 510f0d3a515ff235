package storeurl_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
)

func TestKind(t *testing.T) {
	cases := map[string]string{
		"bolt:/var/lib/l.db":               storeurl.Bolt,
		"./ledger-data":                    storeurl.DataDir,
		"postgres://u@h/db":                storeurl.Postgres,
		"postgresql://u@h/db":              storeurl.Postgres,
		"esdb://h:2113?tls=false":          storeurl.ESDB,
		"esdb+discover://h:2113":           storeurl.ESDB,
		"kurrentdb://a:2113,b:2113,c:2113": storeurl.ESDB,
		"mysql://u@h/db":                   "",
		"":                                 "",
	}
	for spec, want := range cases {
		if got := storeurl.Kind(spec); got != want {
			t.Errorf("Kind(%q) = %q, want %q", spec, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"postgres://ledger:s3cret@db:5432/l?sslmode=require": "postgres://ledger:xxxxx@db:5432/l?sslmode=require",
		"esdb://admin:changeit@a:2111,b:2112?tls=true":       "esdb://admin:xxxxx@a:2111,b:2112?tls=true",
		"postgres://postgres@127.0.0.1/x":                    "postgres://postgres@127.0.0.1/x",
		"bolt:/tmp/p:w@x":                                    "bolt:/tmp/p:w@x",
	}
	for in, want := range cases {
		if got := storeurl.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bolt := filepath.Join(dir, "sub", "l.db")
	for _, c := range []struct {
		name, spec string
		ok         bool
	}{
		{"bolt file, created", "bolt:" + bolt, true},
		{"data dir holding it", filepath.Dir(bolt), false}, // holds l.db, not ledger.db
		{"empty data dir", dir, false},
		{"unknown scheme", "mysql://x", false},
		{"bolt without path", "bolt:", false},
		{"postgres", pgtest.NewDatabase(t), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := storeurl.Open(ctx, c.spec, storeurl.Options{})
			if c.ok != (err == nil) {
				t.Fatalf("Open(%q): %v", c.spec, err)
			}
			if err == nil {
				if h, err := st.Head(ctx); err != nil || h.Size != 0 {
					t.Fatalf("head %+v, %v", h, err)
				}
				st.Close()
			}
			if c.name == "unknown scheme" && !errors.Is(err, storeurl.ErrUnknown) {
				t.Fatalf("unknown scheme: %v", err)
			}
		})
	}
}
