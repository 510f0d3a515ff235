// The declarations and point helpers in this file are adapted from
// github.com/emmansun/gmsm v0.30.1 internal/sm2ec (MIT, see LICENSE.gmsm), itself derived
// from the Go standard library's crypto/internal/nistec (BSD). The assembly beside it is
// gmsm's, unchanged but for one build constraint.

//go:build amd64 && !purego && !plugin

package sm2p256

//lint:file-ignore U1000 the assembly reads the CPU flags, and every assembly function needs a Go declaration (go vet's asmdecl) whether or not Go code calls it

import (
	"errors"
	"math/bits"

	"golang.org/x/sys/cpu"
)

// Supported is true where the assembly fast path is compiled in.
const Supported = true

// Read by the assembly: MULX/ADCX/ADOX and AVX2 code paths.
var (
	supportBMI2 = cpu.X86.HasADX && cpu.X86.HasBMI2
	supportAVX2 = cpu.X86.HasAVX2
)

// p256Element is a base field element in [0, p-1] in the Montgomery domain (R = 2²⁵⁶),
// four little-endian limbs.
type p256Element [4]uint64

// p256OrdElement is a scalar as four little-endian limbs (not Montgomery unless said).
type p256OrdElement [4]uint64

// p256Point is a point in Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is infinity.
// The layout is what the assembly expects.
type p256Point struct {
	x, y, z p256Element
}

// p256AffinePoint is an affine point, coordinates still in the Montgomery domain.
type p256AffinePoint struct {
	x, y p256Element
}

// p256AffineTable holds [1]B … [32]B for one window's base B, at index offset -1.
type p256AffineTable [32]p256AffinePoint

// p256Table is the Jacobian table p256Select reads (unused here, declared for the
// assembly's sake).
type p256Table [32]p256Point

var (
	p256One  = p256Element{0x0000000000000001, 0x00000000ffffffff, 0x0000000000000000, 0x0000000100000000}
	p256Zero = p256Element{}
	// p256P is p = 2²⁵⁶ - 2²²⁴ - 2⁹⁶ + 2⁶⁴ - 1 (plain, not Montgomery).
	p256P = p256Element{0xffffffffffffffff, 0xffffffff00000000, 0xffffffffffffffff, 0xfffffffeffffffff}
	// p256RR is R² mod p: p256Mul(x, a, &p256RR) brings a into the Montgomery domain.
	p256RR = p256Element{0x0000000200000003, 0x00000002ffffffff, 0x0000000100000001, 0x0000000400000002}
	// p256B is the curve's b in the Montgomery domain.
	p256B = p256Element{0x90d230632bc0dd42, 0x71cf379ae9b537ab, 0x527981505ea51c3c, 0x240fe188ba20e2c8}
)

//go:noescape
func p256Mul(res, in1, in2 *p256Element)

//go:noescape
func p256Sqr(res, in *p256Element, n int)

//go:noescape
func p256FromMont(res, in *p256Element)

//go:noescape
func p256NegCond(val *p256Element, cond int)

//go:noescape
func p256MovCond(res, a, b *p256Point, cond int)

//go:noescape
func p256BigToLittle(res *p256Element, in *[32]byte)

//go:noescape
func p256LittleToBig(res *[32]byte, in *p256Element)

//go:noescape
func p256OrdBigToLittle(res *p256OrdElement, in *[32]byte)

//go:noescape
func p256OrdLittleToBig(res *[32]byte, in *p256OrdElement)

//go:noescape
func p256OrdReduce(s *p256OrdElement)

//go:noescape
func p256OrdMul(res, in1, in2 *p256OrdElement)

//go:noescape
func p256OrdSqr(res, in *p256OrdElement, n int)

//go:noescape
func p256Select(res *p256Point, table *p256Table, idx, limit int)

//go:noescape
func p256SelectAffine(res *p256AffinePoint, table *p256AffineTable, idx int)

// p256PointAddAffineAsm: if zero is 0, res = in2; if sel is 0, res = in1; otherwise
// res = in1 ± in2 by sign.
//
//go:noescape
func p256PointAddAffineAsm(res, in1 *p256Point, in2 *p256AffinePoint, sign, sel, zero int)

// p256PointAddAsm sets res = in1 + in2 and returns 1 if the inputs were equal (res is
// then undefined), as it is if either input is infinity.
//
//go:noescape
func p256PointAddAsm(res, in1, in2 *p256Point) int

//go:noescape
func p256PointDoubleAsm(res, in *p256Point)

//go:noescape
func p256PointDouble6TimesAsm(res, in *p256Point)

// p256Add sets res = x + y mod p.
func p256Add(res, x, y *p256Element) {
	var t1, t2 p256Element
	var c, b uint64
	t1[0], c = bits.Add64(x[0], y[0], 0)
	t1[1], c = bits.Add64(x[1], y[1], c)
	t1[2], c = bits.Add64(x[2], y[2], c)
	t1[3], c = bits.Add64(x[3], y[3], c)
	t2[0], b = bits.Sub64(t1[0], p256P[0], 0)
	t2[1], b = bits.Sub64(t1[1], p256P[1], b)
	t2[2], b = bits.Sub64(t1[2], p256P[2], b)
	t2[3], b = bits.Sub64(t1[3], p256P[3], b)
	mask := (c ^ b) - 1
	for i := range res {
		res[i] = (t1[i] &^ mask) | (t2[i] & mask)
	}
}

