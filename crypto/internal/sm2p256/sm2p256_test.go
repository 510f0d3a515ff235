package sm2p256

//lint:file-ignore SA1019 the elliptic.Curve point arithmetic and big.Int coordinates are deprecated for applications; here they are the independent oracle the tables are checked against, and the way to craft edge-case keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm2/sm2ec"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

var curve = sm2ec.P256()

var _ elliptic.Curve = curve

func uncompressed(x, y *big.Int) []byte {
	b := make([]byte, 65)
	b[0] = 4
	x.FillBytes(b[1:33])
	y.FillBytes(b[33:65])
	return b
}

// keyPoint is the key's uncompressed point, the tail of its PKIX encoding.
func keyPoint(pub *ecdsa.PublicKey) []byte {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return der[len(der)-65:]
}

// affineBig returns p's affine coordinates as plain integers.
func (p *jacobian) affineBig() (x, y *big.Int) {
	var zinv, zinv2, ax, ay fe
	feInv(&zinv, &p.z)
	feSqr(&zinv2, &zinv)
	feMul(&ax, &p.x, &zinv2)
	feMul(&zinv2, &zinv2, &zinv)
	feMul(&ay, &p.y, &zinv2)
	return limbsToBig(feToInt(&ax)), limbsToBig(feToInt(&ay))
}

func scalarOf(k *big.Int) scalar {
	s, ok := scalarFromBytes(k.Bytes())
	if !ok {
		panic("scalar too long")
	}
	return s
}

func TestCurveConstants(t *testing.T) {
	params := curve.Params()
	if params.P.Cmp(bigP) != 0 || params.N.Cmp(bigN) != 0 {
		t.Fatal("p or n differ from the library's")
	}
	if limbsToBig(fieldP).Cmp(bigP) != 0 || limbsToBig(orderN).Cmp(bigN) != 0 {
		t.Fatal("fieldP or orderN are wrong")
	}
	if !bytes.Equal(genPoint[:], uncompressed(params.Gx, params.Gy)) {
		t.Fatal("genPoint is not the library's G")
	}
	b := mustBig("28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93")
	if params.B.Cmp(b) != 0 {
		t.Fatal("b differs from the library's")
	}
}

// Signed recoding must give back the scalar, with digits in range, for both widths.
func TestRecode(t *testing.T) {
	vals := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(31), big.NewInt(32), big.NewInt(33), big.NewInt(63),
		big.NewInt(64), big.NewInt(127), big.NewInt(128), big.NewInt(129), big.NewInt(255),
		new(big.Int).Sub(bigN, big.NewInt(1)), new(big.Int).Sub(bigR, big.NewInt(1)),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 252), big.NewInt(1)), new(big.Int).Lsh(big.NewInt(1), 255)}
	for range 1000 {
		v, _ := rand.Int(rand.Reader, bigR)
		vals = append(vals, v)
	}
	for _, w := range []uint{windowBits, baseBits} {
		count := (256 + int(w)) / int(w)
		half := int64(1) << (w - 1)
		for _, v := range vals {
			k := scalar(bigToLimbs(v))
			d := make([]int16, count)
			recode(d, &k, w)
			sum := new(big.Int)
			for i := count - 1; i >= 0; i-- {
				if int64(d[i]) <= -half || int64(d[i]) > half {
					t.Fatalf("w=%d: digit %d of %x is %d", w, i, v, d[i])
				}
				sum.Lsh(sum, w)
				sum.Add(sum, big.NewInt(int64(d[i])))
			}
			if sum.Cmp(v) != 0 {
				t.Fatalf("w=%d: recode(%x) sums to %x", w, v, sum)
			}
		}
	}
}

// Every table entry is j·2^(w·i)·P, checked against the library for G and for a random
// key at a sample of windows (all of the first two and the last two, some in between).
func TestTableEntries(t *testing.T) {
	d, _ := rand.Int(rand.Reader, bigN)
	qx, qy := curve.ScalarBaseMult(d.Bytes())
	tab, err := NewTable(uncompressed(qx, qy))
	if err != nil {
		t.Fatal(err)
	}
	params := curve.Params()
	g := generator()
	gRows, qRows := make([][]affinePoint, baseCount), make([][]affinePoint, windowCount)
	for i := range gRows {
		gRows[i] = g.t[i][:]
	}
	for i := range qRows {
		qRows[i] = tab.t[i][:]
	}
	for _, c := range []struct {
		name   string
		rows   [][]affinePoint
		w      int
		px, py *big.Int
	}{{"G", gRows, baseBits, params.Gx, params.Gy}, {"Q", qRows, windowBits, qx, qy}} {
		count := len(c.rows)
		for _, i := range []int{0, 1, 7, 21, count - 2, count - 1} {
			for j := 1; j <= len(c.rows[i]); j++ {
				if i > 1 && i < count-2 && j%5 != 1 {
					continue
				}
				k := new(big.Int).Lsh(big.NewInt(int64(j)), uint(c.w*i))
				k.Mod(k, bigN)
				wx, wy := curve.ScalarMult(c.px, c.py, k.Bytes())
				e := &c.rows[i][j-1]
				gx, gy := limbsToBig(feToInt(&e.x)), limbsToBig(feToInt(&e.y))
				if gx.Cmp(wx) != 0 || gy.Cmp(wy) != 0 {
					t.Fatalf("%s table [%d][%d] is not %d·2^%d·P", c.name, i, j-1, j, c.w*i)
				}
			}
		}
	}
}

