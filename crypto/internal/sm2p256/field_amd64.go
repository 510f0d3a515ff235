//go:build amd64 && !purego

package sm2p256

import "golang.org/x/sys/cpu"

// useADX selects the assembly in field_amd64.s, which needs MULX (BMI2) and ADCX/ADOX
// (ADX): every x86-64 CPU since about 2014–2017 has them; older ones use the portable
// Go.
var useADX = cpu.X86.HasBMI2 && cpu.X86.HasADX

//go:noescape
func feMulADX(z, x, y *fe)

//go:noescape
func feSqrADX(z, x *fe)

// feMul sets z = x·y·2⁻²⁵⁶ mod p. z may alias x or y.
func feMul(z, x, y *fe) {
	if useADX {
		feMulADX(z, x, y)
		return
	}
	feMulGeneric(z, x, y)
}

// feSqr sets z = x²·2⁻²⁵⁶ mod p. z may alias x.
func feSqr(z, x *fe) {
	if useADX {
		feSqrADX(z, x)
		return
	}
	feSqrGeneric(z, x)
}
