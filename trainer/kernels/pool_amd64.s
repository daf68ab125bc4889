//go:build amd64

#include "textflag.h"

DATA poolconst<>+0(SB)/4, $1
DATA poolconst<>+4(SB)/4, $2
DATA poolconst<>+8(SB)/4, $3
DATA poolconst<>+12(SB)/4, $-1
GLOBL poolconst<>(SB), RODATA|NOPTR, $16

// func maxPool4AVX(x, pooled *float32, arg *int32, n int)
//
// Strict > comparisons in order 1, 2, 3 keep the first of equal maxima.
TEXT ·maxPool4AVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ pooled+8(FP), DI
	MOVQ arg+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ CX, R8
	SHLQ $2, R8                 // R8 = n*4 bytes: one block
	LEAQ (SI)(R8*2), R9         // R9 = x2
	VPBROADCASTD poolconst<>+0(SB), Y12
	VPBROADCASTD poolconst<>+4(SB), Y13
	VPBROADCASTD poolconst<>+8(SB), Y14
	VPBROADCASTD poolconst<>+12(SB), Y11
	VXORPS Y15, Y15, Y15
	SHRQ $3, CX
loop:
	VMOVUPS (SI), Y0            // best = x0
	VXORPS Y4, Y4, Y4           // at = 0
	VMOVUPS (SI)(R8*1), Y1
	VCMPPS $0x1E, Y0, Y1, Y5    // x1 > best
	VBLENDVPS Y5, Y1, Y0, Y0
	VBLENDVPS Y5, Y12, Y4, Y4
	VMOVUPS (R9), Y1
	VCMPPS $0x1E, Y0, Y1, Y5    // x2 > best
	VBLENDVPS Y5, Y1, Y0, Y0
	VBLENDVPS Y5, Y13, Y4, Y4
	VMOVUPS (R9)(R8*1), Y1
	VCMPPS $0x1E, Y0, Y1, Y5    // x3 > best
	VBLENDVPS Y5, Y1, Y0, Y0
	VBLENDVPS Y5, Y14, Y4, Y4
	VCMPPS $0x1E, Y15, Y0, Y6   // best > 0 (false for NaN, as in Go)
	VANDPS Y6, Y0, Y0           // else +0
	VBLENDVPS Y6, Y4, Y11, Y4   // else -1
	VMOVUPS Y0, (DI)
	VMOVDQU Y4, (DX)
	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNZ loop
	VZEROUPPER
	RET

// func unpool4AVX(arg *int32, d *float32, stride int, grad *float32, n int)
TEXT ·unpool4AVX(SB), NOSPLIT, $0-40
	MOVQ arg+0(FP), SI
	MOVQ d+8(FP), BX
	MOVQ stride+16(FP), AX
	MOVQ grad+24(FP), DI
	MOVQ n+32(FP), CX
	MOVQ CX, R8
	SHLQ $2, R8                 // one block of g in bytes
	LEAQ (DI)(R8*2), R9         // g2
	// Y10 = stride * (0..7): gather indices; R10 = 8*stride*4 bytes per step.
	MOVQ AX, X10
	VPBROADCASTD X10, Y10
	VPMULLD lanes<>(SB), Y10, Y10
	MOVQ AX, R10
	SHLQ $5, R10
	VPBROADCASTD poolconst<>+0(SB), Y12
	VPBROADCASTD poolconst<>+4(SB), Y13
	VPBROADCASTD poolconst<>+8(SB), Y14
	VPXOR Y15, Y15, Y15
	SHRQ $3, CX
	CMPQ AX, $1
	JEQ contig
uloop:
	VPCMPEQD Y0, Y0, Y0         // gather mask: all lanes
	VXORPS Y1, Y1, Y1
	VGATHERDPS Y0, (BX)(Y10*4), Y1
	VMOVDQU (SI), Y2
	VPCMPEQD Y15, Y2, Y3
	VANDPS Y1, Y3, Y4
	VMOVUPS Y4, (DI)
	VPCMPEQD Y12, Y2, Y3
	VANDPS Y1, Y3, Y4
	VMOVUPS Y4, (DI)(R8*1)
	VPCMPEQD Y13, Y2, Y3
	VANDPS Y1, Y3, Y4
	VMOVUPS Y4, (R9)
	VPCMPEQD Y14, Y2, Y3
	VANDPS Y1, Y3, Y4
	VMOVUPS Y4, (R9)(R8*1)
	ADDQ R10, BX
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R9
	DECQ CX
	JNZ uloop
	VZEROUPPER
	RET
contig:                         // stride 1: plain loads
	VMOVUPS (BX), Y1
	VMOVDQU (SI), Y2
	VPCMPEQD Y15, Y2, Y3
	VANDPS Y1, Y3, Y4
	VMOVUPS Y4, (DI)
	VPCMPEQD Y12, Y2, Y3
	VANDPS Y1, Y3, Y4
	VMOVUPS Y4, (DI)(R8*1)
	VPCMPEQD Y13, Y2, Y3
	VANDPS Y1, Y3, Y4
	VMOVUPS Y4, (R9)
	VPCMPEQD Y14, Y2, Y3
	VANDPS Y1, Y3, Y4
	VMOVUPS Y4, (R9)(R8*1)
	ADDQ $32, BX
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R9
	DECQ CX
	JNZ contig
	VZEROUPPER
	RET

DATA lanes<>+0(SB)/4, $0
DATA lanes<>+4(SB)/4, $1
DATA lanes<>+8(SB)/4, $2
DATA lanes<>+12(SB)/4, $3
DATA lanes<>+16(SB)/4, $4
DATA lanes<>+20(SB)/4, $5
DATA lanes<>+24(SB)/4, $6
DATA lanes<>+28(SB)/4, $7
GLOBL lanes<>(SB), RODATA|NOPTR, $32
