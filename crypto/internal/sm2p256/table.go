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
	// windowBits is the width of one signed window of a scalar in a key's table.
	windowBits = 6
	// windowEntries is how many multiples a table keeps per window: digits lie in
	// [−2^(w−1)+1, 2^(w−1)], and a negative digit uses the entry of its absolute value
	// with y negated.
	windowEntries = 1 << (windowBits - 1)
	// windowCount covers a 256-bit scalar plus the carry that signed recoding can push
	// past its top bit.
	windowCount = (256 + windowBits) / windowBits

	// The base point's table is shared by every verification, so it affords wider
	// windows: 33 additions for [s]G instead of 43, for one 264 KiB table built once
	// (a few milliseconds, on the first verification). Eight bits measured a little
	// faster than seven (37 additions, 148 KiB), which is clearly faster than six.
	baseBits    = 8
	baseEntries = 1 << (baseBits - 1)
	baseCount   = (256 + baseBits) / baseBits
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

// baseTable is the same for G with baseBits-wide windows.
type baseTable struct {
	t [baseCount][baseEntries]affinePoint
}

var (
	genOnce  sync.Once
	genTable *baseTable
	// genPoint is the SM2 base point G (GB/T 32918.5).
	genPoint = [65]byte{4,
		0x32, 0xc4, 0xae, 0x2c, 0x1f, 0x19, 0x81, 0x19, 0x5f, 0x99, 0x04, 0x46, 0x6a, 0x39, 0xc9, 0x94,
		0x8f, 0xe3, 0x0b, 0xbf, 0xf2, 0x66, 0x0b, 0xe1, 0x71, 0x5a, 0x45, 0x89, 0x33, 0x4c, 0x74, 0xc7,
		0xbc, 0x37, 0x36, 0xa2, 0xf4, 0xf6, 0x77, 0x9c, 0x59, 0xbd, 0xce, 0xe3, 0x6b, 0x69, 0x21, 0x53,
		0xd0, 0xa9, 0x87, 0x7c, 0xc6, 0x2a, 0x47, 0x40, 0x02, 0xdf, 0x32, 0xe5, 0x21, 0x39, 0xf0, 0xa0,
	}
)