// sumMult must give the library's [a]G + [b]Q, over random scalars and the edges
// (0, 1, n−1, powers of two, all-ones windows).
func TestSumMultMatchesLibrary(t *testing.T) {
	n := bigN
	scalars := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(31), big.NewInt(32), big.NewInt(33),
		big.NewInt(64), new(big.Int).Sub(n, big.NewInt(1)), new(big.Int).Sub(n, big.NewInt(2)),
		new(big.Int).Lsh(big.NewInt(1), 252), new(big.Int).Lsh(big.NewInt(1), 255),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 252), big.NewInt(1)),
		mustBig("7bdef7bdef7bdef7bdef7bdef7bdef7bdef7bdef7bdef7bdef7bdef7bdef7bd")}
	for range 60 {
		k, _ := rand.Int(rand.Reader, n)
		scalars = append(scalars, k)
	}
	d, _ := rand.Int(rand.Reader, n)
	qx, qy := curve.ScalarBaseMult(d.Bytes())
	tab, err := NewTable(uncompressed(qx, qy))
	if err != nil {
		t.Fatal(err)
	}
	zero := scalar{}
	for i, a := range scalars {
		b := scalars[(i*7+3)%len(scalars)]
		sa, sb := scalarOf(a), scalarOf(b)
		// [a]G alone, [b]Q alone, then both.
		for _, c := range []struct {
			name   string
			sa, sb *scalar
		}{{"[a]G", &sa, &zero}, {"[b]Q", &zero, &sb}, {"[a]G+[b]Q", &sa, &sb}} {
			p := sumMult(generator(), c.sa, tab, c.sb)
			ax, ay := curve.ScalarBaseMult(limbsToBig(*c.sa).Bytes())
			bx, by := curve.ScalarMult(qx, qy, limbsToBig(*c.sb).Bytes())
			wx, wy := curve.Add(ax, ay, bx, by)
			if wx.Sign() == 0 && wy.Sign() == 0 {
				if !p.isInfinity() {
					t.Fatalf("%s with a=%x b=%x: want infinity", c.name, a, b)
				}
				continue
			}
			if p.isInfinity() {
				t.Fatalf("%s with a=%x b=%x: got infinity", c.name, a, b)
			}
			if x, y := p.affineBig(); x.Cmp(wx) != 0 || y.Cmp(wy) != 0 {
				t.Fatalf("%s with a=%x b=%x differs from the library's", c.name, a, b)
			}
		}
	}
}

