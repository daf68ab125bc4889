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

// denseBackwardArgs is one worker's share of the dense layer's backward
// pass: n samples in 1<<levels micro-shards of micro samples, and the rows
// [f0, f1) of the kernel (f indexes the flat = 5408 inputs, u the hidden =
// 128 units, b the samples).
type denseBackwardArgs struct {
	n, micro, levels int
	f0, f1           int

	x   []float32 // [n][flat] the layer's input
	w   []float32 // [flat][hidden] the kernel
	dh  []float32 // [n][hidden] the gradient at the layer's output (after ReLU)
	dhT []float32 // [hidden][n] the same, transposed

	dw []float32 // [flat][hidden] out: the kernel gradient (rows [f0, f1))
	dx []float32 // [n][flat] out: the input gradient (columns [f0, f1))

	tile  []float32 // scratch [dxChunk][n]: a chunk of dxᵀ
	tiles []float32 // scratch [levels][dwChunk][hidden]: the tree's right operands

	// update, when not nil (GradientsFused), receives the rows once done.
	update func(tensor, lo, hi int)
}

// denseBackward computes rows [f0, f1) of the kernel gradient and columns
// [f0, f1) of the input gradient:
//
//	dw[f][u] = tree sum over micro-shards s of dw_s[f][u],  dw_s[f][u] = sum_{b in s} x[b][f] * dh[b][u]
//	dx[b][f] = sum_u w[f][u] * dhT[u][b]
//
// Both are row splits of the weight matrix. With micro-shards, dw is formed
// dwChunk rows at a time, so that a chunk's micro-shard products (in tiles)
// and their sums stay in cache and dw's rows are written once. dx is computed
// transposed, as w·dhT, a chunk of rows at a time into tile (chunk x n), then
// transposed into place while the chunk is in cache.
//
// With update (GradientsFused), rows [f0, f1) of the dense kernel are handed
// to update at the end, on this worker: their gradient is final and they have
// served dx, and nothing reads them again.
func denseBackward(a *denseBackwardArgs) {
	n, f0, f1 := a.n, a.f0, a.f1
	if a.levels == 0 { // one shard: one product
		kernels.SgemmTN(f1-f0, hidden, n, a.x[f0:], flat, a.dh, hidden, a.dw[f0*hidden:], hidden, false)
	}
	for f := f0; f < f1; f += dxChunk {
		rows := min(dxChunk, f1-f)
		if a.levels > 0 {
			for g := f; g < f+rows; g += dwChunk {
				gr := min(dwChunk, f+rows-g)
				a.weightTree(a.levels, 0, g, a.dw[g*hidden:(g+gr)*hidden])
			}
		}
		kernels.SgemmNN(rows, n, hidden, a.w[f*hidden:], hidden, a.dhT, n, a.tile, n, false)
		kernels.Transpose(rows, n, a.tile, n, a.dx[f:], flat)
	}
	if a.update != nil {
		a.update(trainer.DenseW, f0*hidden, f1*hidden)
	}
}

// weightTree writes into dst the kernel gradient's rows from f on (as many
// as dst holds) summed over the 1<<levels micro-shards from s0 on: the left
// subtree's sum in dst, the right's in tiles' level-1 tile, then one float32
// addition each. A leaf is one micro-shard's product, K = micro in sample
// order.
func (a *denseBackwardArgs) weightTree(levels, s0, f int, dst []float32) {
	if levels == 0 {
		b := s0 * a.micro
		kernels.SgemmTN(len(dst)/hidden, hidden, a.micro, a.x[b*flat+f:], flat, a.dh[b*hidden:], hidden, dst, hidden, false)
		return
	}
	a.weightTree(levels-1, s0, f, dst)
	right := a.tiles[(levels-1)*dwChunk*hidden:][:len(dst)]
	a.weightTree(levels-1, s0+1<<(levels-1), f, right)
	kernels.Add(dst, right)
}

// dxChunk is the rows of dxᵀ computed per step of denseBackward: a multiple of
// the micro-kernel's 6 rows and the transpose's 8.
const dxChunk = 96

// dwChunk is the rows of the dense kernel gradient reduced over the tree at a
// time (a multiple of the micro-kernel's 6 rows): the rows and the tiles added
// into them, 24 KiB each, stay in the core's first-level cache.
const dwChunk = 48

// denseBiasGrad sums the hidden gradient over n samples, in sample order:
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
