package kernels

// The portable path. Loops run i, p, j so that each C element receives its
// products in p order, starting from 0 or from its old value: the same
// sequence of roundings as the assembly, minus the fusion.

func sgemmGenericNN(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := range m {
		crow := c[i*ldc : i*ldc+n]
		if !acc {
			clear(crow)
		}
		arow := a[i*lda : i*lda+k]
		for p, aip := range arow {
			axpy(aip, b[p*ldb:p*ldb+n], crow)
		}
	}
}

func sgemmGenericTN(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := range m {
		crow := c[i*ldc : i*ldc+n]
		if !acc {
			clear(crow)
		}
		for p := range k {
			axpy(a[p*lda+i], b[p*ldb:p*ldb+n], crow)
		}
	}
}

func sgemmGenericNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := range m {
		crow := c[i*ldc : i*ldc+n]
		arow := a[i*lda : i*lda+k]
		for j := range crow {
			var s float32
			if acc {
				s = crow[j]
			}
			brow := b[j*ldb : j*ldb+k]
			for p, aip := range arow {
				s += float32(aip * brow[p])
			}
			crow[j] = s
		}
	}
}

// axpy is y += alpha*x, each product rounded before the add.
func axpy(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for j := range y {
		y[j] += float32(alpha * x[j])
	}
}
