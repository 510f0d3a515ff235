//go:build amd64 && !purego && !plugin

package sm2p256

//lint:file-ignore SA1019 the elliptic.Curve point arithmetic and big.Int coordinates are deprecated for applications; here they are the independent oracle the tables are checked against, and the way to craft edge-case keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm2/sm2ec"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

var curve = sm2ec.P256()

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

func (p *p256Point) affine() (x, y *big.Int) {
	var zinv, zinv2, ax, ay p256Element
	p256Inverse(&zinv, &p.z)
	p256Sqr(&zinv2, &zinv, 1)
	p256Mul(&ax, &p.x, &zinv2)
	p256Mul(&zinv2, &zinv2, &zinv)
	p256Mul(&ay, &p.y, &zinv2)
	p256FromMont(&ax, &ax)
	p256FromMont(&ay, &ay)
	var bx, by [32]byte
	p256LittleToBig(&bx, &ax)
	p256LittleToBig(&by, &ay)
	return new(big.Int).SetBytes(bx[:]), new(big.Int).SetBytes(by[:])
}

func scalarOf(k *big.Int) *p256OrdElement {
	s, _ := scalarFromBytes(k.Bytes())
	return (*p256OrdElement)(&s)
}

// The tables must give the same multiples as the library, for G and for other points,
// over random scalars and the edges (1, n-1, 2^k).
func TestBaseMultMatchesLibrary(t *testing.T) {
	n := curve.Params().N
	scalars := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(31), big.NewInt(32), big.NewInt(33), big.NewInt(64),
		new(big.Int).Sub(n, big.NewInt(1)), new(big.Int).Sub(n, big.NewInt(2)), new(big.Int).Lsh(big.NewInt(1), 252),
		new(big.Int).Lsh(big.NewInt(1), 255), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 252), big.NewInt(1))}
	for range 200 {
		k, _ := rand.Int(rand.Reader, n)
		scalars = append(scalars, k)
	}
	d, _ := rand.Int(rand.Reader, n)
	qx, qy := curve.ScalarBaseMult(d.Bytes())
	tab, err := NewTable(uncompressed(qx, qy))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range scalars {
		if k.Sign() == 0 {
			continue
		}
		var p p256Point
		p.baseMult(&generator().t, scalarOf(k))
		gx, gy := curve.ScalarBaseMult(k.Bytes())
		if x, y := p.affine(); x.Cmp(gx) != 0 || y.Cmp(gy) != 0 {
			t.Fatalf("[%x]G differs from the library's", k)
		}
		p.baseMult(&tab.t, scalarOf(k))
		wx, wy := curve.ScalarMult(qx, qy, k.Bytes())
		if x, y := p.affine(); x.Cmp(wx) != 0 || y.Cmp(wy) != 0 {
			t.Fatalf("[%x]Q differs from the library's", k)
		}
	}
}

