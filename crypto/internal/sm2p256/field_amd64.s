//go:build amd64 && !purego

#include "textflag.h"

// Montgomery multiplication and squaring in GF(p), p = 2²⁵⁶ − 2²²⁴ − 2⁹⁶ + 2⁶⁴ − 1,
// for CPUs with BMI2 (MULX) and ADX (ADCX, ADOX); on others (useADX false) they jump to
// the portable Go versions. The algorithm is the one of field_generic.go: the 512-bit
// product in R8…R14 and DI, then four Montgomery steps on the low half R8…R11 (m·p added
// with shifts, since p ≡ −1 mod 2⁶⁴), then the high half added and p subtracted once if
// needed. R15 is left alone: reading useADX may clobber it when dynamically linked.
// The dispatch sits here, not in Go, so that feMul stays a single call.

// MONT_STEP adds m·p to the four-limb low half (a0, a1, a2, a3) with m = a0 and drops
// the zero limb: the result (a1, a2, a3, a0) = a1…a3 + m + m·2¹⁹² − m·2¹⁶⁰ − m·2³².
// Wrap-around past 2²⁵⁶ in the middle is harmless: the result is below 2²⁵⁶.
// Clobbers AX, BX.
#define MONT_STEP(a0, a1, a2, a3) \
	MOVQ a0, AX       \
	SHLQ $32, AX      \
	MOVQ a0, BX       \
	SHRQ $32, BX      \
	ADDQ a0, a1       \
	ADCQ $0, a2       \
	ADCQ $0, a3       \
	ADCQ $0, a0       \
	SUBQ AX, a1       \
	SBBQ BX, a2       \
	SBBQ AX, a3       \
	SBBQ BX, a0

// REDUCE turns the product in R8…R14, DI into the reduced result in R8…R11 and stores
// it at z. Clobbers AX, BX, CX, SI, DI, R12…R14.
#define REDUCE \
	MONT_STEP(R8, R9, R10, R11)  \
	MONT_STEP(R9, R10, R11, R8)  \
	MONT_STEP(R10, R11, R8, R9)  \
	MONT_STEP(R11, R8, R9, R10)  \
	XORQ CX, CX                  \
	ADDQ R12, R8                 \
	ADCQ R13, R9                 \
	ADCQ R14, R10                \
	ADCQ DI, R11                 \
	ADCQ $0, CX                  \
	MOVQ R8, R12                 \
	MOVQ R9, R13                 \
	MOVQ R10, R14                \
	MOVQ R11, SI                 \
	MOVQ $0xffffffff00000000, AX \
	MOVQ $0xfffffffeffffffff, BX \
	SUBQ $-1, R12                \
	SBBQ AX, R13                 \
	SBBQ $-1, R14                \
	SBBQ BX, SI                  \
	SBBQ $0, CX                  \
	CMOVQCC R12, R8              \
	CMOVQCC R13, R9              \
	CMOVQCC R14, R10             \
	CMOVQCC SI, R11              \
	MOVQ z+0(FP), DI             \
	MOVQ R8, 0(DI)               \
	MOVQ R9, 8(DI)               \
	MOVQ R10, 16(DI)             \
	MOVQ R11, 24(DI)