// The point formulas against the library, including the special cases.
func TestPointFormulas(t *testing.T) {
	fromBig := func(x, y *big.Int) affinePoint {
		var bx, by [32]byte
		x.FillBytes(bx[:])
		y.FillBytes(by[:])
		fx, _ := feFromBytes(&bx)
		fy, _ := feFromBytes(&by)
		return affinePoint{fx, fy}
	}
	check := func(name string, p *jacobian, wx, wy *big.Int) {
		t.Helper()
		if wx.Sign() == 0 && wy.Sign() == 0 {
			if !p.isInfinity() {
				t.Fatalf("%s: want infinity", name)
			}
			return
		}
		if p.isInfinity() {
			t.Fatalf("%s: got infinity", name)
		}
		if x, y := p.affineBig(); x.Cmp(wx) != 0 || y.Cmp(wy) != 0 {
			t.Fatalf("%s differs from the library's", name)
		}
	}
	for range 20 {
		a, _ := rand.Int(rand.Reader, bigN)
		b, _ := rand.Int(rand.Reader, bigN)
		ax, ay := curve.ScalarBaseMult(a.Bytes())
		bx, by := curve.ScalarBaseMult(b.Bytes())
		pa, pb := fromBig(ax, ay), fromBig(bx, by)
		negBy := new(big.Int).Sub(bigP, by)

		// Give the Jacobian points a Z other than 1: double, then compare with 2a.
		var ja, jb jacobian
		ja.setAffine(&pa)
		ja.double(&ja)
		jb.setAffine(&pb)
		jb.double(&jb)
		a2x, a2y := curve.Double(ax, ay)
		b2x, b2y := curve.Double(bx, by)
		check("double", &ja, a2x, a2y)

		r := ja
		r.addAffine(&pb, false)
		wx, wy := curve.Add(a2x, a2y, bx, by)
		check("2A + B", &r, wx, wy)
		r = ja
		r.addAffine(&pb, true)
		wx, wy = curve.Add(a2x, a2y, bx, negBy)
		check("2A − B", &r, wx, wy)

		r.add(&ja, &jb)
		wx, wy = curve.Add(a2x, a2y, b2x, b2y)
		check("2A + 2B (Jacobian)", &r, wx, wy)

		// Special cases: P + P, P − P, ∞ + P, P + ∞, ∞ − P.
		var jb1 jacobian
		jb1.setAffine(&pb)
		jb1.add(&jb1, &jb1) // Z = 1 in, Z ≠ 1 out
		b3x, b3y := curve.Double(bx, by)
		check("B + B (Jacobian)", &jb1, b3x, b3y)
		r = jb // 2B with Z ≠ 1
		p2b := fromBig(b2x, b2y)
		r.addAffine(&p2b, false)
		wx, wy = curve.Double(b2x, b2y)
		check("2B + 2B (mixed doubling)", &r, wx, wy)
		r = jb
		r.addAffine(&p2b, true)
		check("2B − 2B", &r, new(big.Int), new(big.Int))
		var inf jacobian
		r = inf
		r.addAffine(&pb, true)
		check("∞ − B", &r, bx, negBy)
		r.add(&inf, &jb)
		check("∞ + 2B", &r, b2x, b2y)
		r.add(&jb, &inf)
		check("2B + ∞", &r, b2x, b2y)
		neg := jb
		feNeg(&neg.y, &neg.y)
		r.add(&jb, &neg)
		check("2B + (−2B) (Jacobian)", &r, new(big.Int), new(big.Int))
		r.double(&inf)
		check("2·∞", &r, new(big.Int), new(big.Int))
	}
}

func TestNewTableRefusesBadPoints(t *testing.T) {
	priv, _ := sm2.GenerateKey(rand.Reader)
	good := keyPoint(&priv.PublicKey)
	offCurve := bytes.Clone(good)
	offCurve[64] ^= 1
	compressed := append([]byte{2}, good[1:33]...)
	xTooBig := bytes.Clone(good)
	copy(xTooBig[1:33], bytes.Repeat([]byte{0xff}, 32))
	// (x, p − y) is on the curve; (x, 2p − y) is the same point with y ≥ p.
	y := new(big.Int).SetBytes(good[33:])
	yPlusP := new(big.Int).Add(y, bigP)
	yTooBig := bytes.Clone(good)
	if yPlusP.BitLen() <= 256 {
		yPlusP.FillBytes(yTooBig[33:])
	} else {
		copy(yTooBig[33:], bytes.Repeat([]byte{0xff}, 32))
	}
	// x + p for an x small enough that it still fits in 32 bytes.
	xPlusP := bytes.Clone(good)
	xPlusP[1] = 0xff
	wrongPrefix := bytes.Clone(good)
	wrongPrefix[0] = 6
	zeros := make([]byte, 65)
	zeros[0] = 4
	for name, b := range map[string][]byte{
		"off curve": offCurve, "compressed": compressed, "x ≥ p": xTooBig, "y ≥ p": yTooBig, "x + p": xPlusP,
		"hybrid prefix": wrongPrefix, "(0, 0)": zeros, "empty": nil, "infinity": {0},
		"short": good[:64], "long": append(bytes.Clone(good), 0),
	} {
		if _, err := NewTable(b); err == nil {
			t.Errorf("%s: NewTable accepted it", name)
		}
	}
	if _, err := NewTable(good); err != nil {
		t.Errorf("good key refused: %v", err)
	}
}

func derSig(r, s *big.Int) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.BytesOrPanic()
}

func parseDER(t *testing.T, sig []byte) (r, s *big.Int) {
	t.Helper()
	r, s = new(big.Int), new(big.Int)
	in := cryptobyte.String(sig)
	var inner cryptobyte.String
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) {
		t.Fatalf("cannot parse %x", sig)
	}
	return r, s
}