// p256LessThanP returns 1 if x < p as a plain integer.
func p256LessThanP(x *p256Element) int {
	var b uint64
	_, b = bits.Sub64(x[0], p256P[0], b)
	_, b = bits.Sub64(x[1], p256P[1], b)
	_, b = bits.Sub64(x[2], p256P[2], b)
	_, b = bits.Sub64(x[3], p256P[3], b)
	return int(b)
}

// setBytes decodes an uncompressed SEC 1 point and checks that it is on the curve
// y² = x³ - 3x + b. Infinity and compressed forms are refused: public keys in the
// ledger are always uncompressed.
func (p *p256Point) setBytes(b []byte) error {
	if len(b) != 65 || b[0] != 4 {
		return errors.New("sm2p256: not an uncompressed point")
	}
	var r p256Point
	p256BigToLittle(&r.x, (*[32]byte)(b[1:33]))
	p256BigToLittle(&r.y, (*[32]byte)(b[33:65]))
	if p256LessThanP(&r.x) == 0 || p256LessThanP(&r.y) == 0 {
		return errors.New("sm2p256: coordinate out of range")
	}
	p256Mul(&r.x, &r.x, &p256RR)
	p256Mul(&r.y, &r.y, &p256RR)
	var x3, threeX, lhs p256Element
	p256Sqr(&x3, &r.x, 1)
	p256Mul(&x3, &x3, &r.x)
	p256Add(&threeX, &r.x, &r.x)
	p256Add(&threeX, &threeX, &r.x)
	p256NegCond(&threeX, 1)
	p256Add(&x3, &x3, &threeX)
	p256Add(&x3, &x3, &p256B)
	p256Sqr(&lhs, &r.y, 1)
	if lhs != x3 {
		return errors.New("sm2p256: point not on the SM2 curve")
	}
	r.z = p256One
	*p = r
	return nil
}

// setGenerator sets p to the SM2 base point G.
func (p *p256Point) setGenerator() {
	p.x = p256Element{0x61328990f418029e, 0x3e7981eddca6c050, 0xd6a1ed99ac24c3c3, 0x91167a5ee1c13b05}
	p.y = p256Element{0xc1354e593c2d0ddd, 0xc1f5e5788d3295fa, 0x8d4cfb066e2a48f8, 0x63cd65d481d735bd}
	p.z = p256One
}

// boothW6 recodes a 7-bit window into a digit in [0, 32] and a sign.
func boothW6(in uint) (int, int) {
	var s uint = ^((in >> 6) - 1)
	var d uint = (1 << 7) - in - 1
	d = (d & s) | (in & (^s))
	d = (d >> 1) + (d & 1)
	return int(d), int(s & 1)
}

// baseMult sets p = scalar·B where tab holds the 43 six-bit windows of B's multiples.
// It is gmsm's p256BaseMult with the table made a parameter; scalar must be < n. The
// argument that the running sum never equals the point being added depends only on the
// scalar's digits and on B having prime order n, so it holds for any B on the curve.
func (p *p256Point) baseMult(tab *[43]p256AffineTable, scalar *p256OrdElement) {
	var t0 p256AffinePoint

	wvalue := (scalar[0] << 1) & 0x7f
	sel, sign := boothW6(uint(wvalue))
	p256SelectAffine(&t0, &tab[0], sel)
	p.x, p.y, p.z = t0.x, t0.y, p256One
	p256NegCond(&p.y, sign)

	index := uint(5)
	zero := sel

	for i := 1; i < 43; i++ {
		if index >= 192 {
			wvalue = (scalar[3] >> (index & 63)) & 0x7f
		} else if index >= 128 {
			wvalue = ((scalar[2] >> (index & 63)) + (scalar[3] << (64 - (index & 63)))) & 0x7f
		} else if index >= 64 {
			wvalue = ((scalar[1] >> (index & 63)) + (scalar[2] << (64 - (index & 63)))) & 0x7f
		} else {
			wvalue = ((scalar[0] >> (index & 63)) + (scalar[1] << (64 - (index & 63)))) & 0x7f
		}
		index += 6
		sel, sign = boothW6(uint(wvalue))
		p256SelectAffine(&t0, &tab[i], sel)
		p256PointAddAffineAsm(p, p, &t0, sign, sel, zero)
		zero |= sel
	}

	// The whole scalar was zero: infinity.
	inf := p256Point{x: p256One, y: p256One}
	p256MovCond(p, p, &inf, zero)
}

// add sets q = r1 + r2 for any inputs, infinity and equal points included.
func (q *p256Point) add(r1, r2 *p256Point) {
	var sum, double p256Point
	r1Inf := boolInt(r1.z == p256Zero)
	r2Inf := boolInt(r2.z == p256Zero)
	equal := p256PointAddAsm(&sum, r1, r2)
	p256PointDoubleAsm(&double, r1)
	p256MovCond(&sum, &double, &sum, equal)
	p256MovCond(&sum, r1, &sum, r2Inf)
	p256MovCond(&sum, r2, &sum, r1Inf)
	*q = sum
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
