package pgstore_test

import (
	"context"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/ledger/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		url := pgtest.NewDatabase(t)
		return func() (ledger.Store, error) {
			return pgstore.Open(context.Background(), url, pgstore.Options{MaxConns: 4})
		}
	})
}
