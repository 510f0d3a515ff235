package datadir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
)

// Default names used when a flag leaves them unset.
const (
	DefaultAuthority = "aba-data-bureau"
)

// Paths of one data directory.
type Paths struct{ Dir string }

func (p Paths) Store() string       { return filepath.Join(p.Dir, "ledger.db") }
func (p Paths) Keys() string        { return filepath.Join(p.Dir, "keys") }
func (p Paths) LedgerKey() string   { return filepath.Join(p.Dir, "keys", "ledger.key") }
func (p Paths) RootKey() string     { return filepath.Join(p.Dir, "keys", "root.key") }
func (p Paths) RootPub() string     { return filepath.Join(p.Dir, "keys", "root.pub") }
func (p Paths) Checkpoints() string { return filepath.Join(p.Dir, "checkpoints") }

// InitOptions say how to found a new ledger.
type InitOptions struct {
	Authority string            // data authority's institution id (default DefaultAuthority)
	Origin    string            // log name; default derived from the ledger key
	RootPub   *crypto.PublicKey // the authority's root key; nil: generate one in keys/
	Now       time.Time
	// Store, if set, receives the genesis entry instead of DIR/ledger.db: an empty
	// external store named by --store (PostgreSQL, EventStoreDB). DIR then holds the
	// keys and published checkpoints only.
	Store ledger.Store
}

// HasKeys reports whether dir holds a ledger key (the ledger was created there).
func HasKeys(dir string) bool {
	_, err := os.Stat(Paths{dir}.LedgerKey())
	return err == nil
}

// Exists reports whether dir holds an initialised ledger store.
func Exists(dir string) bool {
	_, err := os.Stat(Paths{dir}.Store())
	return err == nil
}

// Create makes dir, its keys and the genesis entry. It refuses a directory that already
// holds a store.
func Create(ctx context.Context, dir string, o InitOptions) error {
	p := Paths{dir}
	if Exists(dir) || (o.Store != nil && HasKeys(dir)) {
		return fmt.Errorf("%s already holds a ledger", dir)
	}
	if err := os.MkdirAll(p.Keys(), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", p.Keys(), err)
	}
	lk, err := crypto.GenerateKey()
	if err != nil {
		return err
	}
	if err := crypto.WriteKeyPair(filepath.Join(p.Keys(), "ledger"), lk); err != nil {
		return err
	}
	root := o.RootPub
	if root == nil {
		rk, err := crypto.GenerateKey()
		if err != nil {
			return err
		}
		if err := crypto.WriteKeyPair(filepath.Join(p.Keys(), "root"), rk); err != nil {
			return err
		}
		root = rk.Public()
	}
	if o.Authority == "" {
		o.Authority = DefaultAuthority
	}
	if o.Origin == "" {
		o.Origin = "aba-public-data-ledger/" + lk.Public().ID()[:8]
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Store != nil {
		return ledger.Initialize(ctx, o.Store, lk, root, o.Authority, o.Origin, o.Now)
	}
	st, err := boltstore.Open(p.Store())
	if err != nil {
		return err
	}
	defer st.Close()
	return ledger.Initialize(ctx, st, lk, root, o.Authority, o.Origin, o.Now)
}

// OpenStore opens the store of an existing data directory. A damaged store file is a
// *boltstore.DamagedError; so is an empty one, which bbolt would take for a new store:
// Create writes the genesis entry before anything else opens the file, so a data
// directory's store is never empty unless it lost its contents.
func OpenStore(dir string) (*boltstore.Store, error) {
	p := Paths{dir}.Store()
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no ledger (no %s)", dir, filepath.Base(p))
	}
	if err != nil {
		return nil, fmt.Errorf("opening the store of %s: %w", dir, err)
	}
	if fi.Mode().IsRegular() && fi.Size() == 0 {
		return nil, &boltstore.DamagedError{Path: p, Detail: "empty: 0 bytes, no meta pages"}
	}
	return boltstore.Open(p)
}

// LedgerKey loads the ledger's signing key.
func LedgerKey(dir string) (*crypto.PrivateKey, error) {
	return crypto.ReadPrivateKeyFile(Paths{dir}.LedgerKey())
}

// RootKey loads the root key in single-operator mode; ErrNoRootKey if it is held offline.
func RootKey(dir string) (*crypto.PrivateKey, error) {
	k, err := crypto.ReadPrivateKeyFile(Paths{dir}.RootKey())
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoRootKey
	}
	return k, err
}

// ErrNoRootKey: the root key is not in the data directory (production mode).
var ErrNoRootKey = errors.New("the root key is not held in this data directory")
