package sm2p256

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"testing"
)

// edgeScalars lists values below 2²⁵⁶ where mod-n arithmetic turns: 0, 1, n − 1, n,
// n + 1, p, 2²⁵⁶ − 1 and limb boundaries.
func edgeScalars() []*big.Int {
	one := big.NewInt(1)
	pow := func(k uint) *big.Int { return new(big.Int).Lsh(one, k) }
	sub := func(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }
	return []*big.Int{
		big.NewInt(0), one, big.NewInt(2), sub(bigN, one), sub(bigN, big.NewInt(2)), bigN,
		new(big.Int).Add(bigN, one), sub(bigP, one), bigP, sub(bigR, one), sub(bigR, big.NewInt(2)),
		sub(pow(64), one), pow(64), pow(128), sub(pow(192), one), pow(255), new(big.Int).Rsh(bigN, 1),
	}
}

func randScalar(t *testing.T, below *big.Int) *big.Int {
	v, err := rand.Int(rand.Reader, below)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScalarAgainstBig(t *testing.T) {
	var below, all []*big.Int
	for _, v := range edgeScalars() {
		all = append(all, v)
		if v.Cmp(bigN) < 0 {
			below = append(below, v)
		}
	}
	for range 300 {
		below = append(below, randScalar(t, bigN))
		all = append(all, randScalar(t, bigR))
	}
	for _, a := range all {
		x := scalar(bigToLimbs(a))
		if got, want := limbsToBig(x.reduceOnce()), new(big.Int).Mod(a, bigN); got.Cmp(want) != 0 {
			t.Fatalf("reduceOnce(%x) = %x, want %x", a, got, want)
		}
		if x.isZero() != (a.Sign() == 0) {
			t.Fatalf("isZero(%x) wrong", a)
		}
		if x.less(orderN) != (a.Cmp(bigN) < 0) || x.less(fieldP) != (a.Cmp(bigP) < 0) {
			t.Fatalf("less(%x) wrong", a)
		}
		var buf [32]byte
		a.FillBytes(buf[:])
		for _, b := range [][]byte{buf[:], a.Bytes()} {
			if y, ok := scalarFromBytes(b); !ok || limbsToBig(y).Cmp(a) != 0 {
				t.Fatalf("scalarFromBytes(%x) = %x, %v", b, limbsToBig(y), ok)
			}
		}
	}
	if _, ok := scalarFromBytes(make([]byte, 33)); ok {
		t.Fatal("scalarFromBytes accepted 33 bytes")
	}
	for i, a := range below {
		for _, b := range []*big.Int{below[(i*13+5)%len(below)], below[len(below)-1-i], a} {
			x, y := scalar(bigToLimbs(a)), scalar(bigToLimbs(b))
			if got, want := limbsToBig(addModN(x, y)), new(big.Int).Mod(new(big.Int).Add(a, b), bigN); got.Cmp(want) != 0 {
				t.Fatalf("%x + %x mod n = %x, want %x", a, b, got, want)
			}
			if got, want := limbsToBig(subModN(x, y)), new(big.Int).Mod(new(big.Int).Sub(a, b), bigN); got.Cmp(want) != 0 {
				t.Fatalf("%x - %x mod n = %x, want %x", a, b, got, want)
			}
		}
	}
}

// parseSignature reads exactly what cryptobyte's INTEGER reader accepts and keeps r and
// s in [1, n−1].
func TestParseSignature(t *testing.T) {
	n := bigN
	nm1 := new(big.Int).Sub(n, big.NewInt(1))
	for _, c := range []struct {
		name string
		sig  []byte
		ok   bool
	}{
		{"1, 1", derSig(big.NewInt(1), big.NewInt(1)), true},
		{"n−1, n−1", derSig(nm1, nm1), true},
		{"0, 1", derSig(big.NewInt(0), big.NewInt(1)), false},
		{"n, 1", derSig(n, big.NewInt(1)), false},
		{"2²⁵⁶−1, 1", derSig(new(big.Int).Sub(bigR, big.NewInt(1)), big.NewInt(1)), false},
		{"2²⁵⁶, 1", derSig(bigR, big.NewInt(1)), false},
		{"−1, 1", derSig(big.NewInt(-1), big.NewInt(1)), false},
		{"empty INTEGER", derRaw([]byte{}, []byte{1}), false},
		{"leading zero", derRaw([]byte{0, 1}, []byte{1}), false},
		{"sign byte", derRaw([]byte{0, 0x80}, []byte{1}), true},
		{"no sign byte", derRaw([]byte{0x80}, []byte{1}), false},
		{"trailing", append(derSig(big.NewInt(1), big.NewInt(1)), 0), false},
		{"one INTEGER", []byte{0x30, 3, 2, 1, 1}, false},
		{"nil", nil, false},
	} {
		r, s, ok := parseSignature(c.sig)
		if ok != c.ok {
			t.Errorf("%s: ok = %v, want %v", c.name, ok, c.ok)
		}
		if ok && (r.isZero() || s.isZero() || !r.less(orderN) || !s.less(orderN)) {
			t.Errorf("%s: r or s out of range", c.name)
		}
	}
	// A 33-byte r with a sign byte and a value of 2²⁵⁶ − 1 is refused by range, not
	// parsing.
	big32 := append([]byte{0}, bytes.Repeat([]byte{0xff}, 32)...)
	if _, _, ok := parseSignature(derRaw(big32, []byte{1})); ok {
		t.Error("accepted r = 2²⁵⁶ − 1")
	}
}