// generator returns the table for the base point G, built on first use rather than
// embedded, so that a binary that never verifies does not carry it.
func generator() *baseTable {
	genOnce.Do(func() {
		q, err := parsePoint(genPoint[:])
		if err != nil {
			panic("sm2p256: the base point is not on the curve") // a constant; tests catch it
		}
		t := new(baseTable)
		rows := make([][]affinePoint, baseCount)
		for i := range rows {
			rows[i] = t.t[i][:]
		}
		fillTable(rows, &q)
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
	q, err := parsePoint(uncompressed)
	if err != nil {
		return nil, err
	}
	t := new(Table)
	rows := make([][]affinePoint, windowCount)
	for i := range rows {
		rows[i] = t.t[i][:]
	}
	fillTable(rows, &q)
	return t, nil
}

func parsePoint(uncompressed []byte) (affinePoint, error) {
	var q affinePoint
	if len(uncompressed) != 65 || uncompressed[0] != 4 {
		return q, errPointEncoding
	}
	var ok1, ok2 bool
	q.x, ok1 = feFromBytes((*[32]byte)(uncompressed[1:33]))
	q.y, ok2 = feFromBytes((*[32]byte)(uncompressed[33:65]))
	if !ok1 || !ok2 {
		return q, errPointRange
	}
	if !q.isOnCurve() {
		return q, errNotOnCurve
	}
	return q, nil
}

// fillTable fills rows (one per window, 2^(w−1) entries each) with the multiples of q:
// row i holds j·2^(w·i)·q for j = 1…2^(w−1). Within a window, even multiples are
// doublings and odd ones additions of the window's base; the next window's base is 2^w
// times this one's, the double of its last entry. Everything stays in Jacobian
// coordinates (Z kept aside) and is made affine at the end with a single inversion
// (Montgomery's trick). No entry is infinity and no addition meets a special case:
// j·2^(w·i) is never 0 or ±1 modulo the prime order n for the j and i used.
func fillTable(rows [][]affinePoint, q *affinePoint) {
	entries := len(rows[0])
	total := len(rows) * entries
	zs := make([]fe, 2*total)
	z, prefix := zs[:total], zs[total:]

	load := func(i, j int) jacobian {
		return jacobian{rows[i][j].x, rows[i][j].y, z[i*entries+j]}
	}
	store := func(i, j int, p *jacobian) {
		rows[i][j].x, rows[i][j].y, z[i*entries+j] = p.x, p.y, p.z
	}

	var base, p jacobian
	base.setAffine(q)
	for i := range rows {
		store(i, 0, &base)
		for j := 2; j <= entries; j++ {
			if j%2 == 0 {
				h := load(i, j/2-1)
				p.double(&h)
			} else {
				prev := load(i, j-2)
				p.add(&prev, &base)
			}
			store(i, j-1, &p)
		}
		last := load(i, entries-1)
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
		e := &rows[k/entries][k%entries]
		feSqr(&zinv2, &zinv)
		feMul(&e.x, &e.x, &zinv2)
		feMul(&zinv2, &zinv2, &zinv)
		feMul(&e.y, &e.y, &zinv2)
	}
}

// recode writes k as signed w-bit digits, k = Σ d[i]·2^(w·i) with d[i] in
// [−2^(w−1)+1, 2^(w−1)], for len(d) = (256 + w)/w: the top window holds fewer than w
// bits of k plus a carry, so no carry is left over.
func recode(d []int16, k *scalar, w uint) {
	half := uint64(1) << (w - 1)
	var carry uint64
	for i := range d {
		v := k.window(uint(i)*w, w) + carry
		if v > half {
			d[i] = int16(int64(v) - int64(2*half))
			carry = 1
		} else {
			d[i] = int16(v)
			carry = 0
		}
	}
}

// window returns the w bits of k starting at bit pos (zeros past bit 255).
func (k *scalar) window(pos, w uint) uint64 {
	limb, off := pos/64, pos%64
	if limb >= 4 {
		return 0
	}
	v := k[limb] >> off
	if off+w > 64 && limb < 3 {
		v |= k[limb+1] << (64 - off)
	}
	return v & (1<<w - 1)
}

// addDigit adds d times the row's base point to acc, from the row's entries.
func (acc *jacobian) addDigit(row []affinePoint, d int16) {
	switch {
	case d > 0:
		acc.addAffine(&row[d-1], false)
	case d < 0:
		acc.addAffine(&row[-d-1], true)
	}
}

// touch loads the first word of the entry for digit d (each entry is one cache line),
// without a branch on d's sign; for d = 0 it loads an entry that goes unused. len(row)
// is a power of two.
func touch(row []affinePoint, d int16) uint64 {
	m := d >> 15
	i := uint16((d^m)-m) - 1
	return row[int(i)&(len(row)-1)].x[0]
}

// keep takes the touched words so that the compiler keeps the loads.
//
//go:noinline
func keep(uint64) {}

// sumMult returns [a]G + [b]P, P being the point whose table is t: one mixed addition
// per nonzero digit of either scalar, in one accumulator.
func sumMult(g *baseTable, a *scalar, t *Table, b *scalar) jacobian {
	var da [baseCount]int16
	var db [windowCount]int16
	recode(da[:], a, baseBits)
	recode(db[:], b, windowBits)

	// Touch every entry the sum will read before the first addition. A key's table is
	// usually not in cache (the ledger goes round hundreds of keys), and each addition
	// needs its entry at once; loaded here, the misses overlap instead of stalling one
	// addition after another.
	var sink uint64
	for i := range da {
		sink ^= touch(g.t[i][:], da[i])
	}
	for i := range db {
		sink ^= touch(t.t[i][:], db[i])
	}
	keep(sink)

	var acc jacobian
	for i := range max(baseCount, windowCount) {
		if i < baseCount {
			acc.addDigit(g.t[i][:], da[i])
		}
		if i < windowCount {
			acc.addDigit(t.t[i][:], db[i])
		}
	}
	return acc
}

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
