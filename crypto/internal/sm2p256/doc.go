// Package sm2p256 verifies SM2 signatures with a precomputed table per public key.
//
// An SM2 verification computes [s]G + [t]Q (t = r + s mod n) and checks r = e + x₁
// (mod n). A general-purpose verifier multiplies by the fixed base G with a table but by
// the public key Q with a variable-base ladder (about 250 doublings), which is most of
// its time. The ledger verifies millions of signatures made by a few hundred registered
// keys, so this package builds, once per key, the same kind of table as for G: for each
// of 43 six-bit windows i, the 32 affine points j·2^(6i)·Q (88 KiB). G's own table,
// shared by all, has 33 eight-bit windows of 128 points (264 KiB). Both scalars are then
// written in signed digits of those widths, and the sum is one mixed (Jacobian + affine)
// addition per nonzero digit, 76 at most, into a single accumulator, with no doubling.
// The entries a verification will read are loaded before the first addition, so that
// cache misses on a table that went cold overlap.
// The last check compares x₁ in Jacobian coordinates, X = c·Z² for the candidates
// c = r − e mod n and c + n (when below p), so no field inversion is needed.
//
// The field arithmetic is GF(p) for p = 2²⁵⁶ − 2²²⁴ − 2⁹⁶ + 2⁶⁴ − 1 in Montgomery form
// over four 64-bit limbs. Since p ≡ −1 (mod 2⁶⁴), each Montgomery reduction step is
// shifts, additions and subtractions, without a multiplication. It is written in
// portable Go (math/bits), used on every architecture and under the purego tag.
// Scalars mod n only need addition, subtraction and comparison.
//
// # Guarantees
//
// Verify accepts and refuses exactly what github.com/emmansun/gmsm's sm2.VerifyASN1
// accepts and refuses: the same DER parser rules (minimal non-negative INTEGERs, nothing
// trailing), r and s in [1, n−1], t ≠ 0, a sum other than infinity, and r = e + x₁ mod n
// for the 32-byte digest e reduced mod n. The additions handle every special case
// (accumulator at infinity, doubling, sum to infinity) by a branch, so the sum is exact
// for any inputs, including signatures crafted to hit those cases part-way. The tests
// compare the two verifiers on random, mutated and crafted signatures (x₁ in [n, p),
// doublings and infinities at the end and in the middle of the sum, r or s out of range,
// t = 0, odd DER), compare the field arithmetic and the points with math/big and the
// library, and fuzz both.
//
// Verify does not allocate and never panics on input; NewTable refuses anything but an
// uncompressed point on the curve with coordinates below p.
//
// # Caveats
//
// Nothing here is constant-time: table lookups are direct indexing and the additions
// branch on their inputs. Verification handles public data only (key, digest,
// signature), so timing reveals nothing secret; do not use this code with secret
// scalars. A key's table is 88 KiB and takes about 0.6 ms to build; G's table is
// built by the first verification in the process (a few ms, 264 KiB); the parent
// package's MaxVerifyTables bounds how many key tables live at once. A wider window
// for key tables would save a few additions but double their memory and cache
// footprint for a few hundred keys, so they stay at six bits.
package sm2p256
