package sm2p256

import "math/bits"

// fe is an element of GF(p), p = 2²⁵⁶ − 2²²⁴ − 2⁹⁶ + 2⁶⁴ − 1, held in Montgomery form
// (x·2²⁵⁶ mod p) as four little-endian 64-bit limbs, always fully reduced (< p), so that
// two elements are equal exactly when their limbs are.
type fe [4]uint64

// The limbs of p. p ≡ −1 (mod 2⁶⁴), so the Montgomery factor −p⁻¹ mod 2⁶⁴ is 1: each
// reduction step adds m·p with m the lowest limb itself, and m·p is shifts and
// subtractions because of p's shape.
const (
	p0 = 0xffffffffffffffff
	p1 = 0xffffffff00000000
	p2 = 0xffffffffffffffff
	p3 = 0xfffffffeffffffff
)

var (
	// feOne is 1 in Montgomery form: 2²⁵⁶ mod p = 2²²⁴ + 2⁹⁶ − 2⁶⁴ + 1.
	feOne = fe{0x0000000000000001, 0x00000000ffffffff, 0x0000000000000000, 0x0000000100000000}
	// feRR is 2⁵¹² mod p, which turns a plain integer into Montgomery form in one
	// multiplication.
	feRR = fe{0x0000000200000003, 0x00000002ffffffff, 0x0000000100000001, 0x0000000400000002}
	// feB is the curve coefficient b in Montgomery form (the curve is y² = x³ − 3x + b).
	feB = feFromInt(&[4]uint64{0xddbcbd414d940e93, 0xf39789f515ab8f92, 0x4d5a9e4bcf6509a7, 0x28e9fa9e9d9f5e34})
)

// feFromInt returns the Montgomery form of a plain integer x < p.
func feFromInt(x *[4]uint64) fe {
	var z fe
	feMul(&z, (*fe)(x), &feRR)
	return z
}

// feToInt returns the plain integer (< p) that z represents.
func feToInt(z *fe) [4]uint64 {
	var out fe
	feMul(&out, z, &fe{1})
	return out
}

// feFromBytes reads a 32-byte big-endian integer into Montgomery form; it reports false
// when the integer is not below p.
func feFromBytes(b *[32]byte) (fe, bool) {
	var x [4]uint64
	for i := range x {
		x[i] = be64(b[32-8*(i+1):])
	}
	if !lessThanP(&x) {
		return fe{}, false
	}
	return feFromInt(&x), true
}

func be64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// lessThanP reports whether the plain integer x is below p.
func lessThanP(x *[4]uint64) bool {
	_, b := bits.Sub64(x[0], p0, 0)
	_, b = bits.Sub64(x[1], p1, b)
	_, b = bits.Sub64(x[2], p2, b)
	_, b = bits.Sub64(x[3], p3, b)
	return b == 1
}

func (z *fe) isZero() bool { return z[0]|z[1]|z[2]|z[3] == 0 }

// feAdd sets z = x + y mod p.
func feAdd(z, x, y *fe) {
	s0, c := bits.Add64(x[0], y[0], 0)
	s1, c := bits.Add64(x[1], y[1], c)
	s2, c := bits.Add64(x[2], y[2], c)
	s3, c := bits.Add64(x[3], y[3], c)
	feReduceCarry(z, s0, s1, s2, s3, c)
}

// feReduceCarry sets z = c·2²⁵⁶ + s mod p for a value below 2p.
func feReduceCarry(z *fe, s0, s1, s2, s3, c uint64) {
	d0, b := bits.Sub64(s0, p0, 0)
	d1, b := bits.Sub64(s1, p1, b)
	d2, b := bits.Sub64(s2, p2, b)
	d3, b := bits.Sub64(s3, p3, b)
	_, b = bits.Sub64(c, 0, b)
	// b = 1: the value was below p, keep s; b = 0: keep s − p.
	keep := -b
	z[0] = d0 ^ ((d0 ^ s0) & keep)
	z[1] = d1 ^ ((d1 ^ s1) & keep)
	z[2] = d2 ^ ((d2 ^ s2) & keep)
	z[3] = d3 ^ ((d3 ^ s3) & keep)
}

// feDouble sets z = 2x mod p.
func feDouble(z, x *fe) { feAdd(z, x, x) }

// feSub sets z = x − y mod p.
func feSub(z, x, y *fe) {
	d0, b := bits.Sub64(x[0], y[0], 0)
	d1, b := bits.Sub64(x[1], y[1], b)
	d2, b := bits.Sub64(x[2], y[2], b)
	d3, b := bits.Sub64(x[3], y[3], b)
	// On a borrow, add p back.
	m := -b
	var c uint64
	z[0], c = bits.Add64(d0, p0&m, 0)
	z[1], c = bits.Add64(d1, p1&m, c)
	z[2], c = bits.Add64(d2, p2&m, c)
	z[3], _ = bits.Add64(d3, p3&m, c)
}

// feNeg sets z = −x mod p.
func feNeg(z, x *fe) { feSub(z, &fe{}, x) }

// feSqrN sets z = x^(2ⁿ) for n ≥ 1.
func feSqrN(z, x *fe, n int) {
	feSqr(z, x)
	for i := 1; i < n; i++ {
		feSqr(z, z)
	}
}

// feInv sets z = x⁻¹ (0 for x = 0) by Fermat's little theorem, z = x^(p−2), along an
// addition chain. In binary p − 2 is 31 ones, a zero, 128 ones, 32 zeros, 62 ones, a
// zero and a one; xk below is x^(2ᵏ − 1), a run of k ones. It runs once per table, so
// the chain favours clarity over the last few multiplications.
func feInv(z, x *fe) {
	var x2, x3, x6, x12, x24, x30, x31, x32, x62, x64, x128, t fe
	feSqr(&t, x)
	feMul(&x2, &t, x) // 11
	feSqr(&t, &x2)
	feMul(&x3, &t, x) // 111
	feSqrN(&t, &x3, 3)
	feMul(&x6, &t, &x3)
	feSqrN(&t, &x6, 6)
	feMul(&x12, &t, &x6)
	feSqrN(&t, &x12, 12)
	feMul(&x24, &t, &x12)
	feSqrN(&t, &x24, 6)
	feMul(&x30, &t, &x6)
	feSqr(&t, &x30)
	feMul(&x31, &t, x)
	feSqr(&t, &x31)
	feMul(&x32, &t, x)
	feSqrN(&t, &x31, 31)
	feMul(&x62, &t, &x31)
	feSqrN(&t, &x32, 32)
	feMul(&x64, &t, &x32)
	feSqrN(&t, &x64, 64)
	feMul(&x128, &t, &x64)

	acc := x31
	feSqrN(&acc, &acc, 1+128) // the zero, then room for the 128 ones
	feMul(&acc, &acc, &x128)
	feSqrN(&acc, &acc, 32+62) // 32 zeros, then room for the 62 ones
	feMul(&acc, &acc, &x62)
	feSqrN(&acc, &acc, 2) // "01"
	feMul(z, &acc, x)
}
