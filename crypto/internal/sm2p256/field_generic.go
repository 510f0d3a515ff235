package sm2p256

import "math/bits"

// The portable Montgomery product and square. Both compute the 512-bit product t and
// then reduce it with feReduce (see feMontReduceRef for the reduction written as a
// loop). The rows and the reduction steps are written out inline because the Go
// compiler does not inline helpers this large, and a call per row or per reduction step
// would cost a third of the time; one call for the whole reduction costs a few percent.

// feMulGeneric sets z = x·y·2⁻²⁵⁶ mod p (the Montgomery product) in portable Go. z may
// alias x or y.
func feMulGeneric(z, x, y *fe) {
	x0, x1, x2, x3 := x[0], x[1], x[2], x[3]
	var c, h0, h1, h2, h3, l0, l1, l2, l3, w1, w2, w3 uint64

	// Row 0: t = x·y₀.
	y0 := y[0]
	h0, t0 := bits.Mul64(x0, y0)
	h1, l1 = bits.Mul64(x1, y0)
	h2, l2 = bits.Mul64(x2, y0)
	h3, l3 = bits.Mul64(x3, y0)
	t1, c := bits.Add64(l1, h0, 0)
	t2, c := bits.Add64(l2, h1, c)
	t3, c := bits.Add64(l3, h2, c)
	t4 := h3 + c

	// Rows 1 to 3: t += x·yᵢ·2⁶⁴ⁱ, each row summed as five limbs first, then added in.
	y1 := y[1]
	h0, l0 = bits.Mul64(x0, y1)
	h1, l1 = bits.Mul64(x1, y1)
	h2, l2 = bits.Mul64(x2, y1)
	h3, l3 = bits.Mul64(x3, y1)
	w1, c = bits.Add64(l1, h0, 0)
	w2, c = bits.Add64(l2, h1, c)
	w3, c = bits.Add64(l3, h2, c)
	t5 := h3 + c
	t1, c = bits.Add64(t1, l0, 0)
	t2, c = bits.Add64(t2, w1, c)
	t3, c = bits.Add64(t3, w2, c)
	t4, c = bits.Add64(t4, w3, c)
	t5 += c

	y2 := y[2]
	h0, l0 = bits.Mul64(x0, y2)
	h1, l1 = bits.Mul64(x1, y2)
	h2, l2 = bits.Mul64(x2, y2)
	h3, l3 = bits.Mul64(x3, y2)
	w1, c = bits.Add64(l1, h0, 0)
	w2, c = bits.Add64(l2, h1, c)
	w3, c = bits.Add64(l3, h2, c)
	t6 := h3 + c
	t2, c = bits.Add64(t2, l0, 0)
	t3, c = bits.Add64(t3, w1, c)
	t4, c = bits.Add64(t4, w2, c)
	t5, c = bits.Add64(t5, w3, c)
	t6 += c

	y3 := y[3]
	h0, l0 = bits.Mul64(x0, y3)
	h1, l1 = bits.Mul64(x1, y3)
	h2, l2 = bits.Mul64(x2, y3)
	h3, l3 = bits.Mul64(x3, y3)
	w1, c = bits.Add64(l1, h0, 0)
	w2, c = bits.Add64(l2, h1, c)
	w3, c = bits.Add64(l3, h2, c)
	t7 := h3 + c
	t3, c = bits.Add64(t3, l0, 0)
	t4, c = bits.Add64(t4, w1, c)
	t5, c = bits.Add64(t5, w2, c)
	t6, c = bits.Add64(t6, w3, c)
	t7 += c

	feReduce(z, t0, t1, t2, t3, t4, t5, t6, t7)
}

