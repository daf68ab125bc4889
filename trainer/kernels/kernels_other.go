//go:build !amd64 && !arm64

package kernels

const (
	hasAsm    = false
	hasAVX512 = false
	asmPath   = ""
	simdPool  = false
)

func sgemmAsm(m, n, k int, a []float32, rs, ps uintptr, b []float32, ldb int, c []float32, ldc int, acc bool) {
	panic("kernels: no assembly path")
}

func sgemmAsmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	panic("kernels: no assembly path")
}

func adamAsm(w, m, v, g []float32, s AdamStep) int { return 0 }

func addAsm(dst, src []float32) int { return 0 }

func adam2Asm(w, m, v, g, g2 []float32, s AdamStep) int { return 0 }
