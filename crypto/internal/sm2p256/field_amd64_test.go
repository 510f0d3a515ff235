//go:build amd64 && !purego

package sm2p256

import (
	"crypto/rand"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// On a CPU without BMI2 or ADX, feMul and feSqr jump from the assembly to the portable
// Go; this runs that path here by clearing the flag.
func TestFieldFallbackWithoutADX(t *testing.T) {
	saved := useADX
	useADX = false
	defer func() { useADX = saved }()
	for _, pr := range rawPairs(t, 200) {
		a, b := pr[0], pr[1]
		x, y := fe(bigToLimbs(a)), fe(bigToLimbs(b))
		var z fe
		feMul(&z, &x, &y)
		if got, want := limbsToBig(z), montMulBig(a, b); got.Cmp(want) != 0 {
			t.Fatalf("fallback mont(%x, %x) = %x, want %x", a, b, got, want)
		}
		feSqr(&z, &x)
		if got, want := limbsToBig(z), montMulBig(a, a); got.Cmp(want) != 0 {
			t.Fatalf("fallback mont(%x)² = %x, want %x", a, got, want)
		}
	}
	// A whole verification on the fallback, with a table built on it.
	priv, _ := sm2.GenerateKey(rand.Reader)
	e := make([]byte, 32)
	rand.Read(e)
	sig, _ := sm2.SignASN1(rand.Reader, priv, e, nil)
	tab, err := NewTable(keyPoint(&priv.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(tab, (*[32]byte)(e), sig) {
		t.Fatal("fallback refused a good signature")
	}
	e[0] ^= 1
	if Verify(tab, (*[32]byte)(e), sig) {
		t.Fatal("fallback accepted a bad signature")
	}
}