// feSqrGeneric sets z = x·x·2⁻²⁵⁶ mod p: the six cross products once, doubled, plus the
// four squares, then the same reduction as feMulGeneric. z may alias x.
func feSqrGeneric(z, x *fe) {
	x0, x1, x2, x3 := x[0], x[1], x[2], x[3]
	var c uint64

	// Cross products xᵢ·xⱼ (i < j) at limbs 1 to 6.
	h01, t1 := bits.Mul64(x0, x1)
	h02, l02 := bits.Mul64(x0, x2)
	h03, l03 := bits.Mul64(x0, x3)
	h12, l12 := bits.Mul64(x1, x2)
	h13, l13 := bits.Mul64(x1, x3)
	h23, l23 := bits.Mul64(x2, x3)
	// x₀·(x₁, x₂, x₃) at limbs 1 to 4.
	t2, c := bits.Add64(l02, h01, 0)
	t3, c := bits.Add64(l03, h02, c)
	t4 := h03 + c
	// x₁·(x₂, x₃) at limbs 3 to 5.
	u4, c := bits.Add64(l13, h12, 0)
	u5 := h13 + c
	t3, c = bits.Add64(t3, l12, 0)
	t4, c = bits.Add64(t4, u4, c)
	t5 := u5 + c
	// x₂·x₃ at limbs 5 and 6.
	t5, c = bits.Add64(t5, l23, 0)
	t6 := h23 + c

	// Double: limbs 1 to 7.
	t7 := t6 >> 63
	t6 = t6<<1 | t5>>63
	t5 = t5<<1 | t4>>63
	t4 = t4<<1 | t3>>63
	t3 = t3<<1 | t2>>63
	t2 = t2<<1 | t1>>63
	t1 <<= 1

	// Add the squares xᵢ² at limbs 2i and 2i+1.
	s0h, t0 := bits.Mul64(x0, x0)
	s1h, s1l := bits.Mul64(x1, x1)
	s2h, s2l := bits.Mul64(x2, x2)
	s3h, s3l := bits.Mul64(x3, x3)
	t1, c = bits.Add64(t1, s0h, 0)
	t2, c = bits.Add64(t2, s1l, c)
	t3, c = bits.Add64(t3, s1h, c)
	t4, c = bits.Add64(t4, s2l, c)
	t5, c = bits.Add64(t5, s2h, c)
	t6, c = bits.Add64(t6, s3l, c)
	t7 += s3h + c

	feReduce(z, t0, t1, t2, t3, t4, t5, t6, t7)
}

// feReduce sets z to the Montgomery reduction of the 512-bit t = t0 + t1·2⁶⁴ + … +
// t7·2⁴⁴⁸: four steps on the low half (p ≡ −1 mod 2⁶⁴, so each step's multiplier is
// the low limb itself), the high half added, and p subtracted once if the sum is not
// below it, in constant time.
func feReduce(z *fe, t0, t1, t2, t3, t4, t5, t6, t7 uint64) {
	var m, lo, hi, v0, v1, v2, v3, b, c uint64
	m = t0
	lo, hi = m<<32, m>>32
	v0, b = bits.Sub64(m, lo, 0)
	v1, b = bits.Sub64(0, hi, b)
	v2, b = bits.Sub64(0, lo, b)
	v3, _ = bits.Sub64(m, hi, b)
	t0, c = bits.Add64(t1, v0, 0)
	t1, c = bits.Add64(t2, v1, c)
	t2, c = bits.Add64(t3, v2, c)
	t3 = v3 + c

	m = t0
	lo, hi = m<<32, m>>32
	v0, b = bits.Sub64(m, lo, 0)
	v1, b = bits.Sub64(0, hi, b)
	v2, b = bits.Sub64(0, lo, b)
	v3, _ = bits.Sub64(m, hi, b)
	t0, c = bits.Add64(t1, v0, 0)
	t1, c = bits.Add64(t2, v1, c)
	t2, c = bits.Add64(t3, v2, c)
	t3 = v3 + c

	m = t0
	lo, hi = m<<32, m>>32
	v0, b = bits.Sub64(m, lo, 0)
	v1, b = bits.Sub64(0, hi, b)
	v2, b = bits.Sub64(0, lo, b)
	v3, _ = bits.Sub64(m, hi, b)
	t0, c = bits.Add64(t1, v0, 0)
	t1, c = bits.Add64(t2, v1, c)
	t2, c = bits.Add64(t3, v2, c)
	t3 = v3 + c

	m = t0
	lo, hi = m<<32, m>>32
	v0, b = bits.Sub64(m, lo, 0)
	v1, b = bits.Sub64(0, hi, b)
	v2, b = bits.Sub64(0, lo, b)
	v3, _ = bits.Sub64(m, hi, b)
	t0, c = bits.Add64(t1, v0, 0)
	t1, c = bits.Add64(t2, v1, c)
	t2, c = bits.Add64(t3, v2, c)
	t3 = v3 + c

	t0, c = bits.Add64(t0, t4, 0)
	t1, c = bits.Add64(t1, t5, c)
	t2, c = bits.Add64(t2, t6, c)
	t3, c = bits.Add64(t3, t7, c)
	v0, b = bits.Sub64(t0, p0, 0)
	v1, b = bits.Sub64(t1, p1, b)
	v2, b = bits.Sub64(t2, p2, b)
	v3, b = bits.Sub64(t3, p3, b)
	_, b = bits.Sub64(c, 0, b)
	keep := -b
	z[0] = v0 ^ ((v0 ^ t0) & keep)
	z[1] = v1 ^ ((v1 ^ t1) & keep)
	z[2] = v2 ^ ((v2 ^ t2) & keep)
	z[3] = v3 ^ ((v3 ^ t3) & keep)
}
