package native

import (
	"github.com/mirrorbench/mirrorbench/trainer"
	"github.com/mirrorbench/mirrorbench/trainer/kernels"
)

// Shapes of the hidden dense layer.
const hidden = trainer.Hidden // 128 units over flat = 5408 inputs

// denseForward computes columns [j0, j1) of the hidden layer for n samples:
//
//	h[b][u] = relu(bias[u] + sum_f x[b][f] * w[f][u])
//
// The sum starts from the bias (C is preloaded, then accumulated into).
func denseForward(n, j0, j1 int, x, w, bias, h []float32) {
	for b := range n {
		copy(h[b*hidden+j0:b*hidden+j1], bias[j0:j1])
	}
	kernels.SgemmNN(n, j1-j0, flat, x, flat, w[j0:], hidden, h[j0:], hidden, true)
	for b := range n {
		row := h[b*hidden+j0 : b*hidden+j1]
		for u, v := range row {
			row[u] = max(v, 0)
		}
	}
}

// denseBackward computes rows [f0, f1) of the kernel gradient and of the
// input gradient, the latter transposed ([feature][sample]) so that both are
// plain row splits of the weight matrix:
//
//	dw[f][u] = sum_b x[b][f] * dh[b][u]
//	dxT[f][b] = sum_u w[f][u] * dhT[u][b]
func denseBackward(n, f0, f1 int, x, w, dh, dhT, dw, dxT []float32) {
	rows := f1 - f0
	kernels.SgemmTN(rows, hidden, n, x[f0:], flat, dh, hidden, dw[f0*hidden:], hidden, false)
	kernels.SgemmNN(rows, n, hidden, w[f0*hidden:], hidden, dhT, n, dxT[f0*n:], n, false)
}

// denseBiasGrad sums the hidden gradient over the samples, in sample order:
//
//	db[u] = sum_b dh[b][u]
func denseBiasGrad(n int, dh, db []float32) {
	clear(db[:hidden])
	for b := range n {
		for u, v := range dh[b*hidden : (b+1)*hidden] {
			db[u] += v
		}
	}
}

// Work split granularity: hidden columns in kernel column blocks; weight rows
// in whole micro-kernel tiles (any row split is exact; whole tiles are faster).
const (
	colBlock = kernels.ColBlock
	rowBlock = 6
)
