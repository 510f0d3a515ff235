package sm2p256

import (
	"errors"
	"sync"
)

// Supported reports that the table verifier is compiled in. It is true on every
// architecture (the field arithmetic has a portable Go version); callers keep the check
// so that a build without the fast path could switch it off in one place.
const Supported = true

const (
	// windowBits is the width of one signed window of a scalar.
	windowBits = 6
	// windowEntries is how many multiples a table keeps per window: digits lie in
	// [−2^(w−1)+1, 2^(w−1)], and a negative digit uses the entry of its absolute value
	// with y negated.
	windowEntries = 1 << (windowBits - 1)
	// windowCount covers a 256-bit scalar plus the carry that signed recoding can push
	// past its top bit.
	windowCount = (256 + windowBits) / windowBits
)

// Table holds the multiples of one point P that a fixed-base multiplication reads: for
// each window i, the affine points j·2^(6i)·P for j = 1…32 (43 × 32 × 64 bytes = 88 KiB).
// A scalar multiplication is then one mixed addition per nonzero window digit and no
// doubling.
type Table struct {
	t [windowCount][windowEntries]affinePoint
}

// TableSize is the memory one Table holds, for callers that budget a cache of them.
const TableSize = windowCount * windowEntries * 64

var (
	genOnce  sync.Once
	genTable *Table
	// genPoint is the SM2 base point G (GB/T 32918.5).
	genPoint = [65]byte{4,
		0x32, 0xc4, 0xae, 0x2c, 0x1f, 0x19, 0x81, 0x19, 0x5f, 0x99, 0x04, 0x46, 0x6a, 0x39, 0xc9, 0x94,
		0x8f, 0xe3, 0x0b, 0xbf, 0xf2, 0x66, 0x0b, 0xe1, 0x71, 0x5a, 0x45, 0x89, 0x33, 0x4c, 0x74, 0xc7,
		0xbc, 0x37, 0x36, 0xa2, 0xf4, 0xf6, 0x77, 0x9c, 0x59, 0xbd, 0xce, 0xe3, 0x6b, 0x69, 0x21, 0x53,
		0xd0, 0xa9, 0x87, 0x7c, 0xc6, 0x2a, 0x47, 0x40, 0x02, 0xdf, 0x32, 0xe5, 0x21, 0x39, 0xf0, 0xa0,
	}
)

// generator returns the table for the base point G, built on first use (under a
// millisecond) rather than embedded, so that a binary that never verifies does not
// carry 88 KiB of it.
func generator() *Table {
	genOnce.Do(func() {
		t, err := NewTable(genPoint[:])
		if err != nil {
			panic("sm2p256: the base point is not on the curve") // a constant; tests catch it
		}
		genTable = t
	})
	return genTable
}

var (
	errPointEncoding = errors.New("sm2p256: a public key must be 65 bytes, 0x04 ‖ X ‖ Y")
	errPointRange    = errors.New("sm2p256: public key coordinate not below p")
	errNotOnCurve    = errors.New("sm2p256: public key is not on the SM2 curve")
)

// NewTable precomputes the table for the public key given as an uncompressed SEC 1
// point (0x04 ‖ X ‖ Y). It refuses any other encoding (compressed, infinity),
// coordinates not below p, and points not on the SM2 curve; the curve's order is prime,
// so every point it accepts generates the whole group.
func NewTable(uncompressed []byte) (*Table, error) {
	if len(uncompressed) != 65 || uncompressed[0] != 4 {
		return nil, errPointEncoding
	}
	var q affinePoint
	var ok1, ok2 bool
	q.x, ok1 = feFromBytes((*[32]byte)(uncompressed[1:33]))
	q.y, ok2 = feFromBytes((*[32]byte)(uncompressed[33:65]))
	if !ok1 || !ok2 {
		return nil, errPointRange
	}
	if !q.isOnCurve() {
		return nil, errNotOnCurve
	}
	return buildTable(&q), nil
}

// buildTable fills the table for q. Within a window, even multiples are doublings and
// odd ones additions of the window's base; the next window's base is 2^6 times this
// one's, the double of its last entry. Everything stays in Jacobian coordinates (Z kept
// aside) and is made affine at the end with a single inversion (Montgomery's trick).
// No entry is infinity and no addition meets a special case: j·2^(6i) is never 0 or ±1
// modulo the prime order n for the j and i used.
func buildTable(q *affinePoint) *Table {
	t := new(Table)
	const total = windowCount * windowEntries
	zs := make([]fe, 2*total)
	z, prefix := zs[:total], zs[total:]

	load := func(i, j int) jacobian {
		return jacobian{t.t[i][j].x, t.t[i][j].y, z[i*windowEntries+j]}
	}
	store := func(i, j int, p *jacobian) {
		t.t[i][j].x, t.t[i][j].y, z[i*windowEntries+j] = p.x, p.y, p.z
	}

	var base, p jacobian
	base.setAffine(q)
	for i := range windowCount {
		store(i, 0, &base)
		for j := 2; j <= windowEntries; j++ {
			if j%2 == 0 {
				h := load(i, j/2-1)
				p.double(&h)
			} else {
				prev := load(i, j-2)
				p.add(&prev, &base)
			}
			store(i, j-1, &p)
		}
		last := load(i, windowEntries-1)
		base.double(&last)
	}

	// prefix[k] = z[0]·…·z[k]; one inversion of the whole product, then walk back.
	prefix[0] = z[0]
	for k := 1; k < total; k++ {
		feMul(&prefix[k], &prefix[k-1], &z[k])
	}
	var inv, zinv, zinv2 fe
	feInv(&inv, &prefix[total-1])
	for k := total - 1; k >= 0; k-- {
		if k > 0 {
			feMul(&zinv, &inv, &prefix[k-1]) // 1/z[k]
			feMul(&inv, &inv, &z[k])         // 1/(z[0]·…·z[k−1])
		} else {
			zinv = inv
		}
		e := &t.t[k/windowEntries][k%windowEntries]
		feSqr(&zinv2, &zinv)
		feMul(&e.x, &e.x, &zinv2)
		feMul(&zinv2, &zinv2, &zinv)
		feMul(&e.y, &e.y, &zinv2)
	}
	return t
}

