package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
)

// TestForgeryThroughTheRelayIsFound: AppendVerified takes a peer front-end's word that a
// signature holds (the relay's server side). A submission whose signature does not hold,
// recorded that way — a stolen relay secret — is not silent: full verification reports it
// at its position, as it would an entry written straight into the database.
func TestForgeryThroughTheRelayIsFound(t *testing.T) {
	ctx := context.Background()
	f, st, l := setup(t, ledger.Options{})
	f.Register(t, l, "county-00")
	forged := f.Event(t, "county-00", "resource/r", 1)
	forged.Signature = f.Event(t, "county-00", "resource/r", 2).Signature // well formed, another message's
	if _, err := l.Append(ctx, forged); !errors.Is(err, ledger.ErrUnauthorized) {
		t.Fatalf("the forgery sent to the ledger itself: %v, want refused", err)
	}
	rcs, errs := l.AppendVerified(ctx, []*ledger.Signed{forged})
	if errs[0] != nil {
		t.Fatalf("AppendVerified: %v", errs[0])
	}
	_, err := ledger.Verify(ctx, st, ledger.VerifyOptions{})
	var ce *ledger.ChainError
	if !errors.As(err, &ce) || ce.Reason != "bad_signature" || ce.Seq != rcs[0].Seq {
		t.Fatalf("verify: %v; want bad_signature at seq %d", err, rcs[0].Seq)
	}
}
