//go:build amd64 && !purego

package sm2p256

import "golang.org/x/sys/cpu"

// useADX tells feMul and feSqr (field_amd64.s) to use MULX (BMI2) and ADCX/ADOX (ADX):
// every x86-64 CPU since about 2014–2017 has them; on older ones the assembly jumps to
// the portable Go.
var useADX = cpu.X86.HasBMI2 && cpu.X86.HasADX

// feMul sets z = x·y·2⁻²⁵⁶ mod p. z may alias x or y.
//
//go:noescape
func feMul(z, x, y *fe)

// feSqr sets z = x²·2⁻²⁵⁶ mod p. z may alias x.
//
//go:noescape
func feSqr(z, x *fe)