// func feMul(z, x, y *fe)
TEXT ·feMul(SB), NOSPLIT, $0-24
	CMPB ·useADX(SB), $0
	JEQ  mulGeneric
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI

	// Row 0: R8…R12 = x·y₀.
	MOVQ  0(DI), DX
	MULXQ 0(SI), R8, R9
	MULXQ 8(SI), AX, R10
	ADDQ  AX, R9
	MULXQ 16(SI), AX, R11
	ADCQ  AX, R10
	MULXQ 24(SI), AX, R12
	ADCQ  AX, R11
	ADCQ  $0, R12

	// Row 1: R9…R13 += x·y₁, low halves on the CF chain, high halves on the OF chain.
	MOVQ  8(DI), DX
	XORQ  CX, CX
	MULXQ 0(SI), AX, BX
	ADCXQ AX, R9
	ADOXQ BX, R10
	MULXQ 8(SI), AX, BX
	ADCXQ AX, R10
	ADOXQ BX, R11
	MULXQ 16(SI), AX, BX
	ADCXQ AX, R11
	ADOXQ BX, R12
	MULXQ 24(SI), AX, R13
	ADCXQ AX, R12
	ADOXQ CX, R13
	ADCXQ CX, R13

	// Row 2: R10…R14 += x·y₂.
	MOVQ  16(DI), DX
	XORQ  CX, CX
	MULXQ 0(SI), AX, BX
	ADCXQ AX, R10
	ADOXQ BX, R11
	MULXQ 8(SI), AX, BX
	ADCXQ AX, R11
	ADOXQ BX, R12
	MULXQ 16(SI), AX, BX
	ADCXQ AX, R12
	ADOXQ BX, R13
	MULXQ 24(SI), AX, R14
	ADCXQ AX, R13
	ADOXQ CX, R14
	ADCXQ CX, R14

	// Row 3: R11…R14, DI += x·y₃ (y's pointer is not needed after its last limb).
	MOVQ  24(DI), DX
	XORQ  CX, CX
	MULXQ 0(SI), AX, BX
	ADCXQ AX, R11
	ADOXQ BX, R12
	MULXQ 8(SI), AX, BX
	ADCXQ AX, R12
	ADOXQ BX, R13
	MULXQ 16(SI), AX, BX
	ADCXQ AX, R13
	ADOXQ BX, R14
	MULXQ 24(SI), AX, DI
	ADCXQ AX, R14
	ADOXQ CX, DI
	ADCXQ CX, DI

	REDUCE
	RET

mulGeneric:
	JMP ·feMulGeneric(SB)

// func feSqr(z, x *fe)
TEXT ·feSqr(SB), NOSPLIT, $0-16
	CMPB ·useADX(SB), $0
	JEQ  sqrGeneric
	MOVQ x+8(FP), SI

	// Cross products x₀·(x₁, x₂, x₃) at limbs 1…4 (R9…R12).
	MOVQ  0(SI), DX
	MULXQ 8(SI), R9, R10
	MULXQ 16(SI), AX, R11
	ADDQ  AX, R10
	MULXQ 24(SI), AX, R12
	ADCQ  AX, R11
	ADCQ  $0, R12

	// x₁·(x₂, x₃) at limbs 3…5 (R13 new).
	MOVQ  8(SI), DX
	MULXQ 16(SI), AX, BX
	MULXQ 24(SI), CX, R13
	ADDQ  CX, BX
	ADCQ  $0, R13
	ADDQ  AX, R11
	ADCQ  BX, R12
	ADCQ  $0, R13

	// x₂·x₃ at limbs 5, 6 (R14 new).
	MOVQ  16(SI), DX
	MULXQ 24(SI), AX, R14
	ADDQ  AX, R13
	ADCQ  $0, R14

	// Double the cross products into limbs 1…7 (DI is limb 7).
	XORQ DI, DI
	ADDQ R9, R9
	ADCQ R10, R10
	ADCQ R11, R11
	ADCQ R12, R12
	ADCQ R13, R13
	ADCQ R14, R14
	ADCQ DI, DI

	// Add the squares xᵢ² at limbs 2i, 2i+1.
	MOVQ  0(SI), DX
	MULXQ DX, R8, AX
	ADDQ  AX, R9
	MOVQ  8(SI), DX
	MULXQ DX, AX, BX
	ADCQ  AX, R10
	ADCQ  BX, R11
	MOVQ  16(SI), DX
	MULXQ DX, AX, BX
	ADCQ  AX, R12
	ADCQ  BX, R13
	MOVQ  24(SI), DX
	MULXQ DX, AX, BX
	ADCQ  AX, R14
	ADCQ  BX, DI

	REDUCE
	RET

sqrGeneric:
	JMP ·feSqrGeneric(SB)
