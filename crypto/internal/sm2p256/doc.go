// Package sm2p256 verifies SM2 signatures with a precomputed table per public key.
//
// An SM2 verification computes [s]G + [t]Q. The SM library multiplies by the fixed base
// G with a precomputed table but by the public key Q with a variable-base ladder (252
// doublings and 43 additions), and that ladder is about three quarters of a verification.
// The ledger verifies millions of signatures made by a few hundred registered keys, so
// this package builds, once per key, the same kind of table the library keeps for G
// (88 KiB) and turns both multiplications into 42 mixed additions each; it also checks
// r = e + x₁ (mod n) in Jacobian coordinates, without the field inversion. A verification
// costs roughly a third of the library's.
//
// It accepts and refuses exactly what github.com/emmansun/gmsm's sm2.VerifyASN1 accepts
// and refuses: the tests compare the two on random and crafted signatures, including one
// whose x₁ lies in [n, p), and a fuzz target keeps comparing them.
//
// The field arithmetic is gmsm's amd64 assembly (MIT; LICENSE.gmsm), copied because the
// library keeps it internal. Elsewhere (other architectures, purego or plugin builds)
// [Supported] is false and callers fall back to the library. Verification handles public
// data only; the table lookups stay constant-time anyway, as in the library.
package sm2p256
