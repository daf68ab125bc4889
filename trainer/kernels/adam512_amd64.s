//go:build amd64

#include "textflag.h"

// The Adam kernels of adam_amd64.s with 16-lane ZMM vectors, for CPUs with
// AVX-512F. Same operations in the same order (VSQRTPS and VDIVPS are
// correctly rounded at any width), so the same bits.

// Constants from X8-X12 loaded by the caller: Z8 lrT, Z9 1-beta1,
// Z10 1-beta2, Z11 eps, Z12 gscale, Z13 the |x| mask, Z14 2^-126.
#define ADAM512_CONSTANTS \
	VBROADCASTSS X8, Z8; \
	VBROADCASTSS X9, Z9; \
	VBROADCASTSS X10, Z10; \
	VBROADCASTSS X11, Z11; \
	VBROADCASTSS X12, Z12; \
	MOVL $0x7fffffff, R8; \
	MOVL R8, X13; \
	VPBROADCASTD X13, Z13; \
	MOVL $0x00800000, R8; \
	MOVL R8, X14; \
	VPBROADCASTD X14, Z14

// One vector, Z0 holding the scaled gradient, AX/BX/CX pointing at w, m, v.
// A lane of m or v whose magnitude is below 2^-126 is zeroed (K1 keeps the
// lanes that are not less: NaN stays NaN, as in the Go path).
#define ADAM512_UPDATE \
	VMOVUPS (BX), Z1; \
	VSUBPS Z1, Z0, Z2; \
	VMULPS Z9, Z2, Z2; \
	VADDPS Z2, Z1, Z1; \
	VANDPS Z13, Z1, Z15; \
	VCMPPS $5, Z14, Z15, K1; \
	VMOVAPS.Z Z1, K1, Z1; \
	VMOVUPS Z1, (BX); \
	VMULPS Z0, Z0, Z3; \
	VMOVUPS (CX), Z4; \
	VSUBPS Z4, Z3, Z3; \
	VMULPS Z10, Z3, Z3; \
	VADDPS Z3, Z4, Z4; \
	VANDPS Z13, Z4, Z15; \
	VCMPPS $5, Z14, Z15, K1; \
	VMOVAPS.Z Z4, K1, Z4; \
	VMOVUPS Z4, (CX); \
	VSQRTPS Z4, Z5; \
	VADDPS Z11, Z5, Z5; \
	VMULPS Z1, Z8, Z6; \
	VDIVPS Z5, Z6, Z6; \
	VMOVUPS (AX), Z7; \
	VSUBPS Z6, Z7, Z7; \
	VMOVUPS Z7, (AX)

// func adam512(w, m, v, grad *float32, n int, lrT, omb1, omb2, eps, gscale float32)
//
// n is a multiple of 16.
TEXT ·adam512(SB), NOSPLIT, $0-60
	MOVQ w+0(FP), AX
	MOVQ m+8(FP), BX
	MOVQ v+16(FP), CX
	MOVQ grad+24(FP), DX
	MOVQ n+32(FP), SI
	MOVSS lrT+40(FP), X8
	MOVSS omb1+44(FP), X9
	MOVSS omb2+48(FP), X10
	MOVSS eps+52(FP), X11
	MOVSS gscale+56(FP), X12
	ADAM512_CONSTANTS
	SHRQ $4, SI
	JZ done
loop:
	VMOVUPS (DX), Z0
	VMULPS Z12, Z0, Z0
	ADAM512_UPDATE
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, CX
	ADDQ $64, DX
	DECQ SI
	JNZ loop
done:
	VZEROUPPER
	RET

// func adam2x512(w, m, v, grad, grad2 *float32, n int, lrT, omb1, omb2, eps, gscale float32)
//
// adam512 on (grad + grad2) * gscale. n is a multiple of 16.
TEXT ·adam2x512(SB), NOSPLIT, $0-68
	MOVQ w+0(FP), AX
	MOVQ m+8(FP), BX
	MOVQ v+16(FP), CX
	MOVQ grad+24(FP), DX
	MOVQ grad2+32(FP), DI
	MOVQ n+40(FP), SI
	MOVSS lrT+48(FP), X8
	MOVSS omb1+52(FP), X9
	MOVSS omb2+56(FP), X10
	MOVSS eps+60(FP), X11
	MOVSS gscale+64(FP), X12
	ADAM512_CONSTANTS
	SHRQ $4, SI
	JZ done2
loop2:
	VMOVUPS (DX), Z0
	VADDPS (DI), Z0, Z0
	VMULPS Z12, Z0, Z0
	ADAM512_UPDATE
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, CX
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ SI
	JNZ loop2
done2:
	VZEROUPPER
	RET
