package boltstore_test

import (
	"path/filepath"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "ledger.db")
		return func() (ledger.Store, error) { return boltstore.Open(path) }
	})
}
