package sm2p256

import (
	"crypto/rand"
	"math/big"
	"testing"
)

// The field arithmetic is checked against math/big on raw limbs: an fe's limbs are
// x·2²⁵⁶ mod p, so every operation has a big.Int formula that does not go through this
// package's own code.

var (
	bigP    = mustBig("fffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff")
	bigN    = mustBig("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123")
	bigR    = new(big.Int).Lsh(big.NewInt(1), 256)
	bigRInv = new(big.Int).ModInverse(bigR, bigP)
)

func mustBig(h string) *big.Int {
	v, ok := new(big.Int).SetString(h, 16)
	if !ok {
		panic(h)
	}
	return v
}

func limbsToBig(x [4]uint64) *big.Int {
	v := new(big.Int)
	for i := 3; i >= 0; i-- {
		v.Lsh(v, 64)
		v.Or(v, new(big.Int).SetUint64(x[i]))
	}
	return v
}

func bigToLimbs(v *big.Int) (x [4]uint64) {
	if v.Sign() < 0 || v.BitLen() > 256 {
		panic("out of range")
	}
	w := new(big.Int).Set(v)
	mask := new(big.Int).SetUint64(^uint64(0))
	for i := range x {
		x[i] = new(big.Int).And(w, mask).Uint64()
		w.Rsh(w, 64)
	}
	return x
}

// edgeRaw lists raw limb values (all below p) where carries and reductions are most
// likely to go wrong.
func edgeRaw() []*big.Int {
	one := big.NewInt(1)
	pow := func(k uint) *big.Int { return new(big.Int).Lsh(one, k) }
	sub := func(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }
	vals := []*big.Int{
		big.NewInt(0), one, big.NewInt(2), big.NewInt(3),
		sub(bigP, one), sub(bigP, big.NewInt(2)), sub(bigP, big.NewInt(3)),
		new(big.Int).Rsh(bigP, 1), new(big.Int).Add(new(big.Int).Rsh(bigP, 1), one),
		new(big.Int).Mod(bigR, bigP), // 1 in Montgomery form
		sub(pow(64), one), pow(64), sub(pow(128), one), pow(128), sub(pow(192), one), pow(192),
		pow(224), sub(pow(224), one), pow(255), sub(pow(255), one),
		sub(pow(256), pow(224)),               // just above p
		sub(sub(pow(256), pow(224)), pow(96)), // below p
		sub(bigN, one), bigN, new(big.Int).Add(bigN, one),
		mustBig("ffffffff00000000ffffffff00000000ffffffff00000000ffffffff"),
		mustBig("fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffe"),
		mustBig("fffffffefffffffffffffffffffffffffffffffeffffffffffffffffffffffff"),
	}
	var out []*big.Int
	for _, v := range vals {
		if v.Cmp(bigP) < 0 {
			out = append(out, v)
		}
	}
	return out
}

