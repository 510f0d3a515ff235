package sm2p256

import (
	"math/bits"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// scalar is an integer below 2²⁵⁶ as four little-endian limbs.
type scalar [4]uint64

// orderN is the order n of the SM2 base point.
var orderN = scalar{0x53bbf40939d54123, 0x7203df6b21c6052b, 0xffffffffffffffff, 0xfffffffeffffffff}

// fieldP is the SM2 field prime p as a scalar, to compare x-coordinate candidates with.
var fieldP = scalar{0xffffffffffffffff, 0xffffffff00000000, 0xffffffffffffffff, 0xfffffffeffffffff}

// scalarFromBytes reads a big-endian unsigned integer of at most 32 bytes.
func scalarFromBytes(b []byte) (s scalar, ok bool) {
	if len(b) > 32 {
		return s, false
	}
	var buf [32]byte
	copy(buf[32-len(b):], b)
	for i := range s {
		off := 32 - 8*(i+1)
		s[i] = uint64(buf[off])<<56 | uint64(buf[off+1])<<48 | uint64(buf[off+2])<<40 | uint64(buf[off+3])<<32 |
			uint64(buf[off+4])<<24 | uint64(buf[off+5])<<16 | uint64(buf[off+6])<<8 | uint64(buf[off+7])
	}
	return s, true
}

// sub returns a - b and the borrow.
func (a scalar) sub(b scalar) (d scalar, borrow uint64) {
	d[0], borrow = bits.Sub64(a[0], b[0], 0)
	d[1], borrow = bits.Sub64(a[1], b[1], borrow)
	d[2], borrow = bits.Sub64(a[2], b[2], borrow)
	d[3], borrow = bits.Sub64(a[3], b[3], borrow)
	return d, borrow
}

// add returns a + b and the carry.
func (a scalar) add(b scalar) (s scalar, carry uint64) {
	s[0], carry = bits.Add64(a[0], b[0], 0)
	s[1], carry = bits.Add64(a[1], b[1], carry)
	s[2], carry = bits.Add64(a[2], b[2], carry)
	s[3], carry = bits.Add64(a[3], b[3], carry)
	return s, carry
}

func (a scalar) less(b scalar) bool { _, borrow := a.sub(b); return borrow == 1 }

func (a scalar) isZero() bool { return a[0]|a[1]|a[2]|a[3] == 0 }

// reduceOnce returns a mod n for a < 2n (every 256-bit value is).
func (a scalar) reduceOnce() scalar {
	if d, borrow := a.sub(orderN); borrow == 0 {
		return d
	}
	return a
}

// addModN returns a + b mod n for a, b < n.
func addModN(a, b scalar) scalar {
	s, carry := a.add(b)
	if d, borrow := s.sub(orderN); carry == 1 || borrow == 0 {
		return d
	}
	return s
}

// subModN returns a - b mod n for a, b < n.
func subModN(a, b scalar) scalar {
	d, borrow := a.sub(b)
	if borrow == 1 {
		d, _ = d.add(orderN)
	}
	return d
}

// parseSignature reads a DER SEQUENCE of two INTEGERs exactly as the SM library's
// verifier does (minimal non-negative encodings, nothing trailing) and returns r and s
// if both lie in [1, n-1].
func parseSignature(sig []byte) (r, s scalar, ok bool) {
	var inner cryptobyte.String
	var rb, sb []byte
	input := cryptobyte.String(sig)
	if !input.ReadASN1(&inner, asn1.SEQUENCE) || !input.Empty() ||
		!inner.ReadASN1Integer(&rb) || !inner.ReadASN1Integer(&sb) || !inner.Empty() {
		return r, s, false
	}
	if r, ok = scalarFromBytes(rb); !ok || r.isZero() || !r.less(orderN) {
		return r, s, false
	}
	if s, ok = scalarFromBytes(sb); !ok || s.isZero() || !s.less(orderN) {
		return r, s, false
	}
	return r, s, true
}
