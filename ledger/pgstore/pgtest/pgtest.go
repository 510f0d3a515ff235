package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server the machines of this project run.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns LEDGER_PG_URL or DefaultURL.
func ServerURL() string {
	if u := os.Getenv("LEDGER_PG_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Required reports whether tests must fail, not skip, when a service is missing.
func Required() bool { return os.Getenv("LEDGER_REQUIRE_SERVICES") == "1" }

// Unavailable skips the test, or fails it when services are required.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf(format+" (LEDGER_REQUIRE_SERVICES=1)", args...)
	}
	t.Skipf(format+" (skipped; set LEDGER_REQUIRE_SERVICES=1 to fail instead)", args...)
}

func admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		Unavailable(t, "PostgreSQL is not reachable at LEDGER_PG_URL=%s: %v", ServerURL(), err)
	}
	return c
}

// NewDatabase creates an empty database for this test and returns its URL; the
// database is dropped (connections and all) when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	c := admin(t)
	defer c.Close(context.Background())
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "ledgertest_" + hex.EncodeToString(rnd[:])
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		c := admin(t)
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	return WithDatabase(t, ServerURL(), name)
}

// WithDatabase returns u naming database name instead.
func WithDatabase(t testing.TB, u, name string) string {
	t.Helper()
	if !strings.Contains(u, "://") {
		return u + " dbname=" + name
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("parsing LEDGER_PG_URL: %v", err)
	}
	p.Path = "/" + name
	return p.String()
}