// recode writes k as signed digits: k = Σ d[i]·2^(6i) with d[i] in [−31, 32].
func recode(d *[windowCount]int8, k *scalar) {
	var carry uint64
	for i := range windowCount {
		v := k.window(uint(i*windowBits)) + carry
		if v > windowEntries {
			d[i] = int8(int64(v) - 2*windowEntries)
			carry = 1
		} else {
			d[i] = int8(v)
			carry = 0
		}
	}
	// The top window holds at most four bits of k plus a carry, so no carry is left.
}

// window returns the windowBits bits of k starting at bit pos (zeros past bit 255).
func (k *scalar) window(pos uint) uint64 {
	limb, off := pos/64, pos%64
	if limb >= 4 {
		return 0
	}
	v := k[limb] >> off
	if off+windowBits > 64 && limb < 3 {
		v |= k[limb+1] << (64 - off)
	}
	return v & (1<<windowBits - 1)
}

// addDigit adds d·(the window's base) to acc from the window's entries.
func (acc *jacobian) addDigit(w *[windowEntries]affinePoint, d int8) {
	switch {
	case d > 0:
		acc.addAffine(&w[d-1], false)
	case d < 0:
		acc.addAffine(&w[-d-1], true)
	}
}

// sumMult returns [a]A + [b]B for the points whose tables are ta and tb: one mixed
// addition per nonzero digit of either scalar, in one accumulator.
func sumMult(ta *Table, a *scalar, tb *Table, b *scalar) jacobian {
	var da, db [windowCount]int8
	recode(&da, a)
	recode(&db, b)
	// Touch every entry the sum will read before the first addition. A key's table is
	// usually not in cache (the ledger goes round hundreds of keys), and each addition
	// needs its entry at once; loaded here, the misses overlap instead of stalling one
	// addition after another (with 300 keys, this saves about 1.7 of the 7 µs a verification loses to cache and TLB misses).
	var sink uint64
	for i := range windowCount {
		sink ^= touch(&ta.t[i], da[i]) ^ touch(&tb.t[i], db[i])
	}
	keep(sink)

	var acc jacobian
	for i := range windowCount {
		acc.addDigit(&ta.t[i], da[i])
		acc.addDigit(&tb.t[i], db[i])
	}
	return acc
}

// touch loads the first word of the entry for digit d (each entry is one cache line),
// without a branch on d's sign; for d = 0 it loads an entry that goes unused.
func touch(w *[windowEntries]affinePoint, d int8) uint64 {
	m := d >> 7
	i := uint8((d^m)-m) - 1
	return w[i&(windowEntries-1)].x[0]
}

// keep takes the touched words so that the compiler keeps the loads.
//
//go:noinline
func keep(uint64) {}

// Verify reports whether sig (DER) is a valid SM2 signature over the digest
// e = SM3(ZA ‖ M) by the key whose table is t. It accepts exactly what the SM library's
// VerifyASN1 accepts: r, s in [1, n−1], t = r + s mod n ≠ 0, (x₁, y₁) = [s]G + [t]Q not
// infinity, and r = e + x₁ mod n. The last check is made without leaving Jacobian
// coordinates: x₁ ≡ r − e (mod n) with x₁ < p leaves at most two candidates c (c and
// c + n), and x₁ = c exactly when X = c·Z². Verify never panics on malformed input; a
// nil table verifies nothing.
func Verify(t *Table, e *[32]byte, sig []byte) bool {
	if t == nil || e == nil {
		return false
	}
	r, s, ok := parseSignature(sig)
	if !ok {
		return false
	}
	k := addModN(r, s)
	if k.isZero() {
		return false
	}
	acc := sumMult(generator(), &s, t, &k)
	if acc.isInfinity() {
		return false
	}
	ee, _ := scalarFromBytes(e[:])
	c := subModN(r, ee.reduceOnce())

	// With X and Z² in Montgomery form, the Montgomery product of the plain c and Z²
	// is the plain c·Z², to compare with the plain X.
	var zz, x, cz fe
	feSqr(&zz, &acc.z)
	x = fe(feToInt(&acc.x))
	feMul(&cz, (*fe)(&c), &zz)
	if cz == x {
		return true
	}
	if c2, carry := c.add(orderN); carry == 0 && c2.less(fieldP) {
		feMul(&cz, (*fe)(&c2), &zz)
		return cz == x
	}
	return false
}
