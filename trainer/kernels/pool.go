package kernels

import "fmt"

// MaxPool4 is a max-pool whose four window positions lie in four blocks of
// n = len(pooled) values: x = [x0 | x1 | x2 | x3]. With ReLU folded in:
//
//	pooled[i] = max(0, x0[i], x1[i], x2[i], x3[i])
//	arg[i]    = the first o with xo[i] = that max, or -1 where it is <= 0
//
// (-1 marks where ReLU blocks the gradient.) len(pooled) must be a multiple of 8.
func MaxPool4(x, pooled []float32, arg []int32) {
	n := len(pooled)
	if n%8 != 0 || len(x) < 4*n || len(arg) < n {
		panic(fmt.Sprintf("kernels.MaxPool4: n=%d len(x)=%d len(arg)=%d", n, len(x), len(arg)))
	}
	if n == 0 {
		return
	}
	if useAsm && simdPool {
		maxPool4AVX(&x[0], &pooled[0], &arg[0], n)
		return
	}
	maxPool4Generic(x, pooled, arg)
}

func maxPool4Generic(x, pooled []float32, arg []int32) {
	n := len(pooled)
	x0, x1, x2, x3, arg := x[:n], x[n:2*n], x[2*n:3*n], x[3*n:4*n], arg[:n]
	for i := range pooled {
		best, at := x0[i], int32(0)
		if x1[i] > best {
			best, at = x1[i], 1
		}
		if x2[i] > best {
			best, at = x2[i], 2
		}
		if x3[i] > best {
			best, at = x3[i], 3
		}
		if !(best > 0) {
			best, at = 0, -1
		}
		pooled[i], arg[i] = best, at
	}
}

// Unpool4 routes a pooled gradient back to the winning window positions:
//
//	g[o*n+i] = d[i*stride] if arg[i] == o, else 0     (o = 0..3, n = len(arg))
//
// len(arg) must be a multiple of 8.
func Unpool4(arg []int32, d []float32, stride int, g []float32) {
	n := len(arg)
	if n%8 != 0 || stride < 1 || len(g) < 4*n || (n > 0 && len(d) < (n-1)*stride+1) {
		panic(fmt.Sprintf("kernels.Unpool4: n=%d stride=%d len(d)=%d len(g)=%d", n, stride, len(d), len(g)))
	}
	if n == 0 {
		return
	}
	if useAsm && simdPool {
		unpool4AVX(&arg[0], &d[0], stride, &g[0], n)
		return
	}
	unpool4Generic(arg, d, stride, g)
}

func unpool4Generic(arg []int32, d []float32, stride int, g []float32) {
	n := len(arg)
	g = g[:4*n]
	clear(g)
	for i, a := range arg {
		if a >= 0 {
			g[int(a)*n+i] = d[i*stride]
		}
	}
}
