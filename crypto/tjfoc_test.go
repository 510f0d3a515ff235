package crypto_test

import (
	"crypto/rand"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// TestTjfocInterop checks signatures and public keys interoperate with
// github.com/tjfoc/gmsm, the library first named for this project (test-only dependency;
// see LIBRARIES.md for why it is not used in production).
func TestTjfocInterop(t *testing.T) {
	uid := []byte(crypto.DefaultUserID)
	msg := []byte(`{"type":"data.exported.v1"}`)
	for i := range 20 {
		// Ours signs, tjfoc verifies.
		k, _ := crypto.GenerateKey()
		tjPub, err := tjx509.ParseSm2PublicKey(k.Public().PKIX())
		if err != nil {
			t.Fatalf("tjfoc cannot read our PKIX key: %v", err)
		}
		sig, _ := k.SignMessage(msg)
		r, s, err := tjsm2.SignDataToSignDigit(sig)
		if err != nil || !tjsm2.Sm2Verify(tjPub, msg, uid, r, s) {
			t.Fatalf("round %d: tjfoc did not verify our signature (%v)", i, err)
		}
		// tjfoc signs, ours verifies.
		tk, _ := tjsm2.GenerateKey(rand.Reader)
		der, err := tjx509.MarshalSm2PublicKey(&tk.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := crypto.ParsePublicKeyDER(der)
		if err != nil {
			t.Fatalf("we cannot read tjfoc's PKIX key: %v", err)
		}
		r, s, err = tjsm2.Sm2Sign(tk, msg, uid, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tsig, _ := tjsm2.SignDigitToSignData(r, s)
		if !verifyEveryWay(t, pub, msg, tsig) {
			t.Fatalf("round %d: we did not verify tjfoc's signature", i)
		}
		if verifyEveryWay(t, pub, []byte("other"), tsig) {
			t.Fatal("a tjfoc signature verified over another message")
		}
	}
}