func randRaw(t testing.TB) *big.Int {
	v, err := rand.Int(rand.Reader, bigP)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// randSparse is a random value below p made of all-zero and all-one 32-bit words, the
// patterns where p's shape makes the reduction's borrows and carries travel furthest.
func randSparse(t testing.TB) *big.Int {
	var b [33]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	v := new(big.Int)
	for i := range 8 {
		v.Lsh(v, 32)
		switch b[i] % 4 {
		case 0:
		case 1:
			v.Or(v, big.NewInt(0xffffffff))
		case 2:
			v.Or(v, big.NewInt(1))
		default:
			v.Or(v, big.NewInt(0xfffffffe))
		}
	}
	return v.Mod(v, bigP)
}

func rawPairs(t testing.TB, random int) [][2]*big.Int {
	edges := edgeRaw()
	var pairs [][2]*big.Int
	for _, a := range edges {
		for _, b := range edges {
			pairs = append(pairs, [2]*big.Int{a, b})
		}
	}
	for range random {
		pairs = append(pairs, [2]*big.Int{randRaw(t), randRaw(t)})
		pairs = append(pairs, [2]*big.Int{randSparse(t), randSparse(t)})
		pairs = append(pairs, [2]*big.Int{randSparse(t), randRaw(t)})
	}
	return pairs
}

// montMulBig is the Montgomery product a·b·2⁻²⁵⁶ mod p of raw limb values.
func montMulBig(a, b *big.Int) *big.Int {
	v := new(big.Int).Mul(a, b)
	v.Mul(v, bigRInv)
	return v.Mod(v, bigP)
}

var mulImpls = []struct {
	name string
	mul  func(z, x, y *fe)
	sqr  func(z, x *fe)
}{
	{"dispatched", feMul, feSqr},
	{"generic", feMulGeneric, feSqrGeneric},
}

func TestFieldMulSqrAgainstBig(t *testing.T) {
	for _, impl := range mulImpls {
		for _, pr := range rawPairs(t, 3000) {
			a, b := pr[0], pr[1]
			x, y := fe(bigToLimbs(a)), fe(bigToLimbs(b))
			want := montMulBig(a, b)
			var z fe
			impl.mul(&z, &x, &y)
			if got := limbsToBig(z); got.Cmp(want) != 0 {
				t.Fatalf("%s: mont(%x, %x) = %x, want %x", impl.name, a, b, got, want)
			}
			// Aliasing: z = x.
			z = x
			impl.mul(&z, &z, &y)
			if got := limbsToBig(z); got.Cmp(want) != 0 {
				t.Fatalf("%s: aliased mont(%x, %x) = %x, want %x", impl.name, a, b, got, want)
			}
			wantSq := montMulBig(a, a)
			impl.sqr(&z, &x)
			if got := limbsToBig(z); got.Cmp(wantSq) != 0 {
				t.Fatalf("%s: mont(%x)² = %x, want %x", impl.name, a, got, wantSq)
			}
			z = x
			impl.sqr(&z, &z)
			if got := limbsToBig(z); got.Cmp(wantSq) != 0 {
				t.Fatalf("%s: aliased mont(%x)² = %x, want %x", impl.name, a, got, wantSq)
			}
		}
	}
}

func TestFieldAddSubNegAgainstBig(t *testing.T) {
	for _, pr := range rawPairs(t, 1000) {
		a, b := pr[0], pr[1]
		x, y := fe(bigToLimbs(a)), fe(bigToLimbs(b))
		var z fe
		feAdd(&z, &x, &y)
		if want := new(big.Int).Mod(new(big.Int).Add(a, b), bigP); limbsToBig(z).Cmp(want) != 0 {
			t.Fatalf("%x + %x = %x, want %x", a, b, limbsToBig(z), want)
		}
		feSub(&z, &x, &y)
		if want := new(big.Int).Mod(new(big.Int).Sub(a, b), bigP); limbsToBig(z).Cmp(want) != 0 {
			t.Fatalf("%x - %x = %x, want %x", a, b, limbsToBig(z), want)
		}
		feNeg(&z, &x)
		if want := new(big.Int).Mod(new(big.Int).Neg(a), bigP); limbsToBig(z).Cmp(want) != 0 {
			t.Fatalf("-%x = %x, want %x", a, limbsToBig(z), want)
		}
		feDouble(&z, &x)
		if want := new(big.Int).Mod(new(big.Int).Lsh(a, 1), bigP); limbsToBig(z).Cmp(want) != 0 {
			t.Fatalf("2·%x = %x, want %x", a, limbsToBig(z), want)
		}
	}
}

func TestFieldInvAgainstBig(t *testing.T) {
	vals := edgeRaw()
	for range 200 {
		vals = append(vals, randRaw(t))
	}
	for _, a := range vals {
		x := fe(bigToLimbs(a))
		var z fe
		feInv(&z, &x)
		// x holds a = v·R; its inverse in Montgomery form is v⁻¹·R = R²/a.
		want := new(big.Int)
		if a.Sign() != 0 {
			want.ModInverse(a, bigP)
			want.Mul(want, bigR)
			want.Mul(want, bigR)
			want.Mod(want, bigP)
		}
		if got := limbsToBig(z); got.Cmp(want) != 0 {
			t.Fatalf("inv(%x) = %x, want %x", a, got, want)
		}
	}
}

func TestFieldConversions(t *testing.T) {
	if got, want := limbsToBig(feOne), new(big.Int).Mod(bigR, bigP); got.Cmp(want) != 0 {
		t.Errorf("feOne = %x, want %x", got, want)
	}
	if got, want := limbsToBig(feRR), new(big.Int).Exp(bigR, big.NewInt(2), bigP); got.Cmp(want) != 0 {
		t.Errorf("feRR = %x, want %x", got, want)
	}
	b := mustBig("28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93")
	if got, want := limbsToBig(feB), new(big.Int).Mod(new(big.Int).Mul(b, bigR), bigP); got.Cmp(want) != 0 {
		t.Errorf("feB = %x, want %x", got, want)
	}
	vals := edgeRaw()
	for range 100 {
		vals = append(vals, randRaw(t))
	}
	for _, v := range vals {
		var buf [32]byte
		v.FillBytes(buf[:])
		x, ok := feFromBytes(&buf)
		if !ok {
			t.Fatalf("feFromBytes refused %x < p", v)
		}
		if want := new(big.Int).Mod(new(big.Int).Mul(v, bigR), bigP); limbsToBig(x).Cmp(want) != 0 {
			t.Fatalf("feFromBytes(%x) = %x, want %x", v, limbsToBig(x), want)
		}
		if back := limbsToBig(feToInt(&x)); back.Cmp(v) != 0 {
			t.Fatalf("feToInt(feFromBytes(%x)) = %x", v, back)
		}
	}
	for _, v := range []*big.Int{bigP, new(big.Int).Add(bigP, big.NewInt(1)), new(big.Int).Sub(bigR, big.NewInt(1))} {
		var buf [32]byte
		v.FillBytes(buf[:])
		if _, ok := feFromBytes(&buf); ok {
			t.Errorf("feFromBytes accepted %x ≥ p", v)
		}
	}
}

// FuzzFieldMul compares the Montgomery product and square, dispatched and portable,
// with math/big on any two 32-byte inputs (reduced mod p first).
func FuzzFieldMul(f *testing.F) {
	edges := edgeRaw()
	for i := range edges {
		var a, b [32]byte
		edges[i].FillBytes(a[:])
		edges[len(edges)-1-i].FillBytes(b[:])
		f.Add(a[:], b[:])
	}
	f.Fuzz(func(t *testing.T, ab, bb []byte) {
		if len(ab) > 32 || len(bb) > 32 {
			return
		}
		a := new(big.Int).Mod(new(big.Int).SetBytes(ab), bigP)
		b := new(big.Int).Mod(new(big.Int).SetBytes(bb), bigP)
		x, y := fe(bigToLimbs(a)), fe(bigToLimbs(b))
		want, wantSq := montMulBig(a, b), montMulBig(a, a)
		for _, impl := range mulImpls {
			var z fe
			impl.mul(&z, &x, &y)
			if got := limbsToBig(z); got.Cmp(want) != 0 {
				t.Fatalf("%s: mont(%x, %x) = %x, want %x", impl.name, a, b, got, want)
			}
			impl.sqr(&z, &x)
			if got := limbsToBig(z); got.Cmp(wantSq) != 0 {
				t.Fatalf("%s: mont(%x)² = %x, want %x", impl.name, a, got, wantSq)
			}
		}
	})
}

func BenchmarkField(b *testing.B) {
	x, y := fe(bigToLimbs(randRaw(b))), fe(bigToLimbs(randRaw(b)))
	for _, impl := range mulImpls {
		b.Run("mul/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.mul(&x, &x, &y)
			}
		})
		b.Run("sqr/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.sqr(&x, &x)
			}
		})
	}
	b.Run("inv", func(b *testing.B) {
		for b.Loop() {
			feInv(&x, &x)
		}
	})
}
