package kernels

import "fmt"

// The reference CNN's convolution stage per image, for 28x28x1 inputs, 3x3
// kernels and 32 filters, in one pass over the image where the CPU has
// AVX-512 (DirectConv): no patch matrix, no conv output in memory. Each is
// bitwise the composition it replaces, on the same path:
//
//	ConvPool: im2col (rows o*169 + cell, the bias as a tenth tap of 1),
//	          SgemmNN(676, 32, 10) into conv, MaxPool4(conv, pooled, arg)
//	ConvGrad: im2col, Unpool4(arg, d, 1, dconv), SgemmTN(10, 32, 676) into dk
//
// because every value is the same chain of the same fused operations: a
// conv output starts from +0, takes one fused multiply-add per tap in tap
// order, then the bias (fma(1, b, acc) is acc + b rounded once, which is what
// the direct kernel computes); a kernel gradient starts from +0 and takes one
// fused multiply-add per row in row order. The max-pool and its arg are
// MaxPool4's: strict > over positions 1, 2, 3, ReLU as best > 0 (false for
// NaN), else +0 and -1.
const (
	convSide    = 28
	convFilters = 32
	convPooled  = 13 * 13 * convFilters // 5408
	convKext    = 10 * convFilters      // [10][32]: 9 taps, then the bias
)

// DirectConv reports whether ConvPool and ConvGrad run here: the AVX-512
// path. Elsewhere callers compose im2col, the SGEMMs and the pool themselves.
func DirectConv() bool { return useAsm && useAVX512 }

// ConvPool computes one image's conv + bias + ReLU + 2x2 max-pool: pooled and
// arg are [13*13][32] (cell-major, filters last), k is [10][32].
func ConvPool(x, k, pooled []float32, arg []int32) {
	if len(x) < convSide*convSide || len(k) < convKext || len(pooled) < convPooled || len(arg) < convPooled {
		panic(fmt.Sprintf("kernels.ConvPool: len(x)=%d len(k)=%d len(pooled)=%d len(arg)=%d", len(x), len(k), len(pooled), len(arg)))
	}
	if !DirectConv() {
		panic("kernels.ConvPool: no direct convolution on path " + Path())
	}
	convPool512(&x[0], &k[0], &pooled[0], &arg[0])
}

// ConvGrad computes one image's kernel and bias gradient dk [10][32] (bias
// last) from arg and the gradient d at the pooled output, both [13*13][32].
func ConvGrad(x []float32, arg []int32, d, dk []float32) {
	if len(x) < convSide*convSide || len(arg) < convPooled || len(d) < convPooled || len(dk) < convKext {
		panic(fmt.Sprintf("kernels.ConvGrad: len(x)=%d len(arg)=%d len(d)=%d len(dk)=%d", len(x), len(arg), len(d), len(dk)))
	}
	if !DirectConv() {
		panic("kernels.ConvGrad: no direct convolution on path " + Path())
	}
	convGrad512(&x[0], &arg[0], &d[0], &dk[0])
}
