//go:build !amd64 || purego

package sm2p256

// feMul sets z = x·y·2⁻²⁵⁶ mod p. z may alias x or y.
func feMul(z, x, y *fe) { feMulGeneric(z, x, y) }

// feSqr sets z = x²·2⁻²⁵⁶ mod p. z may alias x.
func feSqr(z, x *fe) { feSqrGeneric(z, x) }
