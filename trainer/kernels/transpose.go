package kernels

import "unsafe"

// Transpose writes the transpose of the m×n matrix A into B: B[j*ldb+i] = A[i*lda+j].
func Transpose(m, n int, a []float32, lda int, b []float32, ldb int) {
	checkGemm("Transpose", n, m, 0, matrix{a, lda, m, n}, matrix{}, matrix{b, ldb, n, m})
	m8, n8 := 0, 0
	if useAsm && simdPool {
		m8, n8 = m&^7, n&^7
		ap, bp := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
		for i := 0; i < m8; i += 8 {
			for j := 0; j < n8; j += 8 {
				transpose8AVX(unsafe.Add(ap, (i*lda+j)*4), uintptr(lda)*4, unsafe.Add(bp, (j*ldb+i)*4), uintptr(ldb)*4)
			}
		}
	}
	// The rest: rows below m8, and columns right of n8 in the rows above.
	for i := range m {
		j0 := 0
		if i < m8 {
			j0 = n8
		}
		for j := j0; j < n; j++ {
			b[j*ldb+i] = a[i*lda+j]
		}
	}
}
