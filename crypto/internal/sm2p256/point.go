package sm2p256

// jacobian is a point (X : Y : Z) of the curve y² = x³ − 3x + b, standing for the affine
// point (X/Z², Y/Z³); Z = 0 is the point at infinity. Coordinates are field elements in
// Montgomery form.
type jacobian struct{ x, y, z fe }

// affinePoint is a point other than infinity in affine coordinates: 64 bytes, one cache
// line, the unit of a table.
type affinePoint struct{ x, y fe }

func (p *jacobian) isInfinity() bool { return p.z.isZero() }

func (p *jacobian) setAffine(q *affinePoint) {
	p.x, p.y, p.z = q.x, q.y, feOne
}

// double sets r = 2p, with the formulas for a = −3 (Bernstein–Lange "dbl-2001-b":
// 3 multiplications, 5 squarings). Infinity doubles to infinity (Z stays 0), and the
// curve has no point of order 2, so there is no other special case. r may be p.
func (r *jacobian) double(p *jacobian) {
	var delta, gamma, beta, alpha, t, u, x3, y3, z3 fe
	feSqr(&delta, &p.z)
	feSqr(&gamma, &p.y)
	feMul(&beta, &p.x, &gamma)
	// alpha = 3(X − delta)(X + delta) = 3X² − 3Z⁴, the tangent's slope with a = −3.
	feSub(&t, &p.x, &delta)
	feAdd(&u, &p.x, &delta)
	feMul(&alpha, &t, &u)
	feDouble(&t, &alpha)
	feAdd(&alpha, &alpha, &t)
	// Z3 = (Y + Z)² − gamma − delta = 2YZ.
	feAdd(&t, &p.y, &p.z)
	feSqr(&t, &t)
	feSub(&t, &t, &gamma)
	feSub(&z3, &t, &delta)
	// X3 = alpha² − 8 beta.
	feDouble(&beta, &beta)
	feDouble(&beta, &beta) // 4 beta
	feSqr(&x3, &alpha)
	feSub(&x3, &x3, &beta)
	feSub(&x3, &x3, &beta)
	// Y3 = alpha(4 beta − X3) − 8 gamma².
	feSub(&t, &beta, &x3)
	feMul(&y3, &alpha, &t)
	feSqr(&gamma, &gamma)
	feDouble(&gamma, &gamma)
	feDouble(&gamma, &gamma)
	feDouble(&gamma, &gamma)
	feSub(&y3, &y3, &gamma)
	r.x, r.y, r.z = x3, y3, z3
}

// addAffine sets p = p + q, or p − q when neg, for an affine q. It is the classical
// mixed addition (8 multiplications, 3 squarings; Hankerson–Menezes–Vanstone, Guide to
// Elliptic Curve Cryptography, algorithm 3.22) with every case the formulas leave out
// handled by a branch: p at infinity, p = q (a doubling) and p = −q (infinity).
// Verification works on public data only, so branching on it leaks nothing.
func (p *jacobian) addAffine(q *affinePoint, neg bool) {
	if p.isInfinity() {
		p.setAffine(q)
		if neg {
			feNeg(&p.y, &p.y)
		}
		return
	}
	// The order puts independent multiplications next to each other, so that the CPU
	// overlaps them.
	var z1z1, z1c, u2, s2, h, r, hh, hhh, v, rr, t fe
	feSqr(&z1z1, &p.z)
	feMul(&u2, &q.x, &z1z1)
	feMul(&z1c, &p.z, &z1z1)
	feSub(&h, &u2, &p.x) // U2 − X1: zero exactly when the x-coordinates agree
	feMul(&s2, &z1c, &q.y)
	if neg {
		feNeg(&s2, &s2)
	}
	feSub(&r, &s2, &p.y) // S2 − Y1
	if h.isZero() {
		if r.isZero() {
			p.double(p)
		} else {
			*p = jacobian{}
		}
		return
	}
	feSqr(&hh, &h)
	feSqr(&rr, &r)
	feMul(&hhh, &hh, &h)
	feMul(&v, &p.x, &hh)
	feMul(&p.z, &p.z, &h)
	feMul(&t, &hhh, &p.y) // Y1·H³
	// X3 = r² − H³ − 2V.
	feSub(&rr, &rr, &hhh)
	feSub(&rr, &rr, &v)
	feSub(&p.x, &rr, &v)
	// Y3 = r(V − X3) − Y1·H³.
	feSub(&v, &v, &p.x)
	feMul(&v, &v, &r)
	feSub(&p.y, &v, &t)
}

// add sets r = p + q for Jacobian p and q (12 multiplications, 4 squarings), with the
// same special cases as addAffine. It only builds tables. r may alias p or q.
func (r *jacobian) add(p, q *jacobian) {
	if p.isInfinity() {
		*r = *q
		return
	}
	if q.isInfinity() {
		*r = *p
		return
	}
	var z1z1, z2z2, u1, u2, s1, s2, h, rr, hh, hhh, v, t, x3, y3, z3 fe
	feSqr(&z1z1, &p.z)
	feSqr(&z2z2, &q.z)
	feMul(&u1, &p.x, &z2z2)
	feMul(&u2, &q.x, &z1z1)
	feMul(&s1, &q.z, &z2z2)
	feMul(&s1, &s1, &p.y)
	feMul(&s2, &p.z, &z1z1)
	feMul(&s2, &s2, &q.y)
	feSub(&h, &u2, &u1)
	feSub(&rr, &s2, &s1)
	if h.isZero() {
		if rr.isZero() {
			r.double(p)
		} else {
			*r = jacobian{}
		}
		return
	}
	feSqr(&hh, &h)
	feMul(&hhh, &hh, &h)
	feMul(&v, &u1, &hh)
	feMul(&z3, &p.z, &q.z)
	feMul(&z3, &z3, &h)
	feSqr(&t, &rr)
	feSub(&t, &t, &hhh)
	feSub(&t, &t, &v)
	feSub(&x3, &t, &v)
	feSub(&v, &v, &x3)
	feMul(&v, &v, &rr)
	feMul(&hhh, &hhh, &s1)
	feSub(&y3, &v, &hhh)
	r.x, r.y, r.z = x3, y3, z3
}

// isOnCurve reports whether y² = x³ − 3x + b.
func (q *affinePoint) isOnCurve() bool {
	var lhs, rhs, t fe
	feSqr(&lhs, &q.y)
	feSqr(&rhs, &q.x)
	feMul(&rhs, &rhs, &q.x)
	feDouble(&t, &q.x)
	feAdd(&t, &t, &q.x)
	feSub(&rhs, &rhs, &t)
	feAdd(&rhs, &rhs, &feB)
	return lhs == rhs
}
