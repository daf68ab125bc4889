//go:build amd64

#include "textflag.h"

// Constants of both Adam kernels, from X8-X12 loaded by the caller:
// Y8 lrT, Y9 1-beta1, Y10 1-beta2, Y11 eps, Y12 gscale, Y13 the |x| mask,
// Y14 2^-126 (the smallest normal float32).
#define ADAM_CONSTANTS \
	VBROADCASTSS X8, Y8; \
	VBROADCASTSS X9, Y9; \
	VBROADCASTSS X10, Y10; \
	VBROADCASTSS X11, Y11; \
	VBROADCASTSS X12, Y12; \
	MOVL $0x7fffffff, R8; \
	MOVL R8, X13; \
	VPBROADCASTD X13, Y13; \
	MOVL $0x00800000, R8; \
	MOVL R8, X14; \
	VPBROADCASTD X14, Y14

// One vector of the update, Y0 holding the scaled gradient, AX/BX/CX
// pointing at w, m, v. Separate multiplies and adds, no FMA, so the result
// matches adamGeneric bit for bit (VSQRTPS and VDIVPS are correctly
// rounded); a subnormal m or v is stored (and used) as +0.
#define ADAM_UPDATE \
	VMOVUPS (BX), Y1; \
	VSUBPS Y1, Y0, Y2; \
	VMULPS Y9, Y2, Y2; \
	VADDPS Y2, Y1, Y1; \
	VANDPS Y13, Y1, Y15; \
	VCMPPS $1, Y14, Y15, Y15; \
	VANDNPS Y1, Y15, Y1; \
	VMOVUPS Y1, (BX); \
	VMULPS Y0, Y0, Y3; \
	VMOVUPS (CX), Y4; \
	VSUBPS Y4, Y3, Y3; \
	VMULPS Y10, Y3, Y3; \
	VADDPS Y3, Y4, Y4; \
	VANDPS Y13, Y4, Y15; \
	VCMPPS $1, Y14, Y15, Y15; \
	VANDNPS Y4, Y15, Y4; \
	VMOVUPS Y4, (CX); \
	VSQRTPS Y4, Y5; \
	VADDPS Y11, Y5, Y5; \
	VMULPS Y1, Y8, Y6; \
	VDIVPS Y5, Y6, Y6; \
	VMOVUPS (AX), Y7; \
	VSUBPS Y6, Y7, Y7; \
	VMOVUPS Y7, (AX)

// func adamAVX(w, m, v, grad *float32, n int, lrT, omb1, omb2, eps, gscale float32)
//
// n is a multiple of 8. Per vector (ADAM_UPDATE):
//   g = grad * gscale; m += (g - m) * omb1; v += (g*g - v) * omb2;
//   w -= lrT * m / (sqrt(v) + eps)
TEXT ·adamAVX(SB), NOSPLIT, $0-60
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
	ADAM_CONSTANTS
	SHRQ $3, SI
	JZ done
loop:
	VMOVUPS (DX), Y0
	VMULPS Y12, Y0, Y0 // g * gscale
	ADAM_UPDATE
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	ADDQ $32, DX
	DECQ SI
	JNZ loop
done:
	VZEROUPPER
	RET

// func adam2AVX(w, m, v, grad, grad2 *float32, n int, lrT, omb1, omb2, eps, gscale float32)
//
// adamAVX on the gradient (grad + grad2) * gscale: the all-reduce's last
// addition fused into Adam's pass. n is a multiple of 8.
TEXT ·adam2AVX(SB), NOSPLIT, $0-68
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
	ADAM_CONSTANTS
	SHRQ $3, SI
	JZ done2
loop2:
	VMOVUPS (DX), Y0
	VADDPS (DI), Y0, Y0 // g + g2
	VMULPS Y12, Y0, Y0  // (g + g2) * gscale
	ADAM_UPDATE
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ SI
	JNZ loop2
done2:
	VZEROUPPER
	RET

// func addAVX(dst, src *float32, n int)
//
// dst += src over n elements, n a multiple of 8; 32 per iteration while it can.
TEXT ·addAVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), AX
	MOVQ src+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ CX, DX
	SHRQ $5, DX
	JZ tail
loop32:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VADDPS (BX), Y0, Y0
	VADDPS 32(BX), Y1, Y1
	VADDPS 64(BX), Y2, Y2
	VADDPS 96(BX), Y3, Y3
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, 64(AX)
	VMOVUPS Y3, 96(AX)
	ADDQ $128, AX
	ADDQ $128, BX
	DECQ DX
	JNZ loop32
tail:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ done8
loop8:
	VMOVUPS (AX), Y0
	VADDPS (BX), Y0, Y0
	VMOVUPS Y0, (AX)
	ADDQ $32, AX
	ADDQ $32, BX
	DECQ CX
	JNZ loop8
done8:
	VZEROUPPER
	RET