func TestNewTableRefusesBadPoints(t *testing.T) {
	priv, _ := sm2.GenerateKey(rand.Reader)
	good := keyPoint(&priv.PublicKey)
	offCurve := bytes.Clone(good)
	offCurve[64] ^= 1
	compressed := append([]byte{2}, good[1:33]...)
	tooBig := bytes.Clone(good)
	copy(tooBig[1:33], bytes.Repeat([]byte{0xff}, 32))
	for name, b := range map[string][]byte{"off curve": offCurve, "compressed": compressed, "x ≥ p": tooBig, "empty": nil, "infinity": {0}} {
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

type verifyCase struct {
	name string
	pub  *ecdsa.PublicKey
	e    []byte
	sig  []byte
}

// agree checks that this package and the library give the same answer, and that answer
// is want.
func agree(t *testing.T, c verifyCase, want bool) {
	t.Helper()
	tab, err := NewTable(keyPoint(c.pub))
	if err != nil {
		t.Fatal(err)
	}
	lib := sm2.VerifyASN1(c.pub, c.e, c.sig)
	got := Verify(tab, (*[32]byte)(c.e), c.sig)
	if lib != want || got != want {
		t.Errorf("%s: library %v, table %v, want %v", c.name, lib, got, want)
	}
}

func TestVerifyAgreesWithLibrary(t *testing.T) {
	n := curve.Params().N
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := range 40 {
		priv, _ := sm2.GenerateKey(rand.Reader)
		other, _ := sm2.GenerateKey(rand.Reader)
		e := make([]byte, 32)
		rand.Read(e)
		if i == 0 {
			copy(e, bytes.Repeat([]byte{0xff}, 32)) // e ≥ n
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
			{"r + s = n", r, new(big.Int).Sub(n, r)},
			{"negative s", r, new(big.Int).Neg(s)},
			{"r and s swapped", s, r},
		} {
			agree(t, verifyCase{m.name, pub, e, derSig(m.r, m.s)}, false)
		}
		agree(t, verifyCase{"trailing byte", pub, e, append(bytes.Clone(sig), 0)}, false)
		agree(t, verifyCase{"truncated", pub, e, sig[:len(sig)-1]}, false)
		agree(t, verifyCase{"empty", pub, e, nil}, false)
	}
}

// A signature whose x₁ lies in [n, p) takes Verify's second candidate. Such signatures
// are too rare to meet by chance (about 2⁻¹²⁸), so one is made: pick a point R with
// x ≥ n, choose s and t, set the key Q = t⁻¹(R - [s]G), r = t - s and e = r - x mod n.
func TestVerifyXAboveOrder(t *testing.T) {
	params := curve.Params()
	n, p := params.N, params.P
	var rx, ry *big.Int
	for i := int64(0); rx == nil; i++ {
		x := new(big.Int).Add(n, big.NewInt(i))
		rhs := new(big.Int).Exp(x, big.NewInt(3), p)
		rhs.Sub(rhs, new(big.Int).Mul(big.NewInt(3), x))
		rhs.Add(rhs, params.B)
		rhs.Mod(rhs, p)
		if y := new(big.Int).ModSqrt(rhs, p); y != nil {
			rx, ry = x, y
		}
	}
	if !curve.IsOnCurve(rx, ry) || rx.Cmp(n) < 0 || rx.Cmp(p) >= 0 {
		t.Fatal("bad test point")
	}
	s := big.NewInt(12345)
	k := big.NewInt(67890)
	sgx, sgy := curve.ScalarBaseMult(s.Bytes())
	negY := new(big.Int).Sub(p, sgy)
	dx, dy := curve.Add(rx, ry, sgx, negY)
	kinv := new(big.Int).ModInverse(k, n)
	qx, qy := curve.ScalarMult(dx, dy, kinv.Bytes())
	pub := &ecdsa.PublicKey{Curve: curve, X: qx, Y: qy}
	r := new(big.Int).Mod(new(big.Int).Sub(k, s), n)
	e := new(big.Int).Mod(new(big.Int).Sub(r, rx), n)
	eb := make([]byte, 32)
	e.FillBytes(eb)
	agree(t, verifyCase{"x₁ in [n, p)", pub, eb, derSig(r, s)}, true)
	// The same signature must fail when only the reduced candidate would match.
	e2 := new(big.Int).Mod(new(big.Int).Sub(r, new(big.Int).Sub(rx, n)), n)
	e2.Sub(e2, big.NewInt(1))
	e2b := make([]byte, 32)
	e2.FillBytes(e2b)
	agree(t, verifyCase{"x₁ in [n, p), wrong e", pub, e2b, derSig(r, s)}, false)
}

// [s]G = [t]Q makes the sum a doubling; [s]G = -[t]Q makes it infinity.
func TestVerifyDoublingAndInfinity(t *testing.T) {
	n := curve.Params().N
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
	// s = -5t: [s]G + [t]Q = infinity.
	s = new(big.Int).Mod(new(big.Int).Neg(new(big.Int).Mul(tt, d)), n)
	r = new(big.Int).Mod(new(big.Int).Sub(tt, s), n)
	agree(t, verifyCase{"infinity", pub, eb, derSig(r, s)}, false)
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
	f.Fuzz(func(t *testing.T, e, sig []byte) {
		if len(e) != 32 {
			return
		}
		if lib, got := sm2.VerifyASN1(&priv.PublicKey, e, sig), Verify(tab, (*[32]byte)(e), sig); lib != got {
			t.Fatalf("library %v, table %v for e=%x sig=%x", lib, got, e, sig)
		}
	})
}

var _ elliptic.Curve = curve

func BenchmarkVerify(b *testing.B) {
	priv, _ := sm2.GenerateKey(rand.Reader)
	e := make([]byte, 32)
	rand.Read(e)
	sig, _ := sm2.SignASN1(rand.Reader, priv, e, nil)
	tab, _ := NewTable(keyPoint(&priv.PublicKey))
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
	b.Run("NewTable", func(b *testing.B) {
		pt := keyPoint(&priv.PublicKey)
		for b.Loop() {
			NewTable(pt)
		}
	})
}
