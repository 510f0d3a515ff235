package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
)

// An institution's system signs an act with its registered key, submits it, re-sends it
// after (say) a lost answer, and checks the entry's inclusion proof itself.
func ExampleClient_SignAndSubmit() {
	ctx := context.Background()
	srvURL, rootKey, ledgerKey, cleanup := exampleServer()
	defer cleanup()
	c := client.New(srvURL)
	info, _ := c.Ledger(ctx)

	// The authority registers the institution's key (signed by the root key).
	key, _ := crypto.GenerateKey()
	_, _, err := c.SignAndSubmit(ctx, rootKey, ledger.Submission{
		Stream: ledger.RegistryStream, Type: ledger.TypeKeyRegistered,
		Actor:   ledger.Actor{Institution: info.Authority, Person: "registrar"},
		Payload: []byte(fmt.Sprintf(`{"key_id":%q,"institution":"county-health","public_key":%q}`, key.Public().ID(), crypto.MarshalPublicKeyPEM(key.Public()))),
	})
	fmt.Println("key registered:", err == nil)

	// The institution records a collection.
	signed, r, err := c.SignAndSubmit(ctx, key, ledger.Submission{
		Stream: "data/county-health/res-0001", Type: "data.collected.v1",
		Actor:   ledger.Actor{Institution: "county-health", Person: "p-0007"},
		Payload: []byte(`{"resource":"res-0001","records":1200,"purpose":"疫苗接种统计","legal_basis":"疫苗管理法"}`),
	})
	fmt.Println("recorded:", err == nil, "duplicate:", r.Duplicate)

	again, _ := c.Submit(ctx, signed)
	fmt.Println("re-sent: duplicate:", again.Duplicate, "same seq:", again.Seq == r.Seq)

	ev, _ := c.Event(ctx, signed.Submission.ID)
	_, _, err = ev.Verify(info.Origin, ledgerKey)
	fmt.Println("inclusion proof verified:", err == nil)
	// Output:
	// key registered: true
	// recorded: true duplicate: false
	// re-sent: duplicate: true same seq: true
	// inclusion proof verified: true
}

// exampleServer runs a real ledger on a temporary bbolt file behind httptest.
func exampleServer() (string, *crypto.PrivateKey, *crypto.PublicKey, func()) {
	dir, _ := os.MkdirTemp("", "ledger-example")
	st, _ := boltstore.Open(filepath.Join(dir, "ledger.db"))
	lk, _ := crypto.GenerateKey()
	rk, _ := crypto.GenerateKey()
	_ = ledger.Initialize(context.Background(), st, lk, rk.Public(), "aba-data-bureau", "example.aba/ledger", time.Now())
	l, _ := ledger.Open(context.Background(), st, ledger.Options{Signer: lk, Logger: slog.New(slog.DiscardHandler)})
	a, _ := api.New(api.Config{Ledger: l, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(a)
	return srv.URL, rk, lk.Public(), func() { srv.Close(); l.Close(); st.Close(); os.RemoveAll(dir) }
}
