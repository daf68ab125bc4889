//go:build arm64

package kernels

import "unsafe"

// hasAsm: NEON (Advanced SIMD) and FP are mandatory in ARMv8-A for the
// general-purpose systems Go supports on arm64 (the Go runtime itself uses
// NEON there), so the NEON path needs no run-time test.
const (
	hasAsm    = true
	hasAVX512 = false
	asmPath   = "neon"
	// simdPool: MaxPool4, Unpool4 and Transpose run the Go loops. They only
	// compare and move values, so every path gives the same bits anyway.
	simdPool = false
)

// Blocking of the NEON path; as on amd64, cutting k into kc-long pieces does
// not change any result (a piece continues each element's chain from the
// float32 the previous piece stored, which is exact).
const (
	kc   = 256 // p-block for NN and TN: a 16-column panel of B is 16 KiB
	mc   = 96  // row block: A's rows x kc stay in L1/L2 while a panel sweeps them
	kcNT = 128 // p-block for NT, whose B is packed on the stack
	mr   = neonRows
)

// neonRows is the micro-kernel tile's height (its width is ColBlock = 16).
const neonRows = 6

// sgemmAsm computes C (+)= A·B where A(i,p) lies at byte offset i*rs + p*ps.
// Loops: k in kc pieces, rows in mc blocks, 16-column panels of B, then the
// 6-row tiles of the block. A panel narrower than 16 columns (the last, when
// n is not a multiple of 16) is copied into a zero-padded stack buffer, since
// NEON has no masked loads.
func sgemmAsm(m, n, k int, a []float32, rs, ps uintptr, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if k == 0 {
		if !acc {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	var panel [kc * ColBlock]float32
	ap, bp, cp := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b)), unsafe.Pointer(unsafe.SliceData(c))
	ldbB, ldcB := uintptr(ldb)*4, uintptr(ldc)*4
	for p0 := 0; p0 < k; p0 += kc {
		kk := min(kc, k-p0)
		accI := 0
		if acc || p0 > 0 {
			accI = 1
		}
		for i1 := 0; i1 < m; i1 += mc {
			for j0 := 0; j0 < n; j0 += ColBlock {
				cols := min(ColBlock, n-j0)
				bt, ldp := unsafe.Add(bp, uintptr(p0)*ldbB+uintptr(j0)*4), ldbB
				if cols < ColBlock {
					for pp := range kk {
						row := b[(p0+pp)*ldb+j0 : (p0+pp)*ldb+j0+cols]
						copy(panel[pp*ColBlock:pp*ColBlock+cols], row)
					}
					bt, ldp = unsafe.Pointer(&panel[0]), ColBlock*4
				}
				for i0 := i1; i0 < min(m, i1+mc); i0 += mr {
					at := unsafe.Add(ap, uintptr(i0)*rs+uintptr(p0)*ps)
					ct := unsafe.Add(cp, uintptr(i0)*ldcB+uintptr(j0)*4)
					tileNeon(min(mr, m-i0), cols, kk, at, rs, ps, bt, ldp, ct, ldcB, accI)
				}
			}
		}
	}
}

// tileNeon runs the micro-kernel on one tile of rows x cols of C; b must have
// 16 readable columns. A tile narrower than 16 goes through a stack copy of
// its part of C: the kernel's extra columns land there and are dropped.
func tileNeon(rows, cols, k int, a unsafe.Pointer, rs, ps uintptr, b unsafe.Pointer, ldb uintptr, c unsafe.Pointer, ldc uintptr, acc int) {
	if cols == ColBlock {
		kernNeon(rows, k, a, rs, ps, b, ldb, c, ldc, acc)
		return
	}
	var tile [mr * ColBlock]float32
	for r := range rows {
		crow := unsafe.Slice((*float32)(unsafe.Add(c, uintptr(r)*ldc)), cols)
		if acc != 0 {
			copy(tile[r*ColBlock:], crow)
		}
	}
	kernNeon(rows, k, a, rs, ps, b, ldb, unsafe.Pointer(&tile[0]), ColBlock*4, acc)
	for r := range rows {
		copy(unsafe.Slice((*float32)(unsafe.Add(c, uintptr(r)*ldc)), cols), tile[r*ColBlock:])
	}
}

// sgemmAsmNT packs each 16-wide panel of Bᵀ into a stack buffer, kcNT values
// of p at a time, and runs the NN micro-kernels on it.
func sgemmAsmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if k == 0 {
		sgemmAsm(m, n, 0, a, 0, 0, b, ldb, c, ldc, acc)
		return
	}
	var panel [kcNT * ColBlock]float32
	ap, cp := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(c))
	ldaB, ldcB := uintptr(lda)*4, uintptr(ldc)*4
	for p0 := 0; p0 < k; p0 += kcNT {
		kk := min(kcNT, k-p0)
		accI := 0
		if acc || p0 > 0 {
			accI = 1
		}
		for j0 := 0; j0 < n; j0 += ColBlock {
			cols := min(ColBlock, n-j0)
			packTransposed(panel[:], ColBlock, b, ldb, j0, cols, p0, kk)
			pan := unsafe.Pointer(&panel[0])
			for i0 := 0; i0 < m; i0 += mr {
				at := unsafe.Add(ap, uintptr(i0)*ldaB+uintptr(p0)*4)
				ct := unsafe.Add(cp, uintptr(i0)*ldcB+uintptr(j0)*4)
				tileNeon(min(mr, m-i0), cols, kk, at, ldaB, 4, pan, ColBlock*4, ct, ldcB, accI)
			}
		}
	}
}

//go:noescape
func adamNeon(w, m, v, grad *float32, n int, lrT, omb1, omb2, eps, gscale float32)

//go:noescape
func adam2Neon(w, m, v, grad, grad2 *float32, n int, lrT, omb1, omb2, eps, gscale float32)

//go:noescape
func addNeon(dst, src *float32, n int)

// adamAsm updates the largest multiple of 4 elements and returns how many.
func adamAsm(w, m, v, g []float32, s AdamStep) int {
	n := len(w) &^ 3
	if n > 0 {
		adamNeon(&w[0], &m[0], &v[0], &g[0], n, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon, s.GradScale)
	}
	return n
}

// adam2Asm is adamAsm on g + g2.
func adam2Asm(w, m, v, g, g2 []float32, s AdamStep) int {
	n := len(w) &^ 3
	if n > 0 {
		adam2Neon(&w[0], &m[0], &v[0], &g[0], &g2[0], n, s.LR, s.OneMinusBeta1, s.OneMinusBeta2, s.Epsilon, s.GradScale)
	}
	return n
}

// addAsm adds the largest multiple of 4 elements and returns how many.
func addAsm(dst, src []float32) int {
	n := len(dst) &^ 3
	if n > 0 {
		addNeon(&dst[0], &src[0], n)
	}
	return n
}