// derRaw builds a SEQUENCE of two INTEGERs from raw content bytes, for encodings that
// cryptobyte's builder refuses to make.
func derRaw(rb, sb []byte) []byte {
	body := append(append([]byte{2, byte(len(rb))}, rb...), append([]byte{2, byte(len(sb))}, sb...)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

type verifyCase struct {
	name string
	pub  *ecdsa.PublicKey
	e    []byte
	sig  []byte
}

// tables caches a table per key point, since building one costs a few hundred
// verifications' worth of time in the larger tests.
var tables = map[string]*Table{}

func tableFor(t testing.TB, pub *ecdsa.PublicKey) *Table {
	pt := keyPoint(pub)
	if tab, ok := tables[string(pt)]; ok {
		return tab
	}
	tab, err := NewTable(pt)
	if err != nil {
		t.Fatal(err)
	}
	tables[string(pt)] = tab
	return tab
}

// agree checks that this package and the library give the same answer, and that answer
// is want.
func agree(t *testing.T, c verifyCase, want bool) {
	t.Helper()
	tab := tableFor(t, c.pub)
	lib := sm2.VerifyASN1(c.pub, c.e, c.sig)
	got := Verify(tab, (*[32]byte)(c.e), c.sig)
	if lib != want || got != want {
		t.Errorf("%s: library %v, table %v, want %v (e=%x sig=%x)", c.name, lib, got, want, c.e, c.sig)
	}
}

func TestVerifyAgreesWithLibrary(t *testing.T) {
	n := bigN
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := range 40 {
		priv, _ := sm2.GenerateKey(rand.Reader)
		other, _ := sm2.GenerateKey(rand.Reader)
		e := make([]byte, 32)
		rand.Read(e)
		switch i {
		case 0:
			copy(e, bytes.Repeat([]byte{0xff}, 32)) // e ≥ n
		case 1:
			clear(e) // e = 0
		case 2:
			n.FillBytes(e) // e = n ≡ 0
		}
		sig, err := sm2.SignASN1(rand.Reader, priv, e, nil)
		if err != nil {
			t.Fatal(err)
		}
		pub := &priv.PublicKey
		agree(t, verifyCase{"valid", pub, e, sig}, true)
		agree(t, verifyCase{"other key", &other.PublicKey, e, sig}, false)
		e2 := bytes.Clone(e)
		e2[rng.IntN(32)] ^= 1 << rng.IntN(8)
		agree(t, verifyCase{"other digest", pub, e2, sig}, false)
		for range 8 {
			bad := bytes.Clone(sig)
			bad[rng.IntN(len(bad))] ^= 1 << rng.IntN(8)
			agree(t, verifyCase{"flipped bit", pub, e, bad}, sm2.VerifyASN1(pub, e, bad))
		}
		r, s := parseDER(t, sig)
		for _, m := range []struct {
			name string
			r, s *big.Int
		}{
			{"r = 0", big.NewInt(0), s},
			{"s = 0", r, big.NewInt(0)},
			{"r = n", n, s},
			{"s = n", r, n},
			{"r + n", new(big.Int).Add(r, n), s},
			{"s + n", r, new(big.Int).Add(s, n)},
			{"r + p", new(big.Int).Add(r, bigP), s},
			{"r = 2²⁵⁶ − 1", new(big.Int).Sub(bigR, big.NewInt(1)), s},
			{"r = 2²⁵⁶", bigR, s},
			{"r + s = n (t = 0)", r, new(big.Int).Sub(n, r)},
			{"negative r", new(big.Int).Neg(r), s},
			{"negative s", r, new(big.Int).Neg(s)},
			{"r and s swapped", s, r},
			{"r = n − 1", new(big.Int).Sub(n, big.NewInt(1)), s},
			{"s = n − 1", r, new(big.Int).Sub(n, big.NewInt(1))},
			{"r = 1", big.NewInt(1), s},
		} {
			agree(t, verifyCase{m.name, pub, e, derSig(m.r, m.s)}, false)
		}
		agree(t, verifyCase{"trailing byte", pub, e, append(bytes.Clone(sig), 0)}, false)
		agree(t, verifyCase{"truncated", pub, e, sig[:len(sig)-1]}, false)
		agree(t, verifyCase{"empty", pub, e, nil}, false)
		agree(t, verifyCase{"only SEQUENCE", pub, e, []byte{0x30, 0}}, false)

		// Non-minimal and other odd encodings of the same r and s.
		rb, sb := r.Bytes(), s.Bytes()
		minimal := func(b []byte) []byte {
			if b[0]&0x80 != 0 {
				return append([]byte{0}, b...)
			}
			return b
		}
		agree(t, verifyCase{"rebuilt", pub, e, derRaw(minimal(rb), minimal(sb))}, true)
		agree(t, verifyCase{"extra leading zero in r", pub, e, derRaw(append([]byte{0}, minimal(rb)...), minimal(sb))}, false)
		agree(t, verifyCase{"extra leading zero in s", pub, e, derRaw(minimal(rb), append([]byte{0}, minimal(sb)...))}, false)
		agree(t, verifyCase{"r without sign byte", pub, e, derRaw(rb, minimal(sb))}, sm2.VerifyASN1(pub, e, derRaw(rb, minimal(sb))))
		long := derRaw(minimal(rb), minimal(sb))
		long = append([]byte{0x30, 0x81}, long[1:]...) // long-form length where short fits
		agree(t, verifyCase{"long-form length", pub, e, long}, false)
		wrongTag := derRaw(minimal(rb), minimal(sb))
		wrongTag[0] = 0x31
		agree(t, verifyCase{"SET instead of SEQUENCE", pub, e, wrongTag}, false)
		three := derRaw(minimal(rb), minimal(sb))
		three = append(three, 2, 1, 1)
		three[1] += 3
		agree(t, verifyCase{"three INTEGERs", pub, e, three}, false)
	}
}

// pointWithX returns a curve point whose x is the first value from x0 upwards (or
// downwards, with step −1) that has one.
func pointWithX(x0 *big.Int, step int64) (x, y *big.Int) {
	params := curve.Params()
	p := params.P
	for x := new(big.Int).Set(x0); ; x.Add(x, big.NewInt(step)) {
		rhs := new(big.Int).Exp(x, big.NewInt(3), p)
		rhs.Sub(rhs, new(big.Int).Mul(big.NewInt(3), x))
		rhs.Add(rhs, params.B)
		rhs.Mod(rhs, p)
		if y := new(big.Int).ModSqrt(rhs, p); y != nil {
			if !curve.IsOnCurve(x, y) {
				panic("not on the curve")
			}
			return x, y
		}
	}
}

// keyForSum returns a key Q and r such that the signature (r, s) sums to the point R:
// with t = r + s, Q = t⁻¹(R − [s]G), so [s]G + [t]Q = R.
func keyForSum(rx, ry, s, tt *big.Int) (*ecdsa.PublicKey, *big.Int) {
	n, p := bigN, bigP
	sgx, sgy := curve.ScalarBaseMult(s.Bytes())
	dx, dy := curve.Add(rx, ry, sgx, new(big.Int).Sub(p, sgy))
	qx, qy := curve.ScalarMult(dx, dy, new(big.Int).ModInverse(tt, n).Bytes())
	return &ecdsa.PublicKey{Curve: curve, X: qx, Y: qy}, new(big.Int).Mod(new(big.Int).Sub(tt, s), n)
}

func digestOf(v *big.Int) []byte {
	b := make([]byte, 32)
	new(big.Int).Mod(v, bigN).FillBytes(b)
	return b
}

// A signature whose x₁ lies in [n, p) takes Verify's second candidate. Such signatures
// are too rare to meet by chance (about 2⁻¹²⁸), so they are made: pick a point R with
// x ≥ n, choose s and t, and take the key and r from keyForSum, e = r − x mod n.
func TestVerifyXAboveOrder(t *testing.T) {
	n, p := bigN, bigP
	for i, x0 := range []*big.Int{n, new(big.Int).Add(n, big.NewInt(1000)), new(big.Int).Sub(p, big.NewInt(1))} {
		step := int64(1)
		if i == 2 {
			step = -1 // near the top of [n, p)
		}
		rx, ry := pointWithX(x0, step)
		if rx.Cmp(n) < 0 || rx.Cmp(p) >= 0 {
			t.Fatal("bad test point")
		}
		s, tt := big.NewInt(12345+int64(i)), big.NewInt(67890)
		pub, r := keyForSum(rx, ry, s, tt)
		sig := derSig(r, s)
		agree(t, verifyCase{"x₁ in [n, p)", pub, digestOf(new(big.Int).Sub(r, rx)), sig}, true)
		// Neither candidate matches.
		agree(t, verifyCase{"x₁ in [n, p), wrong e", pub, digestOf(new(big.Int).Sub(r, new(big.Int).Add(rx, big.NewInt(1)))), sig}, false)
		// e given as e + n (≥ n) where it fits in 32 bytes.
		if e := new(big.Int).Add(new(big.Int).Mod(new(big.Int).Sub(r, rx), n), n); e.BitLen() <= 256 {
			b := make([]byte, 32)
			e.FillBytes(b)
			agree(t, verifyCase{"x₁ in [n, p), e + n", pub, b, sig}, true)
		}
	}
}

// With x₁ below 2²⁵⁶ − p, the candidate c + n for e made to match x₁ + p lies in
// [p, 2²⁵⁶): it must be refused, not reduced mod p (where it would equal x₁).
func TestVerifySmallX(t *testing.T) {
	n, p := bigN, bigP
	for _, x0 := range []*big.Int{big.NewInt(0), big.NewInt(1 << 40), new(big.Int).Lsh(big.NewInt(1), 200)} {
		rx, ry := pointWithX(x0, 1)
		s, tt := big.NewInt(777), big.NewInt(4242)
		pub, r := keyForSum(rx, ry, s, tt)
		sig := derSig(r, s)
		agree(t, verifyCase{"small x₁", pub, digestOf(new(big.Int).Sub(r, rx)), sig}, true)
		agree(t, verifyCase{"small x₁, e for x₁ + p", pub, digestOf(new(big.Int).Sub(r, new(big.Int).Add(rx, p))), sig}, false)
		pn := new(big.Int).Sub(p, n)
		agree(t, verifyCase{"small x₁, e for x₁ + (p − n)", pub, digestOf(new(big.Int).Sub(r, new(big.Int).Add(rx, pn))), sig}, false)
	}
}

// Digests made to match x₁ shifted by n, p or p − n: the candidate c + n must be
// tried only below p, and x₁ compared exactly, not mod p or mod n. And t = 0 must be
// refused even when r = e + x([s]G) holds.
func TestVerifyCraftedDigests(t *testing.T) {
	n, p := bigN, bigP
	pn := new(big.Int).Sub(p, n)
	digest := func(v *big.Int) []byte {
		b := make([]byte, 32)
		new(big.Int).Mod(v, n).FillBytes(b)
		return b
	}
	for range 20 {
		priv, _ := sm2.GenerateKey(rand.Reader)
		pub := &priv.PublicKey
		e0 := make([]byte, 32)
		rand.Read(e0)
		sig, _ := sm2.SignASN1(rand.Reader, priv, e0, nil)
		r, s := parseDER(t, sig)
		tt := new(big.Int).Mod(new(big.Int).Add(r, s), n)
		sx, sy := curve.ScalarBaseMult(s.Bytes())
		qx, qy := curve.ScalarMult(pub.X, pub.Y, tt.Bytes())
		x1, _ := curve.Add(sx, sy, qx, qy)
		sub := func(vs ...*big.Int) *big.Int {
			v := new(big.Int).Set(r)
			for _, w := range vs {
				v.Sub(v, w)
			}
			return v
		}
		agree(t, verifyCase{"e = r − x₁", pub, digest(sub(x1)), sig}, true)
		if eBig := new(big.Int).Add(new(big.Int).Mod(sub(x1), n), n); eBig.BitLen() <= 256 {
			b := make([]byte, 32)
			eBig.FillBytes(b)
			agree(t, verifyCase{"e = r − x₁ + n", pub, b, sig}, true)
		}
		agree(t, verifyCase{"e for x₁ + (p − n)", pub, digest(sub(x1, pn)), sig}, false)
		agree(t, verifyCase{"e for x₁ − (p − n)", pub, digest(new(big.Int).Add(sub(x1), pn)), sig}, false)
		agree(t, verifyCase{"e for x₁ + p", pub, digest(sub(x1, p)), sig}, false)
		agree(t, verifyCase{"e for x₁ + 1", pub, digest(sub(x1, big.NewInt(1))), sig}, false)
		agree(t, verifyCase{"e for y₁", pub, digest(sub(new(big.Int).Set(qy))), sig}, false)

		// t = 0: r = n − s, and e chosen so that r = e + x([s]G) would hold.
		r0 := new(big.Int).Sub(n, s)
		e := new(big.Int).Sub(r0, sx)
		agree(t, verifyCase{"t = 0 with a matching e", pub, digest(e), derSig(r0, s)}, false)
	}
}

// [s]G = [t]Q makes the final sum a doubling; [s]G = −[t]Q makes it infinity.
func TestVerifyDoublingAndInfinity(t *testing.T) {
	n := bigN
	d := big.NewInt(5) // Q = 5G
	qx, qy := curve.ScalarBaseMult(d.Bytes())
	pub := &ecdsa.PublicKey{Curve: curve, X: qx, Y: qy}
	// s + t·d ≡ 2s (doubling) with t = r + s: choose s = 5t, so [s]G = [t]Q.
	tt := big.NewInt(1000)
	s := new(big.Int).Mul(tt, d)
	r := new(big.Int).Mod(new(big.Int).Sub(tt, s), n)
	x1, _ := curve.ScalarBaseMult(new(big.Int).Mul(big.NewInt(2), s).Bytes())
	e := new(big.Int).Mod(new(big.Int).Sub(r, x1), n)
	eb := make([]byte, 32)
	e.FillBytes(eb)
	agree(t, verifyCase{"doubling", pub, eb, derSig(r, s)}, true)
	// s = −5t: [s]G + [t]Q = infinity.
	s = new(big.Int).Mod(new(big.Int).Neg(new(big.Int).Mul(tt, d)), n)
	r = new(big.Int).Mod(new(big.Int).Sub(tt, s), n)
	agree(t, verifyCase{"infinity", pub, eb, derSig(r, s)}, false)
}

// signFor makes the signature (r, s) and digest e that are valid for the key Q = [u]G
// with the given s and t (r = t − s), or reports that [s]G + [t]Q is infinity (then e is
// arbitrary and the signature invalid). It returns ok = false when r or s is 0.
func signFor(u, s, tt *big.Int) (e []byte, sig []byte, valid, ok bool) {
	n := bigN
	r := new(big.Int).Mod(new(big.Int).Sub(tt, s), n)
	if r.Sign() == 0 || s.Sign() == 0 {
		return nil, nil, false, false
	}
	k := new(big.Int).Mod(new(big.Int).Add(s, new(big.Int).Mul(tt, u)), n)
	e = make([]byte, 32)
	if k.Sign() == 0 {
		e[31] = 1
		return e, derSig(r, s), false, true
	}
	x1, _ := curve.ScalarBaseMult(k.Bytes())
	new(big.Int).Mod(new(big.Int).Sub(r, x1), n).FillBytes(e)
	return e, derSig(r, s), true, true
}

// The accumulator adds the digits of s and t window by window, so a doubling or an
// infinity can happen in the middle of a verification, not only at its end. Keys that
// are small multiples of G, with s and t of a few small digits, make every such case.
func TestVerifyIntermediateSpecialCases(t *testing.T) {
	n := bigN
	us := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(3), new(big.Int).Sub(n, big.NewInt(1)),
		new(big.Int).Sub(n, big.NewInt(3))}
	lows := []int64{1, 2, 3, 4, 6, 12, 31, 32, 33, 60, 62, 63}
	highs := []*big.Int{big.NewInt(0), big.NewInt(5 << windowBits), new(big.Int).Lsh(big.NewInt(9), 200)}
	counted := 0
	for _, u := range us {
		qx, qy := curve.ScalarBaseMult(u.Bytes())
		pub := &ecdsa.PublicKey{Curve: curve, X: qx, Y: qy}
		for _, sl := range lows {
			for _, tl := range lows {
				for hi, h := range highs {
					s := new(big.Int).Add(big.NewInt(sl), h)
					tt := new(big.Int).Add(big.NewInt(tl), highs[(hi+1)%len(highs)])
					for _, neg := range []bool{false, true} {
						if neg { // t ≡ −t: the digits of t become negative
							tt = new(big.Int).Sub(n, tt)
						}
						e, sig, valid, ok := signFor(u, s, tt)
						if !ok {
							continue
						}
						counted++
						agree(t, verifyCase{"crafted", pub, e, sig}, valid)
					}
				}
			}
		}
	}
	if counted < 1000 {
		t.Fatalf("only %d crafted signatures", counted)
	}
}

func FuzzVerify(f *testing.F) {
	priv, _ := sm2.GenerateKey(rand.Reader)
	tab, err := NewTable(keyPoint(&priv.PublicKey))
	if err != nil {
		f.Fatal(err)
	}
	for range 4 {
		e := make([]byte, 32)
		rand.Read(e)
		sig, _ := sm2.SignASN1(rand.Reader, priv, e, nil)
		f.Add(e, sig)
	}
	f.Add(make([]byte, 32), derSig(bigN, big.NewInt(1)))
	f.Add(make([]byte, 32), derSig(big.NewInt(1), new(big.Int).Sub(bigN, big.NewInt(1))))
	f.Fuzz(func(t *testing.T, e, sig []byte) {
		if len(e) != 32 {
			return
		}
		if lib, got := sm2.VerifyASN1(&priv.PublicKey, e, sig), Verify(tab, (*[32]byte)(e), sig); lib != got {
			t.Fatalf("library %v, table %v for e=%x sig=%x", lib, got, e, sig)
		}
	})
}

// FuzzVerifyCrafted starts from signatures that reach the rare paths (x₁ in [n, p),
// x₁ below 2²⁵⁶ − p, a doubling inside the sum) and lets the fuzzer mutate them.
func FuzzVerifyCrafted(f *testing.F) {
	n := bigN
	type keyed struct {
		pub *ecdsa.PublicKey
		tab *Table
	}
	var keys []keyed
	add := func(pub *ecdsa.PublicKey, e []byte, sig []byte) {
		tab, err := NewTable(keyPoint(pub))
		if err != nil {
			f.Fatal(err)
		}
		keys = append(keys, keyed{pub, tab})
		f.Add(uint8(len(keys)-1), e, sig)
	}
	for _, x0 := range []*big.Int{n, big.NewInt(5)} {
		rx, ry := pointWithX(x0, 1)
		s := big.NewInt(99)
		pub, r := keyForSum(rx, ry, s, big.NewInt(1234))
		add(pub, digestOf(new(big.Int).Sub(r, rx)), derSig(r, s))
	}
	u := big.NewInt(3) // Q = 3G; s = 6, t = 2 doubles in the first window
	qx, qy := curve.ScalarBaseMult(u.Bytes())
	e, sig, _, _ := signFor(u, big.NewInt(6), big.NewInt(2))
	add(&ecdsa.PublicKey{Curve: curve, X: qx, Y: qy}, e, sig)
	f.Fuzz(func(t *testing.T, which uint8, e, sig []byte) {
		if len(e) != 32 {
			return
		}
		k := keys[int(which)%len(keys)]
		if lib, got := sm2.VerifyASN1(k.pub, e, sig), Verify(k.tab, (*[32]byte)(e), sig); lib != got {
			t.Fatalf("key %d: library %v, table %v for e=%x sig=%x", which, lib, got, e, sig)
		}
	})
}

func TestVerifyNilAndAllocations(t *testing.T) {
	if Verify(nil, new([32]byte), []byte{0x30, 0}) || Verify(new(Table), nil, nil) {
		t.Fatal("nil input verified")
	}
	priv, _ := sm2.GenerateKey(rand.Reader)
	e := make([]byte, 32)
	rand.Read(e)
	sig, _ := sm2.SignASN1(rand.Reader, priv, e, nil)
	tab := tableFor(t, &priv.PublicKey)
	if a := testing.AllocsPerRun(20, func() { Verify(tab, (*[32]byte)(e), sig) }); a != 0 {
		t.Fatalf("Verify allocates %v times", a)
	}
}

func BenchmarkVerify(b *testing.B) {
	priv, _ := sm2.GenerateKey(rand.Reader)
	e := make([]byte, 32)
	rand.Read(e)
	sig, _ := sm2.SignASN1(rand.Reader, priv, e, nil)
	tab, _ := NewTable(keyPoint(&priv.PublicKey))
	generator()
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			Verify(tab, (*[32]byte)(e), sig)
		}
	})
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			sm2.VerifyASN1(&priv.PublicKey, e, sig)
		}
	})
	// ratio alternates batches of both on the same input and reports the medians of
	// the batch times and the library's median over the table's: a batch that another
	// process interrupted falls outside the median, so the figures stay meaningful on a
	// busy machine.
	b.Run("ratio", func(b *testing.B) {
		var tabT, libT []time.Duration
		for b.Loop() {
			t0 := time.Now()
			for range 8 {
				Verify(tab, (*[32]byte)(e), sig)
			}
			t1 := time.Now()
			for range 8 {
				sm2.VerifyASN1(&priv.PublicKey, e, sig)
			}
			tabT = append(tabT, t1.Sub(t0))
			libT = append(libT, time.Since(t1))
		}
		slices.Sort(tabT)
		slices.Sort(libT)
		tm, lm := tabT[len(tabT)/2], libT[len(libT)/2]
		b.ReportMetric(float64(tm.Nanoseconds())/8, "table-ns/op")
		b.ReportMetric(float64(lm.Nanoseconds())/8, "library-ns/op")
		b.ReportMetric(float64(lm)/float64(tm), "library/table")
	})
	// table-300keys rotates over 300 keys, as the ledger does over its registered
	// institutions: 26 MiB of tables, so lookups come from L3 or memory, not L1/L2.
	b.Run("table-300keys", func(b *testing.B) {
		type input struct {
			tab *Table
			e   *[32]byte
			sig []byte
		}
		ins := make([]input, 300)
		for i := range ins {
			k, _ := sm2.GenerateKey(rand.Reader)
			e := new([32]byte)
			rand.Read(e[:])
			sig, _ := sm2.SignASN1(rand.Reader, k, e[:], nil)
			tab, _ := NewTable(keyPoint(&k.PublicKey))
			ins[i] = input{tab, e, sig}
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			in := &ins[i%len(ins)]
			if !Verify(in.tab, in.e, in.sig) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("NewTable", func(b *testing.B) {
		pt := keyPoint(&priv.PublicKey)
		for b.Loop() {
			NewTable(pt)
		}
	})
}
