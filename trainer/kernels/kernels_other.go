//go:build !amd64

package kernels

const hasAsm = false

func sgemmAsm(m, n, k int, a []float32, rs, ps uintptr, b []float32, ldb int, c []float32, ldc int, acc bool) {
	panic("kernels: no assembly path")
}

func sgemmAsmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	panic("kernels: no assembly path")
}

func adamAsm(w, m, v, g []float32, lrT, omb1, omb2, eps float32) int { return 0 }
