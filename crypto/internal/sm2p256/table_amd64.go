//go:build amd64 && !purego && !plugin

package sm2p256

import "sync"

// Table holds the multiples of one public key Q that a fixed-base multiplication reads:
// for each of 43 six-bit windows w, [1]…[32]·2^(6w)·Q in affine Montgomery form
// (43 × 32 × 64 bytes = 88 KiB).
type Table struct {
	t [43]p256AffineTable
}

// TableSize is the memory one Table holds, for callers that budget a cache of them.
const TableSize = 43 * 32 * 64

var (
	genOnce  sync.Once
	genTable *Table
)

// generator returns the table for the base point G, built on first use (~1 ms) rather
// than embedded, so that a binary that never verifies does not carry 88 KiB of it.
func generator() *Table {
	genOnce.Do(func() {
		var g p256Point
		g.setGenerator()
		genTable = buildTable(&g)
	})
	return genTable
}

// NewTable precomputes the table for the public key given as an uncompressed SEC 1
// point (0x04 ‖ X ‖ Y). It refuses points that are not on the SM2 curve.
func NewTable(uncompressed []byte) (*Table, error) {
	var q p256Point
	if err := q.setBytes(uncompressed); err != nil {
		return nil, err
	}
	return buildTable(&q), nil
}

func buildTable(q *p256Point) *Table {
	t := new(Table)
	var jac [32]p256Point
	base := *q
	for w := range t.t {
		jac[0] = base
		p256PointDoubleAsm(&jac[1], &base)
		for j := 2; j < 32; j++ {
			// jac[j-1] = j·base is never ±base for a point of prime order n ≫ 32.
			p256PointAddAsm(&jac[j], &jac[j-1], &base)
		}
		toAffine(&t.t[w], &jac)
		p256PointDoubleAsm(&base, &jac[31]) // 64·base, the next window's base
	}
	return t
}

// toAffine converts 32 Jacobian points (none at infinity) to affine with one inversion
// (Montgomery's trick).
func toAffine(out *p256AffineTable, in *[32]p256Point) {
	var prefix [32]p256Element
	prefix[0] = in[0].z
	for i := 1; i < 32; i++ {
		p256Mul(&prefix[i], &prefix[i-1], &in[i].z)
	}
	var inv p256Element
	p256Inverse(&inv, &prefix[31])
	for i := 31; i >= 0; i-- {
		var zinv, zinv2, zinv3 p256Element
		if i > 0 {
			p256Mul(&zinv, &inv, &prefix[i-1])
			p256Mul(&inv, &inv, &in[i].z)
		} else {
			zinv = inv
		}
		p256Sqr(&zinv2, &zinv, 1)
		p256Mul(&zinv3, &zinv2, &zinv)
		p256Mul(&out[i].x, &in[i].x, &zinv2)
		p256Mul(&out[i].y, &in[i].y, &zinv3)
	}
}

// Verify reports whether sig (DER) is a valid SM2 signature over the digest
// e = SM3(ZA ‖ M) by the key whose table is t. It accepts exactly what the SM library's
// VerifyASN1 accepts: r, s in [1, n-1], t = r + s mod n ≠ 0, (x₁, y₁) = [s]G + [t]Q not
// infinity, and r = e + x₁ mod n. Both multiplications are fixed-base, and the last check
// is made without leaving Jacobian coordinates: x₁ ≡ r - e (mod n) with x₁ < p leaves at
// most two candidates c, and x₁ = c exactly when X = c·Z².
func Verify(t *Table, e *[32]byte, sig []byte) bool {
	r, s, ok := parseSignature(sig)
	if !ok {
		return false
	}
	k := addModN(r, s)
	if k.isZero() {
		return false
	}
	var p1, p2 p256Point
	p1.baseMult(&generator().t, (*p256OrdElement)(&s))
	p2.baseMult(&t.t, (*p256OrdElement)(&k))
	p1.add(&p1, &p2)
	if p1.z == p256Zero {
		return false
	}
	ee, _ := scalarFromBytes(e[:])
	c := subModN(r, ee.reduceOnce())

	var zz p256Element
	p256Sqr(&zz, &p1.z, 1)
	if xMatches(&p1.x, &zz, c) {
		return true
	}
	if c2, carry := c.add(orderN); carry == 0 && c2.less(fieldP) {
		return xMatches(&p1.x, &zz, c2)
	}
	return false
}

// xMatches reports whether X = c·Z² (zz = Z², both Montgomery) for a plain c < p.
func xMatches(x, zz *p256Element, c scalar) bool {
	var cm p256Element
	p256Mul(&cm, (*p256Element)(&c), &p256RR)
	p256Mul(&cm, &cm, zz)
	return cm == *x
}
