package storeurl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/esdbstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
)

// Kinds of store.
const (
	Bolt     = "bolt"
	DataDir  = "datadir"
	Postgres = "postgres"
	ESDB     = "esdb"
)

// Kind says which backend spec names, or "" if it names none.
func Kind(spec string) string {
	switch {
	case spec == "":
		return ""
	case strings.HasPrefix(spec, "bolt:"):
		return Bolt
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return Postgres
	case strings.HasPrefix(spec, "esdb://"), strings.HasPrefix(spec, "esdb+discover://"),
		strings.HasPrefix(spec, "kurrentdb://"), strings.HasPrefix(spec, "kurrentdb+discover://"):
		return ESDB
	case strings.Contains(spec, "://"):
		return ""
	}
	return DataDir
}

// Options tune Open.
type Options struct {
	Logger *slog.Logger
	// PGMaxConns caps a PostgreSQL pool (default pgstore's).
	PGMaxConns int32
}

// ErrUnknown: spec names no store this program knows.
var ErrUnknown = errors.New("unknown store")

// Open opens the store spec names. A bolt: file is created if missing; a data
// directory must already hold its store.
func Open(ctx context.Context, spec string, o Options) (ledger.Store, error) {
	switch Kind(spec) {
	case Bolt:
		path := strings.TrimPrefix(spec, "bolt:")
		if path == "" {
			return nil, fmt.Errorf("%w: bolt: needs a file path (bolt:/var/lib/ledger/ledger.db)", ErrUnknown)
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("creating %s: %w", dir, err)
			}
		}
		return boltstore.Open(path)
	case DataDir:
		p := filepath.Join(spec, "ledger.db")
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s holds no ledger (no ledger.db)", spec)
		}
		return boltstore.Open(p)
	case Postgres:
		st, err := pgstore.Open(ctx, spec, pgstore.Options{MaxConns: o.PGMaxConns, Logger: o.Logger})
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", Redact(spec), err)
		}
		return st, nil
	case ESDB:
		conn := spec
		if rest, ok := strings.CutPrefix(conn, "kurrentdb"); ok {
			conn = "esdb" + rest
		}
		st, err := esdbstore.Open(ctx, conn, esdbstore.Options{Logger: o.Logger})
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", Redact(spec), err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("%w %q: want bolt:PATH, a data directory, postgres://… or esdb://…", ErrUnknown, Redact(spec))
}

// Redact hides the password in a URL-shaped spec (user:password@host).
func Redact(spec string) string {
	if !strings.Contains(spec, "://") {
		return spec
	}
	scheme, rest, _ := strings.Cut(spec, "://")
	at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@")
	if at < 0 {
		return spec
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return spec
	}
	return scheme + "://" + url.PathEscape(user) + ":xxxxx" + rest[at:]
}

// RecommendedMaxBatch is the group-commit cap that suits the backend spec names, or 0
// when the ledger's default is right.
func RecommendedMaxBatch(spec string) int {
	if Kind(spec) == ESDB {
		return esdbstore.RecommendedMaxBatch
	}
	return 0
}
