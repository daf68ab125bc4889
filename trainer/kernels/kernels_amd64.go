//go:build amd64

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// asmPath is Path's name for the assembly path without AVX-512; simdPool
// says MaxPool4, Unpool4 and Transpose have assembly too.
const (
	asmPath  = "avx2-fma"
	simdPool = true
)

// hasAVX512 enables the AVX-512 SGEMM kernels. x/sys/cpu sets HasAVX512F only
// when the OS also saves the opmask and ZMM state (XCR0 bits 5-7, by XGETBV).
var hasAVX512 = hasAsm && cpu.X86.HasAVX512F

// Blocking of the assembly path. Cutting k into kc-long pieces keeps a piece
// of A and B in cache; it does not change any result, because a piece
// continues each element's multiply-add chain from the value the previous
// piece stored (a float32 store is exact).
const (
	kc   = 256 // p-block for NN and TN
	mc   = 192 // row block when columns are the outer loop
	kcNT = 128 // p-block for NT, whose B is packed on the stack
	mr   = 6   // rows per micro-kernel tile
	// The AVX-512 kernels' tile: rows, and columns (two ZMM vectors).
	mr512 = 12
	nr512 = 32
)

// tileShape returns the rows and columns of the micro-kernel tile in use.
func tileShape() (rows, cols int) {
	if useAVX512 {
		return mr512, nr512
	}
	return mr, ColBlock
}

// masks[l] enables the first l lanes of a vector of 8.
var masks = func() (t [9][8]int32) {
	for l := range t {
		for i := range l {
			t[l][i] = -1
		}
	}
	return t
}()

// maskFor returns the lane mask of the last vector of a tile cols wide.
func maskFor(cols int) *[8]int32 {
	if cols > 8 {
		return &masks[cols-8]
	}
	return &masks[cols]
}

// sgemmAsm computes C (+)= A·B where A(i,p) lies at byte offset i*rs + p*ps.
func sgemmAsm(m, n, k int, a []float32, rs, ps uintptr, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if k == 0 {
		if !acc {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	ap, bp, cp := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b)), unsafe.Pointer(unsafe.SliceData(c))
	ldbB, ldcB := uintptr(ldb)*4, uintptr(ldc)*4
	avx512 := useAVX512
	tm, tn := tileShape()
	tile := func(i0, j0, p0, kk, accI int) {
		rows, cols := min(tm, m-i0), min(tn, n-j0)
		at := unsafe.Add(ap, uintptr(i0)*rs+uintptr(p0)*ps)
		bt := unsafe.Add(bp, uintptr(p0)*ldbB+uintptr(j0)*4)
		ct := unsafe.Add(cp, uintptr(i0)*ldcB+uintptr(j0)*4)
		if avx512 {
			kern512(rows, cols, kk, at, rs, ps, bt, ldbB, ct, ldcB, accI)
			return
		}
		kern(rows, cols, kk, at, rs, ps, bt, ldbB, ct, ldcB, accI, maskFor(cols))
	}
	for p0 := 0; p0 < k; p0 += kc {
		kk := min(kc, k-p0)
		accI := 0
		if acc || p0 > 0 {
			accI = 1
		}
		// Reload from cache whichever of A's and B's blocks is smaller.
		if m >= n {
			for i0 := 0; i0 < m; i0 += tm {
				for j0 := 0; j0 < n; j0 += tn {
					tile(i0, j0, p0, kk, accI)
				}
			}
			continue
		}
		for i1 := 0; i1 < m; i1 += mc {
			for j0 := 0; j0 < n; j0 += tn {
				for i0 := i1; i0 < min(m, i1+mc); i0 += tm {
					tile(i0, j0, p0, kk, accI)
				}
			}
		}
	}
}

// sgemmAsmNT packs each tile-wide panel of Bᵀ (ColBlock columns for the AVX2
// kernels, nr512 for the AVX-512 ones) into a stack buffer, kcNT values of p
// at a time, and runs the NN micro-kernels on it.
func sgemmAsmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if k == 0 {
		sgemmAsm(m, n, 0, a, 0, 0, b, ldb, c, ldc, acc)
		return
	}
	var panel [kcNT * nr512]float32
	ap, cp := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(c))
	ldaB, ldcB := uintptr(lda)*4, uintptr(ldc)*4
	avx512 := useAVX512
	tm, tn := tileShape()
	for p0 := 0; p0 < k; p0 += kcNT {
		kk := min(kcNT, k-p0)
		accI := 0
		if acc || p0 > 0 {
			accI = 1
		}
		for j0 := 0; j0 < n; j0 += tn {
			cols := min(tn, n-j0)
			packTransposed(panel[:], tn, b, ldb, j0, cols, p0, kk)
			pan, ldp := unsafe.Pointer(&panel[0]), uintptr(tn)*4
			for i0 := 0; i0 < m; i0 += tm {
				rows := min(tm, m-i0)
				at := unsafe.Add(ap, uintptr(i0)*ldaB+uintptr(p0)*4)
				ct := unsafe.Add(cp, uintptr(i0)*ldcB+uintptr(j0)*4)
				if avx512 {
					kern512(rows, cols, kk, at, ldaB, 4, pan, ldp, ct, ldcB, accI)
				} else {
					kern(rows, cols, kk, at, ldaB, 4, pan, ldp, ct, ldcB, accI, maskFor(cols))
				}
			}
		}
	}
}

//go:noescape
func adamAVX(w, m, v, grad *float32, n int, lrT, omb1, omb2, eps, gscale float32)

// adamAsm updates the largest multiple of 8 elements (16 with AVX-512) and
// returns how many.
func adamAsm(w, m, v, g []float32, s AdamStep) int {
	if useAVX512 {
		n := len(w) &^ 15
		if n > 0 {
			adam512(&w[0], &m[0], &v[0], &g[0], n, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon, s.GradScale)
		}
		return n
	}
	n := len(w) &^ 7
	if n > 0 {
		adamAVX(&w[0], &m[0], &v[0], &g[0], n, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon, s.GradScale)
	}
	return n
}

//go:noescape
func adam512(w, m, v, grad *float32, n int, lrT, omb1, omb2, eps, gscale float32)

//go:noescape
func adam2x512(w, m, v, grad, grad2 *float32, n int, lrT, omb1, omb2, eps, gscale float32)

//go:noescape
func adam2AVX(w, m, v, grad, grad2 *float32, n int, lrT, omb1, omb2, eps, gscale float32)

// adam2Asm is adamAsm on g + g2.
func adam2Asm(w, m, v, g, g2 []float32, s AdamStep) int {
	if useAVX512 {
		n := len(w) &^ 15
		if n > 0 {
			adam2x512(&w[0], &m[0], &v[0], &g[0], &g2[0], n, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon, s.GradScale)
		}
		return n
	}
	n := len(w) &^ 7
	if n > 0 {
		adam2AVX(&w[0], &m[0], &v[0], &g[0], &g2[0], n, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon, s.GradScale)
	}
	return n
}

//go:noescape
func addAVX(dst, src *float32, n int)

// addAsm adds the largest multiple of 8 elements and returns how many.
func addAsm(dst, src []float32) int {
	n := len(dst) &^ 7
	if n > 0 {
		addAVX(&dst[0], &src[0], n)
	}
	return n
}

//go:noescape
func maxPool4AVX(x, pooled *float32, arg *int32, n int)

//go:noescape
func unpool4AVX(arg *int32, d *float32, stride int, grad *float32, n int)

//go:noescape
func transpose8AVX(src unsafe.Pointer, lds uintptr, dst unsafe.Pointer, ldd uintptr)
